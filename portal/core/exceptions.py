"""Errors raised by services; each carries a message in Chinese for the user."""


class PortalError(Exception):
    """Base class: a broken business rule with a user-facing message."""

    status_code = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(PortalError):
    """Input that breaks a rule (a bad value, a missing field)."""


class ConflictError(PortalError):
    """The action collides with existing data (a duplicate, a second claim)."""

    status_code = 409


class PermissionDenied(PortalError):
    """The current user may not do this."""

    status_code = 403


class NotFound(PortalError):
    """The object does not exist, or is outside what the user may see."""

    status_code = 404
