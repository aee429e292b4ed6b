"""What the API reads of the deployment's configuration, and nothing more.

``ApiConfig`` is a protocol: the composition root hands in its ``tanfang.settings.Settings``
(which has these attributes, checked by mypy at the call), and the API never imports
``tanfang`` (the import-linter contracts hold it).
"""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo


class ApiConfig(Protocol):
    """The settings the API uses (docs/configuration.md)."""

    @property
    def database_url(self) -> str | None: ...
    @property
    def ingest_secret_by_source(self) -> dict[str, str]:
        """``http:<name>`` → the HMAC key of its ingest route (``TANFANG_INGEST_SECRETS``)."""
        ...

    @property
    def database_pool_max(self) -> int: ...
    @property
    def mqtt_url(self) -> str | None: ...
    @property
    def admin_token(self) -> str | None: ...
    @property
    def admin_token_previous(self) -> str | None: ...
    @property
    def token_ttl_days(self) -> int: ...
    @property
    def token_rotation_grace_h(self) -> float: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def api_max_body_bytes(self) -> int: ...
    @property
    def public_url(self) -> str | None: ...
    @property
    def battery_low_percent(self) -> float: ...


class ConfigError(ValueError):
    """A setting the API needs is missing (``tanfang.failure`` reports it as a bad setting,
    exit 2)."""
