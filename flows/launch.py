"""Launch (phát động): the directive is issued, the units are enrolled and told, registration
opens."""

from prefect import flow, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.states import State

from flows import tasks
from flows.common import begin, conclude, documents_line, finish, pdf, send


class LaunchConfirmation(RunInput):
    """The admin's answer in the Prefect UI's form."""

    send_notices: bool = True
    note: str = ""


@flow(name="confirm-launch-notices")
def confirm_notices(recipients: int, timeout_s: int) -> bool:
    """Ask the admin, in the UI, before hundreds of notices go out. No answer: nothing sent."""
    try:
        answer = pause_flow_run(
            wait_for_input=LaunchConfirmation.with_initial_data(
                description=f"Gửi thông báo phát động tới {recipients} người nhận?",
                send_notices=True,
            ),
            timeout=timeout_s,
            poll_interval=min(10, max(1, timeout_s // 4)),
        )
    except FlowPauseTimeout:
        return False
    return bool(answer.send_notices)


@flow(name="launch")
def launch(
    movement: str,
    actor: str = "admin",
    ask_confirmation: bool = False,
    confirmation_timeout_s: int = 3600,
) -> State:
    outcome, m = begin(movement, "launch")
    if m is None:
        return conclude(outcome)

    # Who takes part
    outcome.counts["đơn vị tham gia"] = tasks.enrol_participants(movement)

    # The directive
    directive = tasks.issue_launch_directive(movement)
    documents_line(outcome, [directive])

    # The notices, once the admin agrees
    notices = tasks.build_launch_notices(movement, directive)
    if ask_confirmation and not confirm_notices(len(notices), confirmation_timeout_s):
        outcome.status = "not_confirmed"
        outcome.message = (
            f"Chưa gửi {len(notices)} thông báo: quản trị chưa xác nhận trong "
            f"{confirmation_timeout_s} giây. Chạy lại giai đoạn để gửi; văn bản giữ nguyên số."
        )
        return conclude(outcome)
    send(outcome, "launch", notices)
    pdf(outcome, [directive])

    finish(movement, "launch", outcome, actor=actor)
    return conclude(outcome)
