"""prefect.yaml declares a deployment for every stage and the sweep, as thidua.lifecycle says."""

import importlib

import yaml
from prefect import Flow

from thidua.lifecycle import PROCESS
from thidua.settings import PROJECT_ROOT

SPEC = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in SPEC["deployments"]}


def _flow(entrypoint: str) -> Flow:
    path, func = entrypoint.split(":")
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), func)


def test_every_stage_has_its_deployment_and_flow() -> None:
    for s in PROCESS:
        flow_name, deployment = s.deployment.split("/")
        d = DEPLOYMENTS[deployment]
        assert d["entrypoint"] == s.entrypoint, s.name
        flow = _flow(d["entrypoint"])
        assert isinstance(flow, Flow) and flow.name == flow_name
        params = set(flow.parameters.properties)
        assert {"movement", "actor"} <= params and set(s.params) <= params
        assert set(d.get("parameters", {})) <= params, d["name"]
        assert d["work_pool"]["name"] == "thidua"


def test_sweep_runs_daily_in_vietnam_time() -> None:
    d = DEPLOYMENTS["daily-sweep"]
    assert _flow(d["entrypoint"]).name == "daily-sweep"
    (schedule,) = d["schedules"]
    assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
    assert schedule["cron"].split()[2:] == ["*", "*", "*"]


def test_no_remote_storage() -> None:
    assert SPEC["build"] is None and SPEC["push"] is None
    (step,) = SPEC["pull"]
    assert "prefect.deployments.steps.set_working_directory" in step


def test_deployments_share_the_cli_stage_names_and_ask_for_the_movement() -> None:
    assert set(DEPLOYMENTS) == {s.name for s in PROCESS} | {"daily-sweep"}
    for s in PROCESS:
        d = DEPLOYMENTS[s.name]
        assert "movement" not in d.get("parameters", {}), s.name  # no default movement
        assert d.get("parameters", {}) == s.params, s.name
        assert "movement" in _flow(d["entrypoint"]).parameters.required
