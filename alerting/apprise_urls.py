"""``TANFANG_NOTIFY_URLS``: the extra notification channels, apprise URLs separated by commas.

A URL holding ``{phone}`` is a **personal** channel: each notification goes to the
recipient's own phone number, substituted into the URL (an SMS or voice gateway). A URL
without it is a **shared** channel (a group bot, an ntfy topic, a mailing list) whose
message names the recipient. No other placeholder exists: a name never goes into a URL.

The URLs carry credentials: nothing here puts one into an error message or a log line; a
URL is named by its position in the setting (1, 2, …) and its scheme.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Final
from urllib.parse import quote

import apprise

PHONE: Final = "{phone}"
# Apprise's own URLs hold commas too (``mailto://…?to=a@x.cn,b@y.cn``): the setting is cut
# only at a comma that starts another URL (``,scheme://``). A literal comma followed by
# what looks like a URL must be written %2C.
_SPLIT: Final = re.compile(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PLACEHOLDER: Final = re.compile(r"\{[^{}/?&=]*\}")
# What a personal URL is checked with at start (any well-formed number would do).
_SAMPLE_PHONE: Final = "13800000000"
# Characters of a phone number that go into a URL as they are ("+86…" stays readable for
# a gateway); everything else is percent-encoded.
_PHONE_SAFE: Final = "+"


class NotifyUrlError(ValueError):
    """A notification URL that cannot be used; the message names its position and scheme,
    never the URL."""


@dataclass(frozen=True, slots=True)
class NotifyUrl:
    """One URL of the setting: ``index`` its position (from 1), ``url`` the secret text."""

    index: int
    scheme: str
    url: str = field(repr=False)  # never shown: it carries credentials

    @property
    def personal(self) -> bool:
        return PHONE in self.url

    def for_phone(self, phone: str) -> str:
        """The URL with ``{phone}`` replaced by ``phone`` (percent-encoded)."""
        return self.url.replace(PHONE, quote(phone.strip(), safe=_PHONE_SAFE))


def split_urls(raw: str | None) -> list[str]:
    """The URLs of the setting, in order, blanks dropped."""
    if not raw:
        return []
    pieces = (piece.strip().strip(",").strip() for piece in _SPLIT.split(raw.strip()))
    return [piece for piece in pieces if piece]


def parse_notify_urls(raw: str | None) -> list[NotifyUrl]:
    """The setting's URLs, each checked with apprise; NotifyUrlError for the first that
    cannot be used."""
    urls = []
    for index, url in enumerate(split_urls(raw), start=1):
        match = _SCHEME.match(url)
        if match is None:
            raise NotifyUrlError(
                f"TANFANG_NOTIFY_URLS #{index} is not a URL (scheme://…); separate URLs with"
                " commas and write a literal comma as %2C"
            )
        scheme = match.group(1).lower()
        parsed = NotifyUrl(index, scheme, url)
        _check(parsed)
        urls.append(parsed)
    return urls


def _check(parsed: NotifyUrl) -> None:
    where = f"TANFANG_NOTIFY_URLS #{parsed.index} ({parsed.scheme}://)"
    others = [p for p in _PLACEHOLDER.findall(parsed.url) if p != PHONE]
    if others:
        raise NotifyUrlError(
            f"{where} holds a placeholder other than {PHONE}: only the recipient's phone"
            " may be put into a URL"
        )
    url = parsed.for_phone(_SAMPLE_PHONE) if parsed.personal else parsed.url
    if instantiate(url) is None:
        raise NotifyUrlError(
            f"{where} is not a URL apprise understands (unknown scheme, or a part missing"
            " or wrong: see apprise's page of that service; a literal comma is written %2C)"
        )


def channel_names(urls: list[NotifyUrl]) -> list[str]:
    """Each URL's channel name as the timeline shows it: ``apprise:<scheme>``, with
    ``#<index>`` when two URLs share a scheme."""
    counts: dict[str, int] = {}
    for url in urls:
        counts[url.scheme] = counts.get(url.scheme, 0) + 1
    return [
        f"apprise:{u.scheme}" if counts[u.scheme] == 1 else f"apprise:{u.scheme}#{u.index}"
        for u in urls
    ]


# Sent from our own worker threads one service at a time (no apprise thread pools, no
# apprise time limit: the channel bounds both); nothing written to disk (neither apprise's
# persistent store nor its captured log lines, which hold payloads); English log lines,
# which the channel reads to tell a refusal from a timeout.
@cache
def asset() -> apprise.AppriseAsset:
    return apprise.AppriseAsset(
        async_mode=False,
        service_timeout=0,
        storage_mode="memory",
        result_log_disk_size=0,
        language="en",
        secure_logging=True,
    )


def instantiate(url: str) -> apprise.NotifyBase | None:
    """Apprise's service object of ``url``, or None when apprise does not understand it."""
    quiet_apprise_logger()
    service = apprise.Apprise.instantiate(url, asset=asset())
    return service if isinstance(service, apprise.NotifyBase) else None


# The channels' worker threads are named so; what libraries log on them is theirs.
THREAD_PREFIX: Final = "apprise-"
# Loggers of the HTTP library under apprise that name the URL requested (path and query:
# a personal URL's phone number) at DEBUG.
_URL_LOGGERS: Final = ("urllib3.connectionpool", "urllib3.util.retry", "requests")


class _NotOnAppriseThreads(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.threadName or not record.threadName.startswith(THREAD_PREFIX)


@cache
def quiet_apprise_logger() -> None:
    """Apprise's log lines name hosts, URLs and payloads (phone numbers, names): they are
    kept from every handler of ours (no propagation) and only captured, per send, by the
    channel that classifies a failure from them (DEBUG: the socket error that tells a
    refusal is logged at that level). The HTTP library's lines of the channels' threads
    are dropped for the same reason."""
    logger = logging.getLogger("apprise")
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    logger.setLevel(logging.DEBUG)
    for name in _URL_LOGGERS:
        logging.getLogger(name).addFilter(_NotOnAppriseThreads())
