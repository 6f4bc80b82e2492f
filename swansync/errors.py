"""The exception tree. Messages name the resource and the fix; they never contain secrets.

``cli`` catches :class:`SwansyncError` once, prints its message on one line and exits with
``exit_code`` (2 for usage/config/auth problems, 1 otherwise).
"""

from __future__ import annotations


class SwansyncError(Exception):
    """Base class of every error swansync raises on purpose."""

    exit_code = 1


class ConfigError(SwansyncError):
    """Bad flags, environment or config file."""

    exit_code = 2


class AuthError(SwansyncError):
    """The API key was refused or is missing."""

    exit_code = 2


class NotFoundError(SwansyncError):
    """A workspace, project or run the user named does not exist (or is not visible)."""

    exit_code = 2


class ApiError(SwansyncError):
    """The upstream API answered with an error or not at all."""

    def __init__(self, message: str, *, status: int | None = None, route: str | None = None):
        super().__init__(message)
        self.status = status
        self.route = route


class RetriableApiError(ApiError):
    """429/5xx/connection problems that outlasted the retry budget."""


class FatalApiError(ApiError):
    """A 4xx (other than 429) or a response that makes no sense; retrying will not help."""


class DataError(SwansyncError):
    """An object from upstream (or a file on disk) is malformed: wrong types, missing fields."""


class WarehouseError(SwansyncError):
    """The DuckDB file cannot be opened, migrated or written (locked, corrupt, wrong version)."""


class ConflictError(SwansyncError):
    """A lake commit kept conflicting with other writers (or another worker wrote the same
    project at the same time): that project fails for this pull; nothing half-written exists,
    and the next pull goes on from what committed."""
