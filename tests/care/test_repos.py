"""The care repositories against the real database: history and audit are append-only,
contacts come back in the plan's order, compliance is one query, the report counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from care import audit_repo, compliance_repo, contacts_repo, history_repo, repo, report
from care.audit import Actor
from care.contacts import ContactCreate
from care.month import Month
from store.db import Conn
from tests.care.conftest import add_elder, add_visit

TZ = ZoneInfo("Asia/Shanghai")
MAY = Month(2026, 5)
ACTOR = Actor("token:7", "town_staff", "赤坎鎮")


def at(day: int, month: int = 5, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


async def test_every_change_of_a_file_is_kept_with_who_made_it(conn: Conn) -> None:
    await add_elder(conn, "KP-1")
    async with conn.transaction():
        await audit_repo.set_actor(conn, ACTOR)
        await conn.execute("UPDATE elders SET phone = '13800000000' WHERE id = 'KP-1'")
    await conn.execute("UPDATE elders SET updated_at = now() WHERE id = 'KP-1'")  # no change
    changes = await history_repo.history(conn, "KP-1")
    assert [c.operation for c in changes] == ["update", "insert"]
    assert changes[0].changed_by == "token:7"
    assert changes[0].changes["phone"].after == "13800000000"
    assert changes[1].changed_by == "system"


async def test_audit_log_and_history_refuse_update_and_delete(conn: Conn) -> None:
    await add_elder(conn, "KP-1")
    await audit_repo.record(conn, ACTOR, "read", "elder", "KP-1", town="赤坎鎮")
    [entry] = await audit_repo.entries(conn, "elder", "KP-1")
    assert (entry.actor, entry.action) == ("token:7", "read")
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM elder_history",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica; DELETE FROM audit_log",
        "SET session_replication_role = replica; UPDATE audit_log SET actor = 'x'",
        "SET session_replication_role = replica; TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
        "DROP TABLE audit_log CASCADE",
        "ALTER TABLE elder_history DISABLE TRIGGER elder_history_append_only",
    ],
    ids=[
        "delete_as_replica",
        "update_as_replica",
        "truncate_as_replica",
        "disable_the_guard",
        "disable_every_trigger",
        "drop_the_guard",
        "drop_the_truncate_guard",
        "drop_the_table",
        "disable_the_history_guard",
    ],
)
async def test_the_apps_connection_cannot_get_around_the_append_only_audit_log(
    conn: Conn, statement: str
) -> None:
    """The test rig connects as a superuser that owns the tables: the most the API's role
    can be. Every way it has around the row triggers is refused too."""
    await audit_repo.record(conn, ACTOR, "read", "elder", "KP-1", town="赤坎鎮")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with conn.transaction():
            await conn.execute(statement)
    await conn.execute("RESET session_replication_role")
    [entry] = await audit_repo.entries(conn, "elder", "KP-1")
    assert entry.actor == "token:7"


async def test_other_tables_may_still_be_altered_and_dropped(conn: Conn) -> None:
    await conn.execute("CREATE TABLE scratch (id int)")
    await conn.execute("ALTER TABLE scratch ADD COLUMN note text")
    await conn.execute("ALTER TABLE audit_log ALTER COLUMN detail SET STATISTICS 200")
    await conn.execute("DROP TABLE scratch")


async def test_contacts_come_back_in_the_emergency_order(conn: Conn) -> None:
    await add_elder(conn, "KP-1")
    for name, relation in (("甲", "village_staff"), ("乙", "relative"), ("丙", "child")):
        contact = ContactCreate(name=name, phone="13800000000", relation=relation)  # type: ignore[arg-type]
        await contacts_repo.add_contact(conn, "KP-1", contact, "admin")
    got = await contacts_repo.list_contacts(conn, "KP-1")
    assert [c.name for c in got] == ["丙", "乙", "甲"]
    assert await contacts_repo.has_contacts(conn, "KP-1")
    assert not await contacts_repo.has_contacts(conn, "KP-2")


async def test_compliance_reads_one_elder_month_in_one_query(conn: Conn) -> None:
    await add_elder(conn, "KP-1", birth_date=date(1950, 1, 1))
    await add_visit(conn, "KP-1", at(2, 1), "in_home")
    await add_visit(conn, "KP-1", at(3), "online")
    await add_visit(conn, "KP-1", at(20, 6), "in_home")  # weeks after the month: not read
    await conn.execute(
        "INSERT INTO watch_periods (town, starts_on, ends_on, reason, min_visits_per_week)"
        " VALUES (NULL, '2026-05-01', '2026-05-05', '勞動節', 1)"
    )
    found = await compliance_repo.elder_month(conn, "KP-1", MAY, TZ)
    assert found is not None
    assert found.elder.id == "KP-1"
    assert found.last_in_home_at == at(2, 1)
    assert [v.method for v in found.visits] == ["online"]
    assert [w.reason for w in found.watch] == ["勞動節"]
    assert await compliance_repo.elder_month(conn, "KP-404", MAY, TZ) is None


async def test_monthly_report_counts_classes_visits_rates_and_refusals(conn: Conn) -> None:
    await add_elder(conn, "A1", birth_date=date(1940, 1, 1), contact_person="李")  # A, 80+
    await add_elder(
        conn,
        "B1",
        birth_date=date(1960, 1, 1),
        cares_for_dependent_child=True,
        living_arrangement="with_family",
    )
    await add_elder(conn, "C1", birth_date=date(1960, 1, 1), visit_consent=False)
    await add_elder(conn, "N1", birth_date=date(1960, 1, 1), living_arrangement="with_family")
    await add_elder(conn, "S1", town="水口鎮", birth_date=date(1960, 1, 1))
    await add_visit(conn, "A1", at(5), "in_home")
    await add_visit(conn, "B1", at(6), "online", source="checkin")
    await add_visit(conn, "B1", at(1, 1), "in_home")
    await add_visit(conn, "C1", at(7), "in_home", refused=True)
    await add_visit(conn, "S1", at(8), "phone")
    await add_visit(conn, "S1", datetime(2026, 4, 30, 16, 30, tzinfo=UTC), "video")  # 1 May local
    got = await report.monthly_report(conn, MAY, None, date(2026, 6, 15), TZ)
    towns = {row["town"]: row for row in got.towns}
    chikan = towns["赤坎鎮"]
    classes = (chikan["on_file"], chikan["class_a"], chikan["class_b"], chikan["class_c"])
    assert classes == (3, 1, 1, 1)
    assert chikan["not_served"] == 1
    assert chikan["visited"] == 2
    assert chikan["monthly_visit_rate"] == round(2 / 3, 4)
    assert chikan["plan_minimum_met"] == 2
    assert chikan["online_from_devices"] == 1
    assert (chikan["refusing_elders"], chikan["refused_visits"]) == (1, 1)
    assert chikan["with_contact_person"] == 1
    assert towns["水口鎮"]["visits_total"] == 2
    assert got.total["on_file"] == 4
    assert got.total["visited"] == 3
    assert got.total["alerts_sos"] == 0
    only = await report.monthly_report(conn, MAY, "水口鎮", date(2026, 6, 15), TZ)
    assert [row["town"] for row in only.towns] == ["水口鎮"]


def test_csv_has_a_bom_and_chinese_headings() -> None:
    built = report.build(
        MAY, None, date(2026, 5, 31), [{"town": "赤坎鎮", "on_file": 4, "visited": 3}], {}
    )
    text = report.to_csv(built).decode("utf-8")
    assert text.startswith("\ufeff鎮街,建檔人數,A類人數")
    assert "月探訪率" in text
    assert "75.0%" in text
    assert text.splitlines()[-1].startswith("合計,4,")


def test_xlsx_is_a_workbook_with_the_table() -> None:
    import io

    from openpyxl import load_workbook

    built = report.build(MAY, None, date(2026, 5, 31), [{"town": "赤坎鎮", "on_file": 4}], {})
    sheet = load_workbook(io.BytesIO(report.to_xlsx(built))).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == report.caption_of(built)
    assert rows[1][:2] == ["鎮街", "建檔人數"]
    assert "月探訪率" in rows[1]
    assert rows[2][:2] == ["赤坎鎮", 4]  # a count stays a number, not text


async def test_report_counts_visits_of_classified_elders_only_like_visited(conn: Conn) -> None:
    await add_elder(conn, "A1", birth_date=date(1940, 1, 1))
    await add_elder(conn, "N1", birth_date=date(1960, 1, 1), living_arrangement="with_family")
    await add_visit(conn, "A1", at(5), "phone")
    await add_visit(conn, "N1", at(5), "in_home")
    await add_visit(conn, "N1", at(6), "online", source="checkin")
    await add_visit(conn, "N1", at(7), "phone", refused=True)
    got = (await report.monthly_report(conn, MAY, None, date(2026, 6, 15), TZ)).total
    assert (got["on_file"], got["not_served"], got["visited"]) == (1, 1, 1)
    assert (got["visits_total"], got["visits_phone"], got["visits_in_home"]) == (1, 1, 0)
    assert (got["visits_online"], got["online_from_devices"], got["refused_visits"]) == (0, 0, 0)


async def test_report_counts_the_plans_minimum_not_the_watch_weeks_and_says_so(
    conn: Conn,
) -> None:
    await add_elder(conn, "A1", birth_date=date(1940, 1, 1))
    await add_visit(conn, "A1", at(5), "in_home")
    await conn.execute(
        "INSERT INTO watch_periods (town, starts_on, ends_on, reason, min_visits_per_week)"
        " VALUES (NULL, '2026-05-10', '2026-05-16', '颱風', 2)"
    )
    got = await report.monthly_report(conn, MAY, None, date(2026, 6, 15), TZ)
    assert (got.total["plan_minimum_met"], got.total["plan_minimum_rate"]) == (1, 1.0)
    keys = dict(report.columns())
    assert keys["plan_minimum_met"] == "達到計劃最低探訪頻次人數"
    assert "compliant" not in keys


async def test_elder_list_filters_by_class_in_the_database_page_by_page(conn: Conn) -> None:
    for n in range(9):
        arrangement = "alone" if n % 3 else "with_family"  # with family at 86: not served
        await add_elder(
            conn, f"KP-{n}", birth_date=date(1940, 1, 1), living_arrangement=arrangement
        )
    on = date(2026, 5, 1)
    first = await repo.list_elders(conn, category="A", on=on, limit=2)
    assert [e.id for e in first] == ["KP-1", "KP-2"]
    rest = await repo.list_elders(conn, category="A", on=on, after="KP-2", limit=10)
    assert [e.id for e in rest] == ["KP-4", "KP-5", "KP-7", "KP-8"]
    none = await repo.list_elders(conn, category="none", on=on, limit=10)
    assert [e.id for e in none] == ["KP-0", "KP-3", "KP-6"]
    # Classed on the day asked: born 1 Jan 1940, not yet 80 at the end of 2019 (class C).
    assert await repo.list_elders(conn, category="A", on=date(2019, 12, 31), limit=10) == []
