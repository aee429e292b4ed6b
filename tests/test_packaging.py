"""A production install (the image: ``uv sync --no-dev``, no extras) holds production code
only: the demo's and the simulators' packages are optional extras that ``make install``
adds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_ONLY = {"amqtt", "pgserver", "paho-mqtt", "matplotlib"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0] for requirement in requirements}


def test_the_demo_and_simulator_packages_are_extras_not_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not EXTRAS_ONLY & _names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert _names(extras["demo"]) == {"amqtt", "pgserver", "paho-mqtt"}
    assert _names(extras["sim"]) == {"paho-mqtt", "matplotlib"}


def test_make_install_adds_the_extras_and_the_image_leaves_them_out() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    syncs = [line for line in makefile.splitlines() if "$(UV) sync" in line]
    assert syncs
    assert all("--all-extras" in line for line in syncs)
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    image_syncs = [line for line in dockerfile.splitlines() if line.startswith("RUN uv sync")]
    assert image_syncs
    assert all("--no-dev" in line and "extra" not in line for line in image_syncs)
