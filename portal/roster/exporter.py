"""Roster export."""
