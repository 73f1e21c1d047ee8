"""The organisation tree and the roster (花名册) of people."""
