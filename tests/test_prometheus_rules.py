"""The shipped Prometheus alert rules parse, and every rule's expression names metrics that
the code exports (a renamed metric would leave a rule that never fires)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY

import gateway.metrics  # noqa: F401  (registers the gateway's metrics)

RULES = Path(__file__).parents[1] / "deploy" / "prometheus" / "tanfang-rules.yml"
OUR_METRIC = re.compile(r"\btanfang_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


def exported() -> set[str]:
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_names_only_metrics_the_code_exports() -> None:
    known = exported()
    for rule in rules():
        named = OUR_METRIC.findall(rule["expr"])
        assert named, f"{rule['alert']} names none of our metrics"
        unknown = [name for name in named if name not in known]
        assert unknown == [], f"{rule['alert']} names metrics nobody exports: {unknown}"


def test_the_rules_cover_the_broker_the_heartbeats_health_and_handler_failures() -> None:
    expressions = " ".join(rule["expr"] for rule in rules())
    for metric in (
        "tanfang_mqtt_connected",
        "tanfang_gateway_heartbeat_age_seconds",
        "tanfang_health_degraded",
        "tanfang_handler_failures_total",
    ):
        assert metric in expressions


def test_every_rule_has_a_name_a_severity_and_a_summary() -> None:
    for rule in rules():
        assert rule["alert"].startswith("Tanfang")
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]
