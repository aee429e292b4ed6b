"""Why a fleet use case refuses; the API maps each kind to its status (``api.errors``)."""

from __future__ import annotations


class FleetError(Exception):
    """A fleet use case's refusal; its text is safe to show the caller."""


class NotFoundError(FleetError):
    """No such device."""


class ForbiddenError(FleetError):
    """The caller may not see this device's data (another town's elder's)."""


class ConflictError(FleetError):
    """A device with this id is already registered."""


class UnavailableError(FleetError):
    """This process cannot do it (a dead-letter replay without the gateway's write path)."""


class UnknownElderFieldError(FleetError):
    """The ``elder_id`` sent names no elder on file."""

    field = "elder_id"

    def __init__(self, value: object) -> None:
        super().__init__("no elder with this id is on file")
        self.value = value
