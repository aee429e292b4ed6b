"""The SQL classifier of migration 0010 agrees with care.category.classify on every
combination of the fields, around the ages and birthdays where the rules change."""

from __future__ import annotations

import itertools
from datetime import date

from care.category import Facts, classify
from store.db import Conn

ON = date(2024, 3, 1)  # the day after 29 February of a leap year
BIRTHS = [
    None,
    date(1965, 3, 2),  # 58
    date(1964, 3, 1),  # 60 today
    date(1964, 3, 2),  # 59, 60 tomorrow
    date(1945, 3, 1),  # 79
    date(1944, 3, 1),  # 80 today
    date(1944, 2, 29),  # 80 since yesterday (leap day)
    date(1944, 3, 2),  # 79, 80 tomorrow
    date(2025, 1, 1),  # after the day asked
]


async def test_sql_category_matches_python_for_every_combination(conn: Conn) -> None:
    combos = list(
        itertools.product(
            BIRTHS,
            ["alone", "empty_nest", "left_behind", "with_family"],
            [False, True],  # incapacitated
            ["none", "mild", "severe"],
            [False, True],  # low_income
            [False, True],  # family_planning_special
            [False, True],  # couple_with_dependent
            [False, True],  # cares_for_dependent_child
            [None, "B"],
        )
    )
    rows = [
        Facts(b, lv, inc, False, dis, low, fps, cpl, car, ov)
        for (b, lv, inc, dis, low, fps, cpl, car, ov) in combos
    ]
    async with conn.cursor() as cur:
        await cur.execute(
            "CREATE TEMP TABLE f (i int, birth date, living text, inc bool, dis text, low bool,"
            " fps bool, cpl bool, car bool, override text)"
        )
        async with cur.copy("COPY f FROM STDIN") as copy:
            for i, combo in enumerate(combos):
                await copy.write_row((i, *combo))
        await cur.execute(
            "SELECT i, tanfang_care_category(override, birth, living, inc, dis, low, fps, cpl,"
            " car, %s) FROM f ORDER BY i",
            (ON,),
        )
        got = await cur.fetchall()
    assert len(got) == len(rows) > 6000
    mismatches = [(rows[i], sql_cat) for i, sql_cat in got if classify(rows[i], ON)[0] != sql_cat]
    assert mismatches == []
