"""Masking: every identity field of the file is masked in lists and for viewers, and a
viewer cannot confirm a masked value by searching for it."""

from __future__ import annotations

import httpx
import pytest

from api.masking import mask_phone
from tests.api.conftest import TokenMaker, bearer, elder_body

ELDERS = "/api/v1/elders"
IDENTITY = {
    "contact_person": "李社工",
    "contact_person_phone": "13900001111",
    "visit_consent": False,
    "refusal_reason": "兒子王大明不同意上門",
}


async def test_list_masks_the_contact_person_and_refusal_reason_too(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1", **IDENTITY), headers=admin)
    (item,) = (await client.get(ELDERS, headers=admin)).json()["items"]
    assert item["contact_person"] == "李*工"
    assert item["contact_person_phone"] == "139****1111"
    assert item["refusal_reason"] == "…"
    single = (await client.get(f"{ELDERS}/KP-1", headers=admin)).json()
    assert single["contact_person"] == "李社工"
    assert single["refusal_reason"] == IDENTITY["refusal_reason"]


async def test_viewer_reads_the_single_file_with_every_identity_field_masked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1", **IDENTITY), headers=admin)
    viewer = bearer(await make_token("viewer"))
    got = (await client.get(f"{ELDERS}/KP-1", headers=viewer)).json()
    assert (got["name"], got["phone"]) == ("王*明", "138****5678")
    assert "address" not in got  # even trimmed, it names the village
    assert (got["contact_person"], got["contact_person_phone"]) == ("李*工", "139****1111")
    assert got["refusal_reason"] == "…"


async def test_viewer_search_matches_the_file_id_only_and_cannot_confirm_a_phone(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1"), headers=admin)
    viewer = bearer(await make_token("viewer"))
    for probe in ("13812345678", "王小明", "南村"):
        found = (await client.get(ELDERS, params={"q": probe}, headers=viewer)).json()
        assert found["items"] == [], probe
        by_admin = (await client.get(ELDERS, params={"q": probe}, headers=admin)).json()
        assert [i["id"] for i in by_admin["items"]] == ["KP-1"], probe
    by_id = (await client.get(ELDERS, params={"q": "kp-"}, headers=viewer)).json()
    assert [i["id"] for i in by_id["items"]] == ["KP-1"]


async def test_viewer_sees_the_due_lists_contact_person_masked(
    client: httpx.AsyncClient, admin: dict[str, str], make_token: TokenMaker
) -> None:
    await client.post(ELDERS, json=elder_body("KP-1", contact_person="李社工"), headers=admin)
    viewer = bearer(await make_token("viewer"))
    (item,) = (await client.get("/api/v1/visits/due", headers=viewer)).json()["items"]
    assert item["contact_person"] == "李*工"
    (staff_item,) = (await client.get("/api/v1/visits/due", headers=admin)).json()["items"]
    assert staff_item["contact_person"] == "李社工"


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("13812345678", "138****5678"),
        ("075012345678", "075*****5678"),
        ("27612345", "******45"),
        ("123456", "****56"),
        ("12345", "*****"),
        ("110", "***"),
    ],
    ids=["mobile", "landline_with_area_code", "local_landline", "six_digits", "five", "three"],
)
def test_a_masked_phone_always_hides_at_least_four_and_a_short_one_whole(
    phone: str, shown: str
) -> None:
    assert mask_phone(phone) == shown
