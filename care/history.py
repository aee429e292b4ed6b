"""The elder file's history: every change, with who made it and when.

The plan asks the file to be "dynamically updated" (動態更新); staff need to see what
changed. A trigger on ``elders`` (migration 0010) writes the history, so no writer can
forget it; the writer names itself with ``care.audit_repo.set_actor`` in its transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class FieldChange(BaseModel):
    before: Any
    after: Any


class ElderChange(BaseModel):
    id: int
    elder_id: str
    changed_at: datetime
    changed_by: str
    operation: str  # "insert" | "update"
    changes: dict[str, FieldChange]


def change_of(row: dict[str, Any]) -> ElderChange:
    pairs = row["changes"] or {}
    changes = {field: FieldChange(before=old, after=new) for field, (old, new) in pairs.items()}
    return ElderChange.model_validate({**row, "changes": changes})
