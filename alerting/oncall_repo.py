"""SQL of the on-call roster (interim: the full version comes with the on-call API)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from store.db import Conn, fetch_all


class OnCallShift(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    phone: str
    towns: list[str] | None
    starts_at: datetime
    ends_at: datetime
    created_at: datetime


async def on_duty(conn: Conn, town: str | None, at: datetime) -> list[OnCallShift]:
    return await fetch_all(
        conn,
        "SELECT id, name, phone, towns, starts_at, ends_at, created_at FROM on_call_shifts"
        " WHERE starts_at <= %s AND ends_at > %s AND (towns IS NULL OR %s = ANY(towns))"
        " ORDER BY starts_at, id",
        (at, at, town),
        OnCallShift,
    )
