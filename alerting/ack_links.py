"""Ack links: a token naming one alert and one recipient, signed with the installation's
key, so that a person can acknowledge from a phone without an API token (contract §2
"Notifications": ``GET``/``POST /ack/{token}``). Pure: no I/O, the key is handed in
(``alerting.secrets_repo.ack_link_key`` reads it).

A token is the URL-safe base64 (no padding) of::

    version (1 byte) | n (1 byte) | alert id (n bytes, big-endian, no leading zero byte)
    | recipient key (UTF-8) | HMAC-SHA256(key, DOMAIN | everything before it), first 16 bytes

The version is inside the signed bytes: a token of another format never reads as this one.
The token does not expire by itself: it is void once the alert is resolved (the page says
so) or the key is replaced.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

KEY_BYTES: Final = 32  # 256 random bits: as strong as SHA-256 itself
VERSION: Final = 1
# Separates this use of the key from any other it may get later.
DOMAIN: Final = b"tanfang.ack-link"
# 128 bits of the HMAC: forging one is as hard as guessing a random 128-bit value, and the
# link stays short enough for an SMS.
MAC_BYTES: Final = 16
_MAX_ID_BYTES: Final = 8
MAX_ALERT_ID: Final = 2**63 - 1  # the alerts table's bigint
# Recipient keys are "on_call:<id>", "contact:<id>", "town:<name>": far below this.
MAX_RECIPIENT_KEY_BYTES: Final = 200
_MAX_RAW: Final = 2 + _MAX_ID_BYTES + MAX_RECIPIENT_KEY_BYTES + MAC_BYTES
# The longest token make_token can make; anything longer is refused before decoding.
MAX_TOKEN_LENGTH: Final = (_MAX_RAW * 4 + 2) // 3
_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class AckClaim:
    """What a valid token names: the alert and the recipient it was sent to."""

    alert_id: int
    recipient_key: str


def make_token(key: bytes, alert_id: int, recipient_key: str) -> str:
    """The token of ``alert_id`` for ``recipient_key``, signed with ``key`` (at least
    ``KEY_BYTES``). ValueError for an id outside 1..2^63-1, an empty or too long recipient
    key, or a short signing key."""
    _check_key(key)
    if not 1 <= alert_id <= MAX_ALERT_ID:
        raise ValueError("alert id out of range")
    recipient = recipient_key.encode()
    if not 1 <= len(recipient) <= MAX_RECIPIENT_KEY_BYTES:
        raise ValueError(f"recipient key must be 1 to {MAX_RECIPIENT_KEY_BYTES} bytes")
    id_bytes = alert_id.to_bytes((alert_id.bit_length() + 7) // 8, "big")
    payload = bytes([VERSION, len(id_bytes)]) + id_bytes + recipient
    return _encode(payload + _mac(key, payload))


def read_token(key: bytes, token: str) -> AckClaim | None:
    """The claim of a token made with ``key``; None for anything else: malformed, too
    long, altered in any character, or made with another key (compared in constant time).
    ValueError for a signing key shorter than ``KEY_BYTES`` (a bug, not a bad link)."""
    _check_key(key)
    raw = _decode(token)
    if raw is None or len(raw) <= 2 + MAC_BYTES:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    version, id_length = payload[0], payload[1]
    if version != VERSION or not 1 <= id_length <= _MAX_ID_BYTES:
        return None
    id_bytes, recipient = payload[2 : 2 + id_length], payload[2 + id_length :]
    alert_id = int.from_bytes(id_bytes, "big")
    if len(id_bytes) != id_length or id_bytes[0] == 0 or not recipient:
        return None
    try:
        recipient_key = recipient.decode()
    except UnicodeDecodeError:
        return None
    if alert_id > MAX_ALERT_ID:
        return None
    return AckClaim(alert_id, recipient_key)


def ack_url(public_base: str, token: str) -> str:
    """The link people open: ``<public_base>/ack/<token>``."""
    return f"{public_base.rstrip('/')}/ack/{token}"


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, DOMAIN + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _check_key(key: bytes) -> None:
    if len(key) < KEY_BYTES:
        raise ValueError(f"an ack-link key has at least {KEY_BYTES} bytes")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(token: str) -> bytes | None:
    # The alphabet is checked first: the decoder would silently skip characters outside it.
    if len(token) > MAX_TOKEN_LENGTH or not _ALPHABET.fullmatch(token) or len(token) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # The last character's unused bits do not reach the bytes: only the one canonical
    # spelling of a token is that token.
    return raw if _encode(raw) == token else None
