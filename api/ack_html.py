"""The ack link's pages (``GET``/``POST /ack/{token}``): small, self-contained HTML for a
phone, in the console's traditional characters. Nothing is loaded from elsewhere (no
script, font or image: the Content-Security-Policy forbids it), and every value from the
database is HTML-escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

from alerting.ack_services import LinkOutcome, LinkState, LinkView
from alerting.models import Alert, Severity, Status

# The page may use its own inline style and post its own form, nothing else.
CONTENT_SECURITY_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
# The token in the URL is the capability: no Referer carries it away, no cache or search
# engine keeps the page, no other site frames the button.
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
CONFIRM_LABEL: Final = "確認已收到，我會處理"
INVALID_TITLE: Final = "連結無效"
CLOSED_TEXT: Final = "此警報已處理完畢，無需再確認"
ACKED_TEXT: Final = "已確認 — 謝謝"
SOMEONE_ACKED_TEXT: Final = "已有人確認"

_STATUS: Final = {Status.OPEN: "待處理", Status.ACKED: "已確認", Status.RESOLVED: "已處理完畢"}
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M"
_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f6f6f6;"
    "color:#111;line-height:1.5}main{max-width:32rem;margin:auto;background:#fff;"
    "padding:1rem 1.25rem;border-radius:.5rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem}dt{color:#555}"
    "dd{margin:0}.note{font-size:1.15rem;font-weight:600}"
    "button{width:100%;font-size:1.2rem;padding:.9rem;border:0;border-radius:.4rem;"
    "background:#c62828;color:#fff;margin-top:1rem}"
)


def view_page(view: LinkView, tz: ZoneInfo) -> HTMLResponse:
    """The page a GET shows: the alert and, while it is open, the confirm button."""
    if view.alert is None or view.state is LinkState.UNKNOWN:
        return invalid_page()
    if view.state is LinkState.CLOSED:
        return _alert_page(view.alert, view, tz, CLOSED_TEXT)
    if view.state is LinkState.ACKED:
        return _alert_page(view.alert, view, tz, _already(view))
    form = f'<form method="post"><button type="submit">{escape(CONFIRM_LABEL)}</button></form>'
    return _alert_page(view.alert, view, tz, None, form)


def outcome_page(outcome: LinkOutcome, view: LinkView, tz: ZoneInfo) -> HTMLResponse:
    """The page a POST answers with what pressing the button did."""
    if outcome is LinkOutcome.UNKNOWN or view.alert is None:
        return invalid_page()
    if outcome is LinkOutcome.CLOSED:
        return _alert_page(view.alert, view, tz, CLOSED_TEXT)
    if outcome is LinkOutcome.ACKED:
        return _alert_page(view.alert, view, tz, ACKED_TEXT)
    return _alert_page(view.alert, view, tz, _already(view))


def invalid_page(reason: str = "此確認連結不正確或已失效。") -> HTMLResponse:
    """403: a token that is not ours, altered, or of no alert (which of these is not said)."""
    body = f'<p class="note">{escape(reason)}</p>'
    return _page(INVALID_TITLE, body, status_code=403)


def _already(view: LinkView) -> str:
    # Who acked is told only to the recipient who did: another recipient learns that
    # someone is on it, not who.
    if view.acked_by_recipient and view.alert is not None and view.alert.acked_by:
        return f"您（{view.alert.acked_by}）已確認過此警報"
    return SOMEONE_ACKED_TEXT


def _alert_page(
    alert: Alert, view: LinkView, tz: ZoneInfo, note: str | None, form: str = ""
) -> HTMLResponse:
    rows = [
        ("事件", alert.summary),
        ("長者編號", alert.elder_id or "—"),
        ("發生時間", _local(alert.opened_at, tz)),
        ("狀態", _STATUS.get(Status(alert.status), alert.status)),
    ]
    if view.recipient_name:
        rows.append(("收件人", view.recipient_name))
    details = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    shown_note = "" if note is None else f'<p class="note">{escape(note)}</p>'
    return _page(_title(alert), f"{shown_note}<dl>{details}</dl>{form}")


def _title(alert: Alert) -> str:
    return "緊急警報確認" if alert.severity == Severity.CRITICAL else "警報確認"


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz).strftime(_TIME_FORMAT)}（{tz.key}）"


def _page(title: str, body: str, *, status_code: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} — 探訪</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status_code, headers=PAGE_HEADERS)
