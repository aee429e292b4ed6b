"""The one settings object: every setting is a ``TANFANG_*`` environment variable (or ``.env``)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from devices.adapters.base import AdapterSettings

log = logging.getLogger(__name__)

MIN_ADMIN_TOKEN_LENGTH: Final = 24
INSECURE_TOKENS: Final = frozenset({"", "changethis", "admin", "secret", "token"})
# Placeholder words and keyboard runs. A token made of these (repeated, joined by
# separators or digits) is as guessable as the word itself, however long.
_PLACEHOLDERS: Final = re.compile(
    "changethis|changeme|change_me|change-me|password|passwd|secret|example|replace|"
    "placeholder|tanfang|admin|token|default|qwerty|123456789|abcdef|your|here|please|"
    "insert|random|string|long",
    re.IGNORECASE,
)
_SEPARATORS: Final = re.compile(r"[\W_\d]+")
_PUNCTUATION: Final = re.compile(r"[\W_]+")
_MIN_DISTINCT: Final = 8
_MIN_DISTINCT_REFUSED: Final = 3


class Settings(BaseSettings):
    """Validated at start; a weak admin token is refused (the demo makes a random one)."""

    # hide_input_in_errors: a validation error must not print the other settings' values
    # (the admin token, a broker or database password).
    model_config = SettingsConfigDict(
        env_prefix="TANFANG_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    mqtt_url: str | None = None
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_client_id: str = "tanfang-gateway"
    mqtt_session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    mqtt_receive_maximum: int = Field(default=10000, ge=1, le=65535)
    # mqtts:// verifies the broker against this CA (PEM; deploy/make-certs.sh makes one),
    # or against the system's CAs when unset.
    mqtt_ca_file: Path | None = None
    shared_group: str | None = None
    # Named slots gw-0 … gw-{N-1} of the shared group (docs/ingest.md, "Gateway slots"): each
    # gateway claims one through a PostgreSQL advisory lock and uses it as its client id
    # ({mqtt_client_id}-gw-{i}); a live gateway drains a dead one's session. 0: off.
    gateway_slots: int = Field(default=0, ge=0, le=1000)
    database_url: str | None = None
    database_pool_max: int = Field(default=10, ge=2)
    topic_root: str = "tanfang/v1"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    # Bodies are refused (413) over this size before they are read: parsing runs on the
    # event loop that ingest shares (docs/api.md, Limits).
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    admin_token: str | None = None
    # The admin token before the last change of TANFANG_ADMIN_TOKEN: accepted too, so that
    # clients can move to the new one without downtime (docs/configuration.md).
    admin_token_previous: str | None = None
    # A person's API token expires after this many days unless POST /tokens says otherwise.
    token_ttl_days: int = Field(default=90, ge=1, le=3650)
    # After POST /tokens/{id}/rotate the old secret keeps working this many hours.
    token_rotation_grace_h: float = Field(default=24.0, ge=0, le=24 * 90)
    webhook_url: str | None = None
    # HMAC-SHA256 key of the webhook's X-Tanfang-Signature (none: unsigned).
    webhook_secret: str | None = None
    # Deliveries in flight at once per channel: a dead receiver holds at most this many
    # slots (each for its 5 s timeout), never another alert's turn in a queue.
    webhook_concurrency: int = Field(default=64, ge=1, le=1024)
    # Extra notification channels: apprise URLs, comma-separated, in the order of each
    # recipient's fallback chain; {phone} in a URL is the recipient's number (docs/alerting.md,
    # Channels). Checked at start: a URL apprise cannot use refuses the start.
    notify_urls: str | None = None
    # Run the escalator (alert steps and notifications) in this process. Any number may run
    # on one database; each step is sent once whichever runs it.
    escalator: bool = True
    # Where people reach the API from outside (the ack links in notifications); default the
    # API's own address.
    public_url: str | None = None
    timezone: str = "Asia/Shanghai"

    batch_max_rows: int = Field(default=5000, ge=1)
    batch_max_ms: int = Field(default=50, ge=1)
    partition_days_ahead: int = Field(default=3, ge=1)
    event_retention_days: int = Field(default=400, ge=8)
    # Ingest gateway (docs/ingest.md).
    mqtt_keepalive_s: int = Field(default=60, ge=5)
    ingest_writers: int = Field(default=2, ge=1, le=16)
    dead_letter_batch_max: int = Field(default=1000, ge=1)
    registry_reload_s: float = Field(default=300.0, gt=0)
    shutdown_grace_s: float = Field(default=20.0, gt=0)
    # Care (docs/care.md): from this day of the month, class B/C elders not yet visited
    # this month get a check-in prompt on their Ping An Tong button.
    checkin_prompt_day: int = Field(default=20, ge=1, le=31)
    checkin_prompt_interval_s: float = Field(default=60.0, gt=0)
    # From this day of the month each town's elders whose month is not yet met are one
    # visit_overdue alert (docs/alerting.md); the round runs this often.
    visit_overdue_day: int = Field(default=25, ge=1, le=31)
    visit_overdue_interval_s: float = Field(default=600.0, gt=0)
    # Alerting (docs/alerting.md): an elder's `cancel` this soon after an SOS press of the
    # same device marks the alert cancelled by the elder (it stays open for the on-call).
    sos_cancel_window_s: float = Field(default=60.0, gt=0, le=3600)
    # Device health (docs/alerting.md): battery_low opens below the first, clears above the
    # second (hysteresis: a battery hovering at the threshold does not flap).
    battery_low_percent: float = Field(default=15.0, ge=0, le=100)
    battery_ok_percent: float = Field(default=25.0, ge=0, le=100)
    # Storms (docs/alerting.md): this many devices of one town offline within the window
    # are one town incident, their own alerts grouped under it and not escalated.
    storm_devices: int = Field(default=20, ge=2, le=100_000)
    storm_window_s: float = Field(default=60.0, gt=0, le=3600)
    # Detection (docs/detection.md, "Where detection runs"): every gateway process competes
    # to lead the detectors (one leader per deployment, elected through PostgreSQL); the
    # leader sweeps every home this often on the wall clock. Off: this process never leads.
    detect: bool = True
    detect_interval_s: float = Field(default=10.0, gt=0, le=600)
    # Alert types (or the rule not_back) that do not run (comma-separated; empty: every
    # rule runs). Unset: the detectors' default, activity_drop and not_back off until they
    # are shown to pay (gateway.detectors.sweep.DEFAULT_OFF, docs/detection.md).
    detect_off: str | None = None
    # The detection's clock (gateway.detect_clock): unset, the wall clock. For rigs and
    # replays of simulated homes only: "START,WALL,SPEED" — the simulated instant START was
    # the wall clock's WALL (epoch s) and runs SPEED times as fast (docs/detection.md).
    detect_clock: str | None = None
    # Foreign device sources (docs/devices.md, docs/ingest.md "Foreign sources"): the MQTT
    # sources the gateway also reads (comma-separated: zigbee2mqtt, tasmota, shelly, esphome).
    adapters: str | None = None
    zigbee2mqtt_base_topic: str = "zigbee2mqtt"
    # A plug's power becomes a `power` event when it crosses this many watts, or changes by
    # more than this share of the last value reported (a TV's steady 95 W is no movement).
    adapter_power_on_w: float = Field(default=5.0, ge=0)
    adapter_power_change_share: float = Field(default=0.25, gt=0, le=10)
    # A presence sensor that stays occupied shows one `motion` per this many seconds.
    adapter_motion_refresh_s: float = Field(default=900.0, ge=1)
    # HMAC-SHA256 keys of POST /api/v1/ingest/{name} (source http:<name>), comma-separated
    # name:secret pairs, e.g. vendorA:3f9c…,vendorB:81ab… (docs/api.md, "HTTP ingest").
    ingest_secrets: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # ZoneInfo raises KeyError for an unknown zone, which pydantic would not turn into
        # a validation error naming the setting.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Asia/Shanghai"
            ) from None
        return value

    @field_validator("notify_urls")
    @classmethod
    def _usable_notify_urls(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        # Imported only when set: apprise loads its plugins on import.
        from alerting.apprise_urls import parse_notify_urls

        # A NotifyUrlError names the URL's position and scheme, never the URL (credentials).
        parse_notify_urls(value)
        return value

    @field_validator("adapters")
    @classmethod
    def _known_adapters(cls, value: str | None) -> str | None:
        from devices.adapters.registry import enabled

        enabled(_comma_list(value or ""))  # an unknown or missing adapter raises, naming it
        return value or None

    @field_validator("detect_off")
    @classmethod
    def _known_rules(cls, value: str | None) -> str | None:
        from gateway.detectors.sweep import rule_names

        rule_names(value or "")  # an unknown type raises, naming the known ones
        return value

    @field_validator("detect_clock")
    @classmethod
    def _readable_clock(cls, value: str | None) -> str | None:
        from gateway.detect_clock import parse_clock

        return None if parse_clock(value).start is None else value  # raises saying why

    @field_validator("ingest_secrets")
    @classmethod
    def _secret_pairs(cls, value: str | None) -> str | None:
        ingest_secret_map(value or "")  # raises naming the pair's position, never the secret
        return value or None

    @field_validator("topic_root", "zigbee2mqtt_base_topic")
    @classmethod
    def _clean_root(cls, value: str) -> str:
        value = value.strip("/")
        if not value or any(c in value for c in "+#"):
            raise ValueError(
                "a topic root or base topic must be non-empty and hold no MQTT wildcards"
            )
        return value

    @model_validator(mode="after")
    def _battery_hysteresis(self) -> Settings:
        if not self.battery_low_percent < self.battery_ok_percent:
            raise ValueError("TANFANG_BATTERY_OK_PERCENT must be above TANFANG_BATTERY_LOW_PERCENT")
        return self

    @model_validator(mode="after")
    def _strong_admin_token(self) -> Settings:
        # Always on: no setting may switch it off, or a production .env copied with that
        # switch would serve the API with "changethis".
        for name, token in (
            ("TANFANG_ADMIN_TOKEN", self.admin_token),
            ("TANFANG_ADMIN_TOKEN_PREVIOUS", self.admin_token_previous),
        ):
            problem = None if token is None else admin_token_problem(token)
            if problem is not None:
                raise ValueError(
                    f"{name} {problem}; make a random one with "
                    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        if self.admin_token_previous is not None and self.admin_token is None:
            raise ValueError("TANFANG_ADMIN_TOKEN_PREVIOUS is set without TANFANG_ADMIN_TOKEN")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def detect_off_types(self) -> tuple[str, ...] | None:
        """The alert types whose rules do not run (``TANFANG_DETECT_OFF``; None: the
        detectors' default)."""
        from gateway.detectors.sweep import rule_names

        return None if self.detect_off is None else rule_names(self.detect_off)

    @property
    def adapter_kinds(self) -> list[str]:
        """The MQTT sources enabled (``TANFANG_ADAPTERS``), in the order given."""
        return _comma_list(self.adapters or "")

    @property
    def adapter_settings(self) -> AdapterSettings:
        return AdapterSettings(
            zigbee2mqtt_base_topic=self.zigbee2mqtt_base_topic,
            power_on_w=self.adapter_power_on_w,
            power_change_share=self.adapter_power_change_share,
            motion_refresh_s=self.adapter_motion_refresh_s,
        )

    @property
    def ingest_secret_by_source(self) -> dict[str, str]:
        """``http:<name>`` → the HMAC key of its ingest route (``TANFANG_INGEST_SECRETS``)."""
        return ingest_secret_map(self.ingest_secrets or "")

    def require_production(self) -> None:
        """Raise when a setting that production needs is missing (not called by the demo)."""
        missing = [
            name
            for name, value in (
                ("TANFANG_MQTT_URL", self.mqtt_url),
                ("TANFANG_DATABASE_URL", self.database_url),
                ("TANFANG_ADMIN_TOKEN", self.admin_token),
            )
            if not value
        ]
        if missing:
            raise SettingsError("missing required settings: " + ", ".join(missing))


class SettingsError(ValueError):
    """A setting is missing or wrong."""


# An ingest secret shorter than this is guessable: a vendor's HMAC key is a random string.
MIN_INGEST_SECRET_LENGTH: Final = 16


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def ingest_secret_map(value: str) -> dict[str, str]:
    """``name:secret,…`` as ``{"http:<name>": secret}``; a malformed pair raises naming its
    position (never the secret)."""
    from devices.adapters.registry import HTTP_NAME_RE, HTTP_PREFIX

    found: dict[str, str] = {}
    for n, pair in enumerate(_comma_list(value), start=1):
        name, sep, secret = pair.partition(":")
        name = name.strip()
        where = f"TANFANG_INGEST_SECRETS, pair {n}"
        if not sep or not HTTP_NAME_RE.fullmatch(name):
            raise ValueError(f"{where}: write name:secret, the name of letters, digits, _ . -")
        if len(secret) < MIN_INGEST_SECRET_LENGTH:
            raise ValueError(f"{where}: the secret needs {MIN_INGEST_SECRET_LENGTH}+ characters")
        if HTTP_PREFIX + name in found:
            raise ValueError(f"{where}: {name} is named twice")
        found[HTTP_PREFIX + name] = secret
    return found


def admin_token_problem(token: str) -> str | None:
    """Why ``token`` is refused as the admin token (a well-known value, or nothing but
    placeholder words and repetition), or None. Merely short tokens are only warned about
    (``admin_token_weakness``): the contract asks for the token, not for a length."""
    without_words = _PLACEHOLDERS.sub("", token)
    # Digits count as separators only between placeholder words ("changeme-2024-changeme"):
    # in a random hex token they are half the randomness (stripping them refused one
    # `secrets.token_hex(12)` in 80).
    separators = _SEPARATORS if without_words != token else _PUNCTUATION
    rest = separators.sub("", without_words)
    if token.lower() in INSECURE_TOKENS or len(set(rest.lower())) < _MIN_DISTINCT_REFUSED:
        return "is a well-known or guessable value"
    return None


def admin_token_weakness(token: str) -> str | None:
    """Why ``token`` is weak though accepted, or None."""
    rest = _PLACEHOLDERS.sub("", token)
    if len(token) < MIN_ADMIN_TOKEN_LENGTH or len(set(rest.lower())) < _MIN_DISTINCT:
        return (
            f"TANFANG_ADMIN_TOKEN is weak (use {MIN_ADMIN_TOKEN_LENGTH}+ random characters: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return None


def warn_at_start(settings: Settings) -> None:
    """Log, once at start, a weak admin token."""
    weakness = admin_token_weakness(settings.admin_token) if settings.admin_token else None
    if weakness:
        log.warning("%s", weakness)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
