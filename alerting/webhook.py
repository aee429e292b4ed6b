"""The webhook notification channel (contract §2 "Notifications"): one signed JSON POST per
notification to ``TANFANG_WEBHOOK_URL``.

The body is the contract's ``{"alert", "recipient", "level", "sent_at", "ack_url"}`` plus
``notification_id`` and ``purpose``. Headers: ``X-Tanfang-Signature: sha256=<hex
HMAC-SHA256 of the body>`` when a secret is set, ``X-Tanfang-Notification-Id`` (a receiver
may see one notification twice after a crash: that id is its idempotency key).

A delivery never raises: ``send`` answers an ``Attempt``; retrying is the escalator's job.
Neither the URL (it may carry a secret) nor a recipient's name or phone goes into an
``Attempt.error`` or a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import weakref
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Final

import httpx
import orjson

from alerting.channels import Attempt, Notice

log = logging.getLogger(__name__)

CHANNEL_NAME: Final = "webhook"
# A receiver that has not answered in 5 s is treated as down: the escalator retries or
# moves on; an SOS must not wait on one slow endpoint.
WEBHOOK_TIMEOUT_S: Final = 5.0
# Deliveries in flight at once (TANFANG_WEBHOOK_CONCURRENCY's default): a dead receiver
# holds at most this many slots.
DEFAULT_CONCURRENCY: Final = 64
SIGNATURE_HEADER: Final = "X-Tanfang-Signature"
NOTIFICATION_ID_HEADER: Final = "X-Tanfang-Notification-Id"
SIGNATURE_SCHEME: Final = "sha256="
# What the receiver says after its status is not ours to keep: up to this much of it is
# read (so the connection can be reused), the rest is dropped with the connection.
MAX_RESPONSE_BYTES: Final = 64 * 1024
# 408 and 429 say "later"; 5xx says the receiver is in trouble: trying again may help.
# Any other 4xx (and a 3xx: redirects are not followed) will not change by itself.
RETRY_STATUSES: Final = frozenset({408, 429})


def _version() -> str:
    try:
        return metadata.version("tanfang")
    except metadata.PackageNotFoundError:  # run from a source tree that was not installed
        return "0"


USER_AGENT: Final = f"tanfang/{_version()}"


class _HideWebhookUrls(logging.Filter):
    """httpx logs every request's URL (at INFO, shown under ``--debug``); a webhook URL may
    carry a secret, so the live channels' URLs are replaced in those records."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: weakref.WeakSet[WebhookChannel] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and self.channels:
            hidden = {channel.hidden_url for channel in self.channels}
            record.args = tuple(
                "<webhook URL>" if isinstance(arg, httpx.URL) and str(arg) in hidden else arg
                for arg in record.args
            )
        return True


_HIDE_URLS: Final = _HideWebhookUrls()
logging.getLogger("httpx").addFilter(_HIDE_URLS)


def sign(body: bytes, secret: str) -> str:
    """The ``X-Tanfang-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``, keyed by
    the UTF-8 bytes of ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_SCHEME + digest


def verify_signature(body: bytes, secret: str, header: str) -> bool:
    """Whether ``header`` (an ``X-Tanfang-Signature`` value) signs ``body`` with ``secret``;
    compared in constant time. What a receiver runs on the raw body before parsing it."""
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, sign(body, secret).encode("ascii"))


def body_of(notice: Notice) -> bytes:
    """The JSON body of ``notice`` as it is sent (and signed)."""
    recipient = notice.recipient
    payload: dict[str, Any] = {
        "alert": notice.alert,
        "recipient": {
            "role": recipient.role.value,
            "name": recipient.name,
            "phone": recipient.phone,
        },
        "level": notice.level,
        "sent_at": _iso(notice.sent_at),
        "ack_url": notice.ack_url,
        "notification_id": str(notice.notification_id),
        "purpose": notice.purpose.value,
    }
    # Naive datetimes in the alert object are UTC (the database's timestamptz); anything
    # orjson cannot write goes as text rather than lose the notification.
    return orjson.dumps(payload, option=orjson.OPT_NAIVE_UTC, default=str)


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()


class WebhookChannel:
    """POSTs each notice to one URL, at most ``concurrency`` at a time; a send past that
    waits for a slot (a slow receiver delays its own channel's sends, nothing else).
    ValueError for a URL that cannot be parsed (the URL is not quoted).

    ``client``: an ``httpx.AsyncClient`` to use (left open by ``aclose``); without it the
    channel makes one, sized to ``concurrency``, not following redirects."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        timeout_s: float = WEBHOOK_TIMEOUT_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._url = url
        try:
            # As httpx prints it in its log lines (normalised), to be hidden there.
            self.hidden_url = str(httpx.URL(url))
        except httpx.InvalidURL:
            raise ValueError("the webhook URL is not a valid URL") from None
        _HIDE_URLS.channels.add(self)
        self._secret = secret or None
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(concurrency)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    @property
    def name(self) -> str:
        return CHANNEL_NAME

    def headers_of(self, notice: Notice, body: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            NOTIFICATION_ID_HEADER: str(notice.notification_id),
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        return headers

    async def send(self, notice: Notice) -> Attempt:
        """Deliver ``notice`` once; never raises for a delivery problem (``Attempt``)."""
        body = body_of(notice)
        headers = self.headers_of(notice, body)
        async with self._slots:
            started = time.monotonic()
            attempt = await self._post(body, headers, started)
        log.info(
            "webhook notification %s (alert %s, %s): %s in %s ms",
            notice.notification_id,
            notice.alert.get("id"),
            notice.purpose.value,
            attempt.result,
            attempt.duration_ms,
        )
        return attempt

    async def _post(self, body: bytes, headers: dict[str, str], started: float) -> Attempt:
        try:
            # httpx's timeout is per phase (connect, each read): the overall bound keeps a
            # receiver that trickles its answer byte by byte to the same 5 s.
            async with asyncio.timeout(self._timeout_s):
                status = await self._status_of(body, headers)
        except (TimeoutError, httpx.TimeoutException):
            return _failed("timeout", started, "no answer within the timeout", retry=True)
        except httpx.ConnectError as exc:
            if _refused(exc):
                return _failed("refused", started, "connection refused", retry=True)
            return _failed("error", started, "could not connect", retry=True)
        except httpx.UnsupportedProtocol:
            return _failed("error", started, "the URL's scheme is not http(s)", retry=False)
        except httpx.TransportError as exc:
            # The class name only: httpx's messages may quote the URL.
            return _failed("error", started, type(exc).__name__, retry=True)
        except httpx.InvalidURL:
            return _failed("error", started, "invalid URL", retry=False)
        return _answered(status, started)

    async def _status_of(self, body: bytes, headers: dict[str, str]) -> int:
        async with self._client.stream("POST", self._url, content=body, headers=headers) as rsp:
            read = 0
            async for chunk in rsp.aiter_raw():
                read += len(chunk)
                if read > MAX_RESPONSE_BYTES:
                    break
            return rsp.status_code

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _answered(status: int, started: float) -> Attempt:
    if 200 <= status < 300:
        return Attempt(ok=True, result=str(status), duration_ms=_since(started))
    retry = status in RETRY_STATUSES or status >= 500
    return Attempt(
        ok=False,
        result=str(status),
        duration_ms=_since(started),
        error=f"HTTP {status}",
        retry=retry,
    )


def _failed(result: str, started: float, error: str, *, retry: bool) -> Attempt:
    return Attempt(ok=False, result=result, duration_ms=_since(started), error=error, retry=retry)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _refused(exc: BaseException) -> bool:
    """Whether a connect error was a refusal (nothing listens): somewhere in its chain."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain is short; a bound keeps a cycle from looping
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
