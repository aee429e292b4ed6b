"""Notification channels through apprise (``TANFANG_NOTIFY_URLS``): e-mail, WeCom /
DingTalk / Feishu bots, SMS and voice gateways, ntfy — one channel per URL.

A **personal** URL (holding ``{phone}``) sends to the recipient's own number; a recipient
without one is answered ``no_address`` at once (the next channel of the chain takes over).
A **shared** URL sends to its group, the message naming the recipient. These channels are
links of each recipient's fallback chain (``chained``): the escalation tries them in the
order of the setting until one reaches the person.

Apprise sends synchronously: each channel sends on worker threads of its own (at most
``DEFAULT_CONCURRENCY``), so a service that hangs holds its own channel's threads only,
never the event loop or another channel; a send has ``NOTIFY_TIMEOUT_S`` in all. Whether
it went through is apprise's answer; why it failed is read from apprise's log lines of that
send (captured, never logged: they name hosts and URLs), and only a fixed short text goes
into the ``Attempt``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar, Final
from zoneinfo import ZoneInfo

import apprise

from alerting.apprise_text import body_of, title_of
from alerting.apprise_urls import (
    THREAD_PREFIX,
    NotifyUrl,
    asset,
    channel_names,
    instantiate,
    parse_notify_urls,
    quiet_apprise_logger,
)
from alerting.channels import Attempt, Notice

log = logging.getLogger(__name__)

# An SOS must not wait on one slow service: past this the send counts as failed and the
# chain moves on. The service's own socket timeouts are capped to it too, so that a worker
# thread stuck on a dead host comes back about as soon.
NOTIFY_TIMEOUT_S: Final = 5.0
# Worker threads per channel: a service that hangs holds at most this many, each for about
# the timeout; sends past that wait in the channel's queue within their own timeout.
DEFAULT_CONCURRENCY: Final = 8
# A queued send that reaches a worker with less than this left of its timeout is not
# started: it has been (or is about to be) answered "timeout" and will be retried, so
# starting it now would most likely deliver it twice. (One started just before still can:
# its connect and read timeouts are each capped at what is left.)
MIN_START_S: Final = 0.05
# How apprise's plugins word what went wrong (language "en", see apprise_urls.asset).
_HTTP_STATUS: Final = re.compile(r"error=(\d{3})\b")
_REFUSED: Final = re.compile(r"connection refused|errno 111\b|winerror 10061", re.IGNORECASE)
_TIMED_OUT: Final = re.compile(r"timed? ?out", re.IGNORECASE)
_CONNECT: Final = re.compile(r"connection error|could not connect|name or service", re.I)
# 408 and 429 say "later", 5xx that the service is in trouble: trying again may help.
_RETRY_STATUSES: Final = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class _Sent:
    """What one send on a worker thread came to; ``lines`` are apprise's log lines of it
    (they may hold the URL: read here, never logged or stored)."""

    ok: bool
    timed_out: bool
    lines: tuple[str, ...]
    understood: bool = True


class AppriseChannel:
    """One apprise URL as a notification channel named ``name`` (``apprise:<scheme>``);
    times in the message are shown in ``tz``."""

    chained: ClassVar[bool] = True

    def __init__(
        self,
        url: NotifyUrl,
        name: str,
        *,
        tz: ZoneInfo,
        timeout_s: float = NOTIFY_TIMEOUT_S,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        quiet_apprise_logger()
        self._url = url
        self._name = name
        self._tz = tz
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix=f"{THREAD_PREFIX}{url.index}"
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def personal(self) -> bool:
        return self._url.personal

    async def send(self, notice: Notice) -> Attempt:
        """Deliver ``notice`` once; never raises for a delivery problem (``Attempt``)."""
        started = time.monotonic()
        if self.personal:
            phone = (notice.recipient.phone or "").strip()
            if not phone:
                return Attempt(
                    False, "no_address", 0, "the recipient has no phone number", retry=False
                )
            url = self._url.for_phone(phone)
        else:
            url = self._url.url
        title = title_of(notice)
        body = body_of(notice, self._tz, shared=not self.personal)
        future = self._pool.submit(_deliver, url, title, body, started + self._timeout_s)
        try:
            async with asyncio.timeout(self._timeout_s):
                sent = await asyncio.wrap_future(future)
        except TimeoutError:
            attempt = _failed("timeout", started, "no answer within the timeout", retry=True)
        except Exception as exc:
            # apprise is not meant to raise; if it does, this attempt fails. Its message may
            # quote the URL: only the class name is kept.
            log.warning(
                "%s notification %s: apprise raised %s",
                self._name,
                notice.notification_id,
                type(exc).__name__,
            )
            attempt = _failed("error", started, type(exc).__name__, retry=True)
        else:
            attempt = _attempt_of(sent, started)
        log.info(
            "%s notification %s (alert %s, %s): %s in %s ms",
            self._name,
            notice.notification_id,
            notice.alert.get("id"),
            notice.purpose.value,
            attempt.result,
            attempt.duration_ms,
        )
        return attempt

    async def aclose(self) -> None:
        # Sends not started are dropped; one on the wire ends by its (capped) socket timeout.
        self._pool.shutdown(wait=False, cancel_futures=True)


def apprise_channels(raw: str | None, tz: ZoneInfo) -> list[AppriseChannel]:
    """The channels of ``TANFANG_NOTIFY_URLS`` (``raw``), in its order: the fallback chain.
    NotifyUrlError (naming the URL's position and scheme) for one apprise cannot use."""
    urls = parse_notify_urls(raw)
    names = channel_names(urls)
    return [AppriseChannel(url, name, tz=tz) for url, name in zip(urls, names, strict=True)]


def _deliver(url: str, title: str, body: str, deadline: float) -> _Sent:
    """Send once, on a worker thread (apprise blocks), within what is left until
    ``deadline`` (``time.monotonic``); nothing is sent once too little is left."""
    cap_s = deadline - time.monotonic()
    if cap_s < MIN_START_S:
        return _Sent(ok=False, timed_out=True, lines=())
    # A service object per send: apprise's objects are not meant to be shared by threads.
    service = instantiate(url)
    if service is None:
        return _Sent(ok=False, timed_out=False, lines=(), understood=False)
    service.socket_connect_timeout = min(float(service.socket_connect_timeout), cap_s)
    service.socket_read_timeout = min(float(service.socket_read_timeout), cap_s)
    sender = apprise.Apprise(asset=asset())
    sender.add(service)
    result = sender.notify(
        body=body, title=title, body_format=apprise.NotifyFormat.TEXT, log_level=logging.DEBUG
    )
    lines = [entry.message for done in result.results for entry in done.logs()]
    lines += [entry.message for entry in result.call_logs()]
    for done in result.results:
        done.close()
    return _Sent(
        ok=result.status == apprise.AppriseResultStatus.SUCCESS,
        timed_out=result.status == apprise.AppriseResultStatus.TIMEOUT,
        lines=tuple(lines),
    )


def _attempt_of(sent: _Sent, started: float) -> Attempt:
    """The attempt of a send, its error a fixed text (apprise's lines may hold the URL)."""
    if sent.ok:
        return Attempt(ok=True, result="sent", duration_ms=_since(started))
    if not sent.understood:
        return _failed(
            "error", started, "apprise does not accept this recipient's phone", retry=False
        )
    text = "\n".join(sent.lines)
    status = _HTTP_STATUS.search(text)
    if status is not None:
        code = int(status.group(1))
        retry = code in _RETRY_STATUSES or code >= 500
        return _failed(str(code), started, f"HTTP {code}", retry=retry)
    if _REFUSED.search(text):
        return _failed("refused", started, "connection refused", retry=True)
    if sent.timed_out or _TIMED_OUT.search(text):
        return _failed("timeout", started, "no answer within the timeout", retry=True)
    if _CONNECT.search(text):
        return _failed("error", started, "could not connect", retry=True)
    return _failed("error", started, "the service did not accept the notification", retry=True)


def _failed(result: str, started: float, error: str, *, retry: bool) -> Attempt:
    return Attempt(ok=False, result=result, duration_ms=_since(started), error=error, retry=retry)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
