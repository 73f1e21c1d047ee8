"""User accounts, log-in, roles granted on organisations."""
