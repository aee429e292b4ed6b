"""Dead letters as the ingest path stores them: a refused message (or item of one) with its
reason, written by binary COPY in the transaction of the batch that refused it
(``ingest_repo.write_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from store.db import Conn

_COPY_DEAD = sql.SQL(
    "COPY dead_letters (received_at, topic, device_id, reason, detail, payload, payload_size,"
    " source_kind, source_address) FROM STDIN (FORMAT BINARY)"
)
_DEAD_TYPES = ("timestamptz", "text", "text", "text", "text", "bytea", "int4", "text", "text")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused message (or item of one), as stored: the payload is already cut."""

    received_at: datetime
    topic: str
    device_id: str | None
    reason: str
    detail: str
    payload: bytes
    payload_size: int
    # The foreign source (devices.adapters) and address it came from; None for a native one.
    source_kind: str | None = None
    source_address: str | None = None


async def write_dead_letters(conn: Conn, dead_letters: Sequence[DeadLetter]) -> None:
    async with conn.cursor() as cur, cur.copy(_COPY_DEAD) as copy:
        copy.set_types(list(_DEAD_TYPES))
        for d in dead_letters:
            await copy.write_row(
                (
                    d.received_at,
                    d.topic,
                    d.device_id,
                    d.reason,
                    d.detail,
                    d.payload,
                    d.payload_size,
                    d.source_kind,
                    d.source_address,
                )
            )
