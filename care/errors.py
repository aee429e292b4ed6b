"""Why a care use case refuses: a short hierarchy of our own, each kind mapped by the API to
its status (``api.errors``: 404, 403, 409, 422 naming the field)."""

from __future__ import annotations

from care.audit import Attempt


class CareError(Exception):
    """A use case's refusal; its text is safe to show the caller (never a name or phone)."""


class NotFoundError(CareError):
    """The record asked for is not on file."""


class ForbiddenError(CareError):
    """The caller may not see or change this record (another town's elder). ``attempt``
    says what was asked, for the audit log's ``refused`` entry (care.services.record_refusal)."""

    def __init__(self, message: str, attempt: Attempt | None = None) -> None:
        super().__init__(message)
        self.attempt = attempt


class ConflictError(CareError):
    """The record clashes with one already on file."""


# A field's name, or its path inside what was sent: ``("towns", 1)`` is the second town.
FieldPath = str | tuple[str | int, ...]


class InvalidFieldError(CareError):
    """A field of what was sent cannot be accepted; ``field`` names it as the caller sent it
    (a name, or a path into a list), ``where`` the part of the request it came in (``body``,
    ``query``, ``path``)."""

    def __init__(
        self, field: FieldPath, message: str, value: object = None, *, where: str = "body"
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.where = where

    @property
    def loc(self) -> tuple[str | int, ...]:
        """Where the field is in the request, as a 422's ``loc`` names it."""
        path = self.field if isinstance(self.field, tuple) else (self.field,)
        return (self.where, *path)
