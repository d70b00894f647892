"""`thidua status MOVEMENT`."""

from typing import Annotated

import typer


def status(
    movement: Annotated[str, typer.Argument(help="Mã phong trào, ví dụ hanam-sct-2022")],
    all_units: Annotated[
        bool, typer.Option("--all", help="Liệt kê mọi đơn vị còn nợ (mặc định: 20 đơn vị đầu)")
    ] = False,
) -> None:
    """Giai đoạn của phong trào, các hạn sắp tới và những gì mỗi đơn vị còn phải nộp."""
    from models.db import session_scope
    from thidua.status import movement_status
    from thidua.vn import long_date

    with session_scope() as session:
        st = movement_status(session, movement)
    m = st.movement
    typer.echo(f"{m.title} ({m.code})")
    typer.echo(f"Giai đoạn: {st.state_label}")
    typer.echo("Bước tiếp theo: " + (", ".join(st.next_stages) or "không có (đã kết thúc)"))
    typer.echo("Hạn sắp tới:")
    for due, label in st.deadlines[:6] or []:
        typer.echo(f"  - {label}: {long_date(due)}")
    if not st.deadlines:
        typer.echo("  (không còn hạn nào)")
    typer.echo(f"Đơn vị còn nợ: {len(st.owed)}")
    shown = list(st.owed.items()) if all_units else list(st.owed.items())[:20]
    for code, items in shown:
        owed = "; ".join(f"{o.label} (hạn {long_date(o.due_on)})" for o in items)
        typer.echo(f"  - {items[0].unit_name} [{code}]: {owed}")
    if len(shown) < len(st.owed):
        typer.echo(f"  … và {len(st.owed) - len(shown)} đơn vị khác (thêm --all để xem hết)")
    if st.notifications_waiting:
        typer.echo("Thông báo chờ gửi:")
        for line in st.notifications_waiting:
            typer.echo(f"  - {line}")
    if st.notification_failures:
        typer.echo(f"Thông báo gửi lỗi: {len(st.notification_failures)}")
        for line in st.notification_failures[:20]:
            typer.echo(f"  - {line}")
