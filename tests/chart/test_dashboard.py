"""The Grafana dashboard (charts/kodegen/files/dashboard.json): every panel has queries, every
query is valid PromQL (promtool) and reads only metrics the operator really exposes, and it
covers what an operator of kodegen looks at."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart import helm, metricnames

DASHBOARD = helm.CHART / "files" / "dashboard.json"


def panels() -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    found: list[dict[str, Any]] = document["panels"]
    return found


def queries() -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in panels() for target in panel["targets"]]


def test_every_panel_has_queries_and_a_unique_id() -> None:
    assert len(panels()) >= 10
    for panel in panels():
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert len({panel["id"] for panel in panels()}) == len(panels())


@pytest.mark.parametrize(("title", "expression"), queries(), ids=[q[1][:60] for q in queries()])
def test_query_reads_only_exposed_metrics(title: str, expression: str) -> None:
    names = metricnames.selected(expression)
    assert names, f"{title}: no metric in {expression}"
    missing = names - metricnames.exposed()
    assert not missing, f"{title}: the operator exposes no {sorted(missing)}"


def test_the_check_catches_a_metric_the_operator_does_not_expose() -> None:
    assert metricnames.selected(
        'sum by (reason) (rate(kodegen_generations_failed_total{reason!="x"}[5m]))'
        " / on() group_left kodegen_jobs_total offset 5m"
    ) == {"kodegen_generations_failed_total", "kodegen_jobs_total"}
    assert "kodegen_jobs_total" not in metricnames.exposed()


def test_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule's expression (Grafana's $__rate_interval
    replaced by a duration, as Grafana does before sending it)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install -y prometheus"
    rules = [
        {"record": f"kodegen:dashboard:{index}", "expr": expr.replace("$__rate_interval", "5m")}
        for index, (_, expr) in enumerate(queries())
    ]
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_shows_what_an_operator_looks_at() -> None:
    read = set().union(*(metricnames.selected(expr) for _, expr in queries()))
    assert {
        "kodegen_generations_started_total",
        "kodegen_generations_succeeded_total",
        "kodegen_generations_failed_total",
        "kodegen_stage_duration_seconds_bucket",
        "kodegen_generation_duration_seconds_bucket",
        "kodegen_gate_failures_total",
        "kodegen_generations_queued",
        "kodegen_generations_active",
        "kodegen_ai_tokens_total",
        "kodegen_ai_cost_usd_total",
        "kodegen_build_info",
    } <= read


def test_the_chart_ships_it_in_a_configmap() -> None:
    objects = helm.template({"metrics": {"dashboard": {"enabled": True}}})
    config_map = helm.find(objects, "ConfigMap", "kodegen-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["kodegen.json"]) == json.loads(DASHBOARD.read_text())
