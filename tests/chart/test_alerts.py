"""The PrometheusRule's alerts, as the chart renders them, through Prometheus's own `promtool`
(Debian package `prometheus`): `check rules`, then `test rules` with tests/chart/alerts_test.yaml,
where every alert fires in one case and stays silent in another; the rules read only metrics
the operator exposes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart import helm, metricnames

CASES = Path(__file__).parent / "alerts_test.yaml"
ALERTS = {
    "KodegenGenerationFailureRatioHigh",
    "KodegenQueueStuck",
    "KodegenRunsStuck",
    "KodegenGateFailuresSpike",
    "KodegenAICostOverBudget",
    "KodegenOperatorDown",
}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: apt-get install -y prometheus"
    return found


@pytest.fixture(scope="module")
def rules() -> dict[str, Any]:
    objects = helm.template({"metrics": {"prometheusRule": {"enabled": True}}})
    spec: dict[str, Any] = helm.find(objects, "PrometheusRule", "kodegen")["spec"]
    return spec


def write(rules: dict[str, Any], folder: Path) -> Path:
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules))
    shutil.copy(CASES, folder / CASES.name)
    return folder / CASES.name


def test_rules_are_valid(rules: dict[str, Any], tmp_path: Path) -> None:
    write(rules, tmp_path)
    done = subprocess.run(
        [promtool(), "check", "rules", str(tmp_path / "rules.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_every_alert_passes_its_promtool_cases(rules: dict[str, Any], tmp_path: Path) -> None:
    done = subprocess.run(
        [promtool(), "test", "rules", str(write(rules, tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_cases_can_fail(rules: dict[str, Any], tmp_path: Path) -> None:
    """The same cases against rules whose thresholds are out of reach: the firing cases fail."""
    silenced = yaml.safe_load(yaml.safe_dump(rules))
    for group in silenced["groups"]:
        for rule in group["rules"]:
            rule["expr"] = f"({rule['expr']}) and on() vector(0) > 1"
    done = subprocess.run(
        [promtool(), "test", "rules", str(write(silenced, tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    for alert in ALERTS - {"KodegenOperatorDown"}:
        assert f"alertname: {alert}" in done.stdout + done.stderr


def test_every_alert_fires_in_one_case_and_not_in_another(rules: dict[str, Any]) -> None:
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert names == ALERTS
    fired: set[str] = set()
    silent: set[str] = set()
    for case in yaml.safe_load(CASES.read_text())["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert fired == ALERTS and silent == ALERTS


def test_rules_read_only_exposed_metrics(rules: dict[str, Any]) -> None:
    exposed = metricnames.exposed()
    for group in rules["groups"]:
        for rule in group["rules"]:
            names = metricnames.selected(rule["expr"])
            assert names, rule["alert"]
            assert names <= exposed, f"{rule['alert']} reads {sorted(names - exposed)}"


def test_thresholds_are_values() -> None:
    values = {"metrics": {"prometheusRule": {"enabled": True, "aiCostPerHourUSD": 2.5}}}
    spec = helm.find(helm.template(values), "PrometheusRule", "kodegen")["spec"]
    rules = [rule for group in spec["groups"] for rule in group["rules"]]
    (cost,) = [rule for rule in rules if rule["alert"] == "KodegenAICostOverBudget"]
    assert cost["expr"].strip().endswith("> 2.5")
