"""The stages an admin (or the sweep, or the domain) can run, and the flow behind each.

One table: `thidua stage run`, the portal's buttons, prefect.yaml and the tests all read it.
Running one is the runtime's business (flows/start.py); the domain only receives a
`StartStage` handler from its caller when a step it completes starts the next stage."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StageDef:
    name: str  # what an admin types: thidua stage run MOVEMENT NAME
    flow: str  # the Prefect flow's name (= its deployment's flow part)
    entrypoint: str  # module:function
    steps: tuple[str, ...]  # the lifecycle steps it takes, in order
    label: str
    params: dict = field(default_factory=dict)

    @property
    def deployment(self) -> str:
        """`flow/deployment`: each deployment is named after the stage an admin types."""
        return f"{self.flow}/{self.name}"


STAGE_DEFS: tuple[StageDef, ...] = (
    StageDef("launch", "launch", "flows/launch.py:launch", ("launch", "open_registration"),
             "Phát động phong trào"),
    StageDef("open-period-1", "open-period", "flows/period.py:open_period", ("open_period_1",),
             "Bắt đầu Đợt 1", {"number": 1}),
    StageDef("close-period-1", "close-period", "flows/period.py:close_period",
             ("close_period_1",), "Kết thúc Đợt 1", {"number": 1}),
    StageDef("interim-review", "interim-review", "flows/review.py:interim_review",
             ("interim_review",), "Sơ kết"),
    StageDef("open-period-2", "open-period", "flows/period.py:open_period", ("open_period_2",),
             "Bắt đầu Đợt 2", {"number": 2}),
    StageDef("close-period-2", "close-period", "flows/period.py:close_period",
             ("close_period_2",), "Kết thúc Đợt 2", {"number": 2}),
    StageDef("final-tally", "final-tally", "flows/tally.py:final_tally", ("final_tally",),
             "Tổng kết"),
    StageDef("award-proposal", "award-proposal", "flows/awards.py:award_proposal",
             ("open_proposals",), "Đề nghị khen thưởng"),
    StageDef("appraisal", "appraisal", "flows/awards.py:appraisal", ("start_appraisal",),
             "Thẩm định và bỏ phiếu"),
    StageDef("decision", "decision", "flows/awards.py:decision", ("decide",),
             "Quyết định khen thưởng"),
    StageDef("close", "close-movement", "flows/awards.py:close_movement", ("close",),
             "Kết thúc phong trào"),
)  # fmt: skip

BY_NAME = {s.name: s for s in STAGE_DEFS}


@dataclass
class StageRun:
    """What starting a stage answered."""

    stage: str
    status: str  # done | pending | already_done | refused | not_confirmed | scheduled | failed
    message: str
    via: str  # deployment | in-process
    flow_run_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


class StartStage(Protocol):
    """Starts stage `stage` of `movement`: passed in by whoever calls a domain function that
    may start one (the CLI and the sweep: flows.start.start_stage; the portal: in the
    background; the demo: in its own process). Returns the run, or None when it runs on."""

    def __call__(self, movement: str, stage: str, *, actor: str) -> StageRun | None: ...


def stage_defs_for(periods: int) -> list[StageDef]:
    """The stages a movement with this many periods has, labelled for it: one period has no
    sơ kết and no Đợt 2, and its period is the year's ("Bắt đầu thi đua")."""
    from dataclasses import replace

    from thidua.lifecycle import TWO_PERIOD_STEPS, step_label

    if periods >= 2:
        return list(STAGE_DEFS)
    return [
        replace(d, label=step_label(d.steps[0], 1)) if d.steps[0].endswith("period_1") else d
        for d in STAGE_DEFS
        if not set(d.steps) & TWO_PERIOD_STEPS
    ]


def stage_def(name: str) -> StageDef:
    from thidua.errors import ThiduaError

    if name not in BY_NAME:
        raise ThiduaError(f"Không có giai đoạn '{name}'. Các giai đoạn: {', '.join(BY_NAME)}.")
    return BY_NAME[name]


def for_step(step: str) -> StageDef:
    """The stage that takes lifecycle step `step` (e.g. the sweep opening a period)."""
    return next(s for s in STAGE_DEFS if step in s.steps)
