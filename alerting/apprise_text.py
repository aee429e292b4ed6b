"""The words of a notification sent through apprise: a short Chinese title and body.

They hold nothing more personal than the webhook's body does: the alert's type, summary,
elder id, severity and times, the ack link, and — on a shared channel (a group chat, a
mailing list), so that its readers know whom it asks — the recipient's name and role. A
phone number never goes into the text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

from alerting.channels import Notice, Purpose, RecipientRole
from alerting.lifecycle import type_title
from alerting.recipients import LAST_RESORT_KEY

_SEVERITY: Final = {"critical": "緊急", "high": "重要", "low": "一般"}
_ROLE: Final = {
    RecipientRole.ON_CALL: "值班人員",
    RecipientRole.CONTACT: "緊急聯絡人",
    RecipientRole.TOWN: "鎮街值班",
}
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


def title_of(notice: Notice) -> str:
    alert = notice.alert
    severity = _SEVERITY.get(str(alert.get("severity")), str(alert.get("severity")))
    label = {
        Purpose.ALERT: f"【{severity}警報】",
        Purpose.REMINDER: "【提醒：仍未處理】",
        Purpose.RESOLUTION: "【已解除】",
        Purpose.LAST_RESORT: "【緊急：無人接手】",
    }[notice.purpose]
    elder = alert.get("elder_id")
    return f"{label}{type_title(str(alert.get('type')))}" + (f" · {elder}" if elder else "")


def body_of(notice: Notice, tz: ZoneInfo, *, shared: bool) -> str:
    """The message's text; ``shared``: the channel is read by others than the recipient."""
    alert = notice.alert
    lines = [str(alert.get("summary") or type_title(str(alert.get("type"))))]
    if alert.get("elder_id"):
        lines.append(f"長者編號：{alert['elder_id']}")
    severity = _SEVERITY.get(str(alert.get("severity")), str(alert.get("severity")))
    lines.append(f"級別：{severity}；升級層級 {notice.level}")
    lines.append(f"開始：{_local(alert.get('opened_at'), tz)}（{tz.key}）")
    if notice.purpose is Purpose.RESOLUTION and alert.get("resolved_at"):
        lines.append(f"解除：{_local(alert.get('resolved_at'), tz)}")
    if shared and notice.recipient.key != LAST_RESORT_KEY:
        role = _ROLE[notice.recipient.role]
        who = f"{notice.recipient.name}（{role}）" if notice.recipient.name else role
        lines.append(f"致：{who}")
    lines.append(_ask(notice))
    return "\n".join(lines)


def _ask(notice: Notice) -> str:
    link = notice.ack_url or ""
    if notice.purpose is Purpose.RESOLUTION:
        return "此警報已處理，無需再回應。"
    if notice.purpose is Purpose.REMINDER:
        return f"此警報確認後一直未處理，現已重新開啟；請跟進並在系統中結案。確認：{link}"
    if notice.purpose is Purpose.LAST_RESORT:
        return f"系統找不到在班的值班人員或聯絡人，請任何收到者立即處理並確認：{link}"
    return f"請打開連結確認已收到：{link}"


def _local(value: object, tz: ZoneInfo) -> str:
    """An ISO 8601 time of the alert object as local wall time (text as it came when it is
    not one)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:  # the database's timestamptz read without a zone: UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime(_TIME_FORMAT)
