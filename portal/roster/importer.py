"""Roster import (placeholder interface; replaced by the full importer)."""
COLUMNS = []
