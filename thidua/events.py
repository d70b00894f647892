"""When a human decision completes a step, the next stage starts — without anyone pressing
a button. The step's domain call commits first, then calls `step_completed`.

The default runs the stage through its deployment when a Prefect server has one, in this
process otherwise (the CLI and the demo). The portal swaps in a background starter so that a
request never waits for a stage."""

from collections.abc import Callable

from thidua.triggers import start_stage

Starter = Callable[[str, str, str], object]


def _start(movement: str, stage: str, actor: str) -> object:
    return start_stage(movement, stage, actor=actor)


starter: Starter = _start


def step_completed(movement: str, next_stage: str, *, actor: str) -> object:
    return starter(movement, next_stage, actor)
