"""``tanfang import homes.json`` and the simulator's registration, against the real API
served over HTTP on the test's own database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from simulators.register import RegisterError, register_world
from simulators.world import World, build_world
from tanfang.cli import app
from tanfang.settings import Settings
from tests.rig.ports import free_port
from tests.simulators.api_server import serving_api
from tests.simulators.helpers import START


@pytest.fixture
def api_url(settings: Settings) -> Iterator[str]:
    with serving_api(settings) as url:
        yield url


def homes_of(world: World) -> dict[str, Any]:
    """The world's homes.json, every refusal of visits given the reason the API asks for."""
    homes = world.homes_json()
    for elder in homes["elders"]:
        if not elder["visit_consent"]:
            elder["refusal_reason"] = "不願被打擾"
    return homes


def write(path: Path, homes: dict[str, Any]) -> Path:
    path.write_text(json.dumps(homes, ensure_ascii=False), "utf-8")
    return path


def run_import(path: Path, api_url: str, token: str) -> Result:
    args = ["import", str(path), "--api-url", api_url, "--token", token]
    return CliRunner().invoke(app, args)


def counts(output: str) -> dict[str, dict[str, int]]:
    """The summary line's figures: {"elders": {"created": 200, …}, …}."""
    line = next(x for x in output.splitlines() if x.startswith("elders:"))
    found: dict[str, dict[str, int]] = {}
    for part in line.split("; "):
        kind, figures = part.split(": ")
        found[kind] = {o: int(n) for n, o in (f.split(" ") for f in figures.split(", "))}
    return found


@pytest.mark.slow
def test_importing_200_homes_creates_them_then_changes_nothing_then_only_what_the_file_changed(
    api_url: str, admin_token: str, tmp_path: Path
) -> None:
    homes = homes_of(build_world(200, 3, START))
    n_devices = len(homes["devices"])
    n_contacts = sum(len(c) for c in homes["contacts"].values())
    path = write(tmp_path / "homes.json", homes)

    first = run_import(path, api_url, admin_token)
    assert first.exit_code == 0, first.output
    assert counts(first.stdout) == {
        "elders": {"created": 200, "updated": 0, "unchanged": 0, "refused": 0},
        "devices": {"created": n_devices, "updated": 0, "unchanged": 0, "refused": 0},
        "contacts": {"created": n_contacts, "updated": 0, "unchanged": 0, "refused": 0},
    }

    second = run_import(path, api_url, admin_token)
    assert second.exit_code == 0, second.output
    assert second.stderr == ""  # no progress bar drawn when not on a terminal
    assert counts(second.stdout) == {
        "elders": {"created": 0, "updated": 0, "unchanged": 200, "refused": 0},
        "devices": {"created": 0, "updated": 0, "unchanged": n_devices, "refused": 0},
        "contacts": {"created": 0, "updated": 0, "unchanged": n_contacts, "refused": 0},
    }

    elder, device = homes["elders"][17], homes["devices"][40]
    elder["village"] = "新村"
    device["room"] = "bathroom" if device["room"] != "bathroom" else "kitchen"
    added = {"name": "關志強", "phone": "13900001111", "relation": "neighbour"}
    homes["contacts"][elder["id"]].append(added)
    third = run_import(write(path, homes), api_url, admin_token)
    assert third.exit_code == 0, third.output
    assert counts(third.stdout) == {
        "elders": {"created": 0, "updated": 1, "unchanged": 199, "refused": 0},
        "devices": {"created": 0, "updated": 1, "unchanged": n_devices - 1, "refused": 0},
        "contacts": {"created": 1, "updated": 0, "unchanged": n_contacts, "refused": 0},
    }
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_token}"}) as c:
        assert c.get(f"/api/v1/elders/{elder['id']}").json()["village"] == "新村"
        assert c.get(f"/api/v1/devices/{device['id']}").json()["room"] == device["room"]
        listed = c.get(f"/api/v1/elders/{elder['id']}/contacts").json()
    assert sum(x["name"] == added["name"] and x["phone"] == added["phone"] for x in listed) == 1


def test_a_refused_elder_is_counted_with_its_fields_and_the_others_are_imported(
    api_url: str, admin_token: str, tmp_path: Path
) -> None:
    homes = homes_of(build_world(3, 4, START))
    bad = homes["elders"][1]
    bad["birth_date"] = "1850-01-01"
    bad["phone"] = "call me"
    name = bad["name"]
    path = write(tmp_path / "homes.json", homes)

    result = run_import(path, api_url, admin_token)

    assert result.exit_code == 1
    found = counts(result.stdout)
    assert found["elders"] == {"created": 2, "updated": 0, "unchanged": 0, "refused": 1}
    bad_devices = sum(d["elder_id"] == bad["id"] for d in homes["devices"])
    assert found["devices"]["refused"] == bad_devices
    assert found["devices"]["created"] == len(homes["devices"]) - bad_devices
    assert f"refused elder {bad['id']}: HTTP 422 (birth_date, phone)" in result.stdout
    for device in homes["devices"]:
        if device["elder_id"] == bad["id"]:
            assert f"refused device {device['id']}: HTTP 422 (elder_id)" in result.stdout
    assert f"refused contact {bad['id']}#1: HTTP 404 (elder_id)" in result.stdout
    assert name not in result.output
    assert "call me" not in result.output
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_token}"}) as c:
        for elder in homes["elders"]:
            got = c.get(f"/api/v1/elders/{elder['id']}").status_code
            assert got == (404 if elder is bad else 200)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not JSON"),
        ('["elders"]', "not a homes.json"),
        ('{"elders": [{"name": "x"}]}', 'elders[0] is not an object with a string "id"'),
        ('{"elders": [], "contacts": []}', '"contacts" must be an object'),
    ],
)
def test_a_file_that_is_not_a_homes_json_is_one_line_and_exit_2(
    tmp_path: Path, content: str, said: str
) -> None:
    path = tmp_path / "homes.json"
    path.write_text(content, "utf-8")
    result = run_import(path, "http://127.0.0.1:9", "some-token")
    assert result.exit_code == 2
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_an_unreachable_api_is_one_line_naming_it_and_what_to_check(tmp_path: Path) -> None:
    path = write(tmp_path / "homes.json", homes_of(build_world(1, 4, START)))
    url = f"http://127.0.0.1:{free_port()}"
    result = run_import(path, url, "some-token")
    assert result.exit_code == 1
    assert f"cannot reach the API at {url}/api/v1" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "--api-url" in result.stderr
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, httpx.HTTPError)


def test_a_wrong_token_is_one_line_saying_the_api_refused_it(api_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "homes.json", homes_of(build_world(1, 4, START)))
    result = run_import(path, api_url, "not-the-token")
    assert result.exit_code == 1
    assert "refused the token (HTTP 401" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "--token" in result.stderr
    assert "Traceback" not in result.output


def test_api_url_and_token_default_to_the_settings(
    api_url: str, admin_token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tanfang.settings import get_settings

    port = api_url.rsplit(":", 1)[1]
    monkeypatch.setenv("TANFANG_API_HOST", "127.0.0.1")
    monkeypatch.setenv("TANFANG_API_PORT", port)
    monkeypatch.setenv("TANFANG_ADMIN_TOKEN", admin_token)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    get_settings.cache_clear()
    path = write(tmp_path / "homes.json", homes_of(build_world(1, 4, START)))
    try:
        result = CliRunner().invoke(app, ["import", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert counts(result.stdout)["elders"]["created"] == 1


def test_registering_a_world_twice_changes_nothing_and_never_doubles_contacts(
    api_url: str, admin_token: str
) -> None:
    world = build_world(3, 4, START)
    for home in world.homes:
        if not home.elder["visit_consent"]:
            home.elder["refusal_reason"] = "不願被打擾"
    first = register_world(world, api_url, admin_token)
    second = register_world(world, api_url + "/api/v1", admin_token)
    n_contacts = sum(len(home.contacts) for home in world.homes)
    assert first.counts["contacts"]["created"] == n_contacts
    assert second.counts["elders"]["unchanged"] == 3
    assert second.counts["devices"]["unchanged"] == len(world.devices)
    assert second.counts["contacts"]["unchanged"] == n_contacts
    assert second.counts["contacts"]["created"] == 0


def test_a_refused_registration_names_ids_and_fields_but_no_personal_data(
    api_url: str, admin_token: str
) -> None:
    world = build_world(2, 4, START)
    elder = world.homes[0].elder
    elder["visit_consent"], elder["phone"] = True, "phone: 13800138000 x"
    with pytest.raises(RegisterError) as caught:
        register_world(world, api_url, admin_token)
    message = str(caught.value)
    assert f"refused elder {elder['id']}: HTTP 422 (phone)" in message
    assert "13800138000" not in message
    assert str(elder["name"]) not in message


def test_import_files_alias_towns_under_the_registered_name_and_refuses_an_unknown_town(
    api_url: str, admin_token: str, tmp_path: Path
) -> None:
    homes = homes_of(build_world(3, 4, START))
    typed, simplified, unknown = homes["elders"]
    typed["town"], simplified["town"], unknown["town"] = "赤坎鎮 ", "赤坎镇", "赤崁墟"
    path = write(tmp_path / "homes.json", homes)

    first = run_import(path, api_url, admin_token)
    again = run_import(path, api_url, admin_token)

    assert counts(first.stdout)["elders"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "refused": 1,
    }
    assert f"refused elder {unknown['id']}: HTTP 422 (town)" in first.stdout
    assert counts(again.stdout)["elders"]["unchanged"] == 2
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_token}"}) as c:
        for elder in (typed, simplified):
            assert c.get(f"/api/v1/elders/{elder['id']}").json()["town"] == "赤坎鎮"
