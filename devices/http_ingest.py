"""HTTP ingest of vendor platforms: what the API asks for and what it is told, and the
interface it calls (``HttpIngestor``).

As for the dead-letter replay (``devices.replay``), the API may not import the gateway: the
composition root hands it an implementation on the gateway's decode and write path
(``gateway.http_ingest``), so an event posted by a vendor is checked and stored exactly as a
live one, its alert opened in the transaction that stores it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field


class IngestCounts(BaseModel):
    """What one posted body came to, once committed."""

    stored: int = Field(description="events newly stored")
    duplicate: int = Field(description="readings whose message_id was stored before")
    refused: int = Field(
        description="readings or items refused: kept as dead letters with their reason"
        " (unbound_source for a device id bound to no device)"
    )


class BodyUnusableError(ValueError):
    """Nothing in the body can be used (not JSON, not the documented shape)."""


class HttpIngestor(Protocol):
    async def ingest(self, source: str, body: bytes, received_at: datetime) -> IngestCounts:
        """Store what ``body`` of source ``http:<name>`` holds, in one transaction, and
        say so only after the commit. Raises ``BodyUnusableError`` for a body that is
        wrong as a whole."""
        ...
