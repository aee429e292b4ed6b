"""Why an alert use case refuses. They are care's refusals (alerting may use ``care``), so
the API maps them as it maps care's: 404, 403, 409."""

from __future__ import annotations

from care.errors import ConflictError, ForbiddenError, NotFoundError


class AlertNotFoundError(NotFoundError):
    """No alert of that id."""


class AlertForbiddenError(ForbiddenError):
    """The alert is of another town's elder."""


class AlertConflictError(ConflictError):
    """The state change asked for is not allowed in the alert's state (resolved)."""


class PolicyNotFoundError(NotFoundError):
    """No escalation policy is stored for that severity (migration 0042 ships all three)."""


class ShiftNotFoundError(NotFoundError):
    """No on-call shift of that id."""
