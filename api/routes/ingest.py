"""``/api/v1/ingest/{name}``: vendor platforms that can only call a URL (source ``http:<name>``).

No bearer token: the vendor signs the raw body with the source's secret
(``TANFANG_INGEST_SECRETS``), ``X-Tanfang-Signature: sha256=<hex HMAC-SHA256>`` — the form of
Tanfang's own webhook signature. The answer comes after the commit, so the vendor's retry
is safe (idempotent by each reading's ``message_id``).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Header, HTTPException, Path, Request, status

from alerting.webhook import verify_signature
from api.errors import field_error
from api.state import StateDep
from devices import services
from devices.adapters.registry import HTTP_PREFIX
from devices.http_ingest import BodyUnusableError, IngestCounts

router = APIRouter(prefix="/ingest", tags=["ingest"])

# One answer for an unknown source and a bad signature: a caller learns nothing of which
# sources exist.
BAD_SIGNATURE: Final = "missing or wrong X-Tanfang-Signature for this source"


@router.post(
    "/{name}",
    response_model=IngestCounts,
    responses={
        401: {"description": BAD_SIGNATURE},
        422: {"description": "the body is wrong as a whole (the field named)"},
        503: {"description": "the database is unavailable: retry"},
    },
)
async def ingest(
    name: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="the source")],
    request: Request,
    state: StateDep,
    signature: Annotated[str | None, Header(alias="X-Tanfang-Signature")] = None,
) -> IngestCounts:
    """Store a vendor's events (one object or an array; docs/api.md, "HTTP ingest"):
    200 with what was stored, found stored before, or refused, once committed."""
    body = await request.body()
    source = HTTP_PREFIX + name
    secret = state.settings.ingest_secret_by_source.get(source)
    if secret is None or signature is None or not verify_signature(body, secret, signature):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, BAD_SIGNATURE)
    try:
        return await services.ingest_http(state.ingestor, source, body, state.clock())
    except BodyUnusableError as exc:
        raise field_error(("body",), str(exc), None) from None
