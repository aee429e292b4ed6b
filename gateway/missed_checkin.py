"""``missed_checkin`` (contract §2 alert type, ``low``): a class B/C elder prompted to check
in (``care.prompts``: a ``checkin_prompt`` on the button, claimed per elder and day in
``checkin_prompts``) who did not answer within the prompt's window (until
``care.prompts.PROMPT_UNTIL`` local time that day) and has done nothing at home since the
prompt — no press, no activity of any sensor. Not under a declared absence. Run by the
detection leader (``gateway.detection``) every ``ROUND_S``; it clears (resolved by the
system, or noted on an acked alert) when the elder checks in or is active again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from alerting import lifecycle, repo
from alerting.clearing import clear_alert
from alerting.models import AlertSignal, AlertType, Outcome
from alerting.services import open_alert
from care.prompts import PROMPT_UNTIL
from gateway import detect_repo
from store.db import Conn

log = logging.getLogger(__name__)

ROUND_S: Final = 60.0
# A prompt whose window ended longer ago than this is not looked at again (a leader down
# for a day does not raise yesterday's misses late).
LOOK_BACK: Final = "12 hours"
ACTOR: Final = "detector"
BACK_REASON: Final = "checked in or active again"
CONDITION_OVER: Final = "condition_over"
_TYPE: Final = AlertType.MISSED_CHECKIN


@dataclass(slots=True)
class MissedCheckins:
    """The round; ``noted``: acked alerts whose elder is back, their end noted once."""

    zone: str
    noted: set[int] = field(default_factory=set)

    async def round(self, conn: Conn, now: datetime) -> int:
        """Clear what was answered, open what was missed; returns how many opened."""
        await self._clear(conn, now)
        opened = 0
        for miss in await detect_repo.missed_prompts(conn, now, PROMPT_UNTIL, self.zone, LOOK_BACK):
            zh = f"{miss.day} 的報平安提醒至 {PROMPT_UNTIL:%H:%M} 未獲回應，此後亦無任何活動"
            en = (
                f"the check-in prompt of {miss.day} went unanswered until "
                f"{PROMPT_UNTIL:%H:%M}, and nothing has moved at home since"
            )
            signal = AlertSignal(
                _TYPE,
                miss.elder_id,
                device_id=miss.device_id,
                summary=f"{zh} / {en}",
                actor=ACTOR,
                detail={"zh": zh, "en": en, "prompted_at": miss.sent_at.isoformat()},
            )
            await open_alert(conn, signal, now)
            opened += 1
        return opened

    async def _clear(self, conn: Conn, now: datetime) -> None:
        for alert in await detect_repo.active_alerts(conn, [_TYPE.value]):
            if alert.id in self.noted:
                continue
            back = await detect_repo.checked_in_since(conn, [alert.elder_id], alert.opened_at)
            if not back:
                continue
            if alert.status == "open":
                subject = lifecycle.subject_of(_TYPE, alert.elder_id, None)
                await clear_alert(
                    conn, _TYPE, subject, now, reason=BACK_REASON, outcome=Outcome.OTHER
                )
            elif alert.id not in self.noted:
                await repo.add_timeline(conn, alert.id, CONDITION_OVER, now, actor=ACTOR)
                self.noted.add(alert.id)
