"""`thidua notify …`: the delivery ledger by hand — send reminders due now, retry what is due,
list what could not be delivered."""

from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Thông báo email / Zalo: nhắc hạn, gửi lại, danh sách gửi lỗi.", no_args_is_help=True
)

MovementArg = Annotated[str, typer.Argument(help="Mã phong trào, ví dụ hanam-sct-2022")]


def _movement(session, code: str):
    from sqlmodel import select

    from models import Movement
    from thidua.errors import NotFound

    m = session.exec(select(Movement).where(Movement.code == code)).first()
    if m is None:
        raise NotFound(f"Không có phong trào mã '{code}'")
    return m


@app.command("remind")
def remind(
    movement: MovementArg,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Chỉ liệt kê tin nhắc đến hạn, không gửi")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="Tính như vào thời điểm này (giờ Việt Nam), ví dụ 2026-03-10T09:00"
        ),
    ] = None,
) -> None:
    """Gửi các tin nhắc hạn và báo cáo Thủ trưởng đến hạn hôm nay (theo lịch ngày làm việc)."""
    from datetime import datetime

    from models.db import session_scope
    from thidua.errors import InvalidInput, Problem
    from thidua.notify import deliver
    from thidua.reminders import due_reminders
    from thidua.vn import TZ, now

    when = now()
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise InvalidInput(
                "Thời điểm không hợp lệ", [Problem("--at", f"không đọc được {at!r}")]
            ) from None
        when = when if when.tzinfo else when.replace(tzinfo=TZ)
    with session_scope() as s:
        m = _movement(s, movement)
        msgs = due_reminders(s, m, when)
        mid = m.id
    if dry_run or not msgs:
        typer.echo(f"Tin đến hạn: {len(msgs)}")
        for msg in msgs[:50]:
            typer.echo(f"  - {msg.event} → người nhận #{msg.person_id}")
        return
    typer.echo(deliver(mid, msgs, now=when if at else None).summary())


@app.command("retry")
def retry(movement: MovementArg) -> None:
    """Gửi lại các tin lỗi tạm thời đã đến giờ thử lại và các tin bị bỏ dở quá thời hạn giữ."""
    from models.db import session_scope
    from thidua.notify import retry_due

    with session_scope() as s:
        mid = _movement(s, movement).id
    typer.echo(retry_due(mid).summary())


@app.command("failures")
def failures(movement: MovementArg) -> None:
    """Danh sách tin không gửi được (địa chỉ sai, Zalo từ chối…) kèm lý do."""
    from models.db import session_scope
    from thidua.notify import counts
    from thidua.notify import failures as list_failures

    with session_scope() as s:
        m = _movement(s, movement)
        items = list_failures(s, m.id)
        by_channel = counts(s, m.id)
    for ch, st in sorted(by_channel.items()):
        typer.echo(f"Kênh {ch}: " + ", ".join(f"{k}: {v}" for k, v in sorted(st.items())))
    typer.echo(f"Không gửi được: {len(items)}")
    for f in items:
        where = f" ({f.address})" if f.address else ""
        typer.echo(f"  - {f.person_name} – {f.unit_name} – {f.channel}{where}: {f.reason}")


@app.command("test")
def test_message(
    email: Annotated[
        str | None, typer.Option("--email", help="Gửi một thư thử tới địa chỉ này")
    ] = None,
    zalo: Annotated[
        str | None, typer.Option("--zalo", help="Gửi một tin Zalo thử tới số này")
    ] = None,
    template: Annotated[
        str | None,
        typer.Option("--template", help="Mã mẫu ZNS đã được Zalo duyệt (bắt buộc với --zalo)"),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Tham số của mẫu ZNS, dạng ten=giá trị (lặp lại được)"),
    ] = None,
) -> None:
    """Gửi MỘT tin thử qua kênh đã cấu hình (THIDUA_EMAIL_URL / THIDUA_ZALO_URL) và in câu trả
    lời của máy chủ thư hoặc của Zalo. Không ghi gì vào sổ gửi tin."""
    from thidua.errors import InvalidInput, Problem
    from thidua.notify.channels import channels_from_settings
    from thidua.notify.contacts import normalise_email, normalise_phone
    from thidua.notify.ledger import Row
    from thidua.vn import now

    if (email is None) == (zalo is None):
        raise InvalidInput("Cần đúng một trong hai", [Problem("--email / --zalo", "chọn một kênh")])
    when = now().strftime("%H:%M ngày %d/%m/%Y")
    try:
        if email is not None:
            medium, address = "email", normalise_email(email)
            payload: dict[str, Any] = {"subject": "thidua — thư thử", "to_name": None,
                       "body": f"Thư thử của hệ thống thi đua, khen thưởng, gửi lúc {when}. "
                               "Nhận được thư này là kênh email đã cấu hình đúng."}  # fmt: skip
        else:
            medium, address = "zalo", normalise_phone(zalo)
            if not template:
                raise ValueError("cần --template: Zalo chỉ gửi tin theo mẫu ZNS đã được duyệt")
            pairs = [p.partition("=") for p in param or []]
            if any(not sep or not k.strip() for k, sep, _ in pairs):
                raise ValueError("--param phải có dạng ten=giá trị")
            payload = {"template_id": template, "params": {k.strip(): v for k, _, v in pairs}}
    except ValueError as e:
        field = "--email" if email is not None else "--zalo"
        raise InvalidInput("Không gửi thử được", [Problem(field, str(e))]) from None
    channel = channels_from_settings()[medium]
    worker = channel.worker()
    try:
        row = Row(id=0, event="test", recipient="test", channel=medium, address=address,
                  attempts=0, payload=payload)  # fmt: skip
        answer = worker.send(row)
    finally:
        worker.close()
    via = {
        "smtp": "máy chủ SMTP",
        "zns": "Zalo (ZNS)",
        "outbox": "hộp thư đi (chưa cấu hình kênh thật)",
    }
    where = via.get(channel.transport, channel.transport)
    if answer.ok:
        typer.echo(f"Đã gửi tin thử tới {address} qua {where}. Trả lời: {answer.text}")
        return
    kind = (
        "lỗi vĩnh viễn (sửa cấu hình hoặc địa chỉ)"
        if answer.permanent
        else "lỗi tạm thời (thử lại sau)"
    )
    typer.echo(
        f"Không gửi được tin thử tới {address} qua {where}: {answer.text} — {kind}.", err=True
    )
    raise typer.Exit(1)
