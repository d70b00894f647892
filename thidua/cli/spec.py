"""`thidua spec check|load FILE`: check a movement spec, or check it and store it as a draft."""

from pathlib import Path

import typer

from thidua.errors import Problem, ThiduaError

app = typer.Typer(
    help="Đặc tả phong trào thi đua (tệp YAML): kiểm tra và nạp vào cơ sở dữ liệu.",
    no_args_is_help=True,
)


def _print_problems(problems: list[Problem], header: str) -> None:
    typer.echo(header, err=True)
    for p in problems:
        typer.echo(f"  - {p}", err=True)


def _summary(spec) -> str:
    periods = spec.effective_periods()
    return (
        f"Hợp lệ: {spec.code} — {spec.title}\n"
        f"  {len(spec.legal_bases)} căn cứ, {spec.content_count()} nội dung, "
        f"{len(spec.targets)} chỉ tiêu nhiệm vụ, {len(spec.quotas)} chỉ tiêu thi đua, "
        f"{len(periods)} đợt, {len(spec.deadlines)} hạn, "
        f"{len(spec.addressees) + len(spec.copies)} nơi nhận, "
        f"{sum(len(t.criteria) for t in spec.criteria)} tiêu chí chấm điểm"
    )


@app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="Một hoặc nhiều tệp YAML đặc tả phong trào"),
) -> None:
    """Kiểm tra tệp đặc tả; in mọi lỗi (dòng, trường, lý do) nếu có."""
    from thidua.spec import parse_spec

    failed = 0
    for file in files:
        spec, problems = parse_spec(file)
        if spec is None:
            failed += 1
            _print_problems(problems, f"Tệp {file} có {len(problems)} lỗi:")
        else:
            typer.echo(_summary(spec))
    if failed:
        raise typer.Exit(1)


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="Tệp YAML đặc tả phong trào"),
    actor: str = typer.Option("cli", help="Người thực hiện (ghi vào nhật ký)"),
) -> None:
    """Kiểm tra và lưu phong trào (giai đoạn dự thảo) vào cơ sở dữ liệu đã cấu hình."""
    from models.base import saved_id
    from models.db import session_scope
    from thidua.spec import parse_spec, store_spec
    from thidua.spec_load import locate

    spec, problems = parse_spec(file)
    if spec is None:
        _print_problems(problems, f"Tệp {file} có {len(problems)} lỗi:")
        raise typer.Exit(1)
    try:
        with session_scope() as session:
            movement = store_spec(session, spec, actor=actor)
            mid = saved_id(movement)
    except ThiduaError as e:
        if e.problems:
            _print_problems(locate(file, e.problems), f"{e.message}:")
        else:
            typer.echo(e.message, err=True)
        raise typer.Exit(1) from None
    except Exception as e:  # a database that is down or not migrated: say so, no traceback
        first = str(e).splitlines()[0] if str(e) else ""
        typer.echo(f"Lỗi cơ sở dữ liệu, chưa lưu gì: {type(e).__name__}: {first}", err=True)
        raise typer.Exit(2) from None
    typer.echo(_summary(spec))
    typer.echo(f"Đã lưu phong trào {spec.code} (id {mid}) ở giai đoạn dự thảo.")


@app.command("draft")
def draft(
    file: Path = typer.Argument(..., help="Văn bản phát động: .docx, .pdf hoặc .txt"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Tệp YAML ghi ra (mặc định: cạnh văn bản)"
    ),
    force: bool = typer.Option(False, help="Ghi đè tệp YAML đã có"),
) -> None:
    """Đọc văn bản phát động và viết bản nháp đặc tả YAML; mỗi trường ghi 'tìm thấy' hoặc 'cần
    kiểm tra'. Điền các trường cần kiểm tra rồi chạy `thidua spec check`."""
    from thidua.spec_draft import CHECK, draft_spec, draft_yaml, read_directive

    target = out or file.with_suffix(".yaml")
    if target.exists() and not force:
        typer.echo(
            f"Tệp {target} đã có; dùng --force để ghi đè hoặc -o để chọn tệp khác.", err=True
        )
        raise typer.Exit(1)
    try:
        text = draft_yaml(draft_spec(read_directive(file)), file.name)
    except ThiduaError as e:
        _print_problems(e.problems, f"{e.message} ({file}):") if e.problems else typer.echo(
            e.message, err=True
        )
        raise typer.Exit(1) from None
    target.write_text(text, encoding="utf-8")
    todo = text.count(f"# {CHECK}")
    typer.echo(f"Đã viết bản nháp {target}: {todo} trường cần kiểm tra.")


def _amend(code: str, work) -> None:
    """Run an amendment in one transaction, then tell the units; errors as Vietnamese lines."""
    from models.base import saved_id
    from models.db import session_scope
    from thidua.movements import find_movement
    from thidua.notify import deliver

    try:
        with session_scope() as session:
            movement = find_movement(session, code)
            mid = saved_id(movement)
            messages = work(session, movement)
    except ThiduaError as e:
        if e.problems:
            _print_problems(e.problems, f"{e.message}:")
        else:
            typer.echo(e.message, err=True)
        raise typer.Exit(1) from None
    report = deliver(mid, messages)
    typer.echo(f"Đã điều chỉnh; đã báo {len(messages)} đầu mối ({report.sent} tin đã gửi).")


@app.command("deadline")
def deadline(
    movement: str = typer.Argument(..., help="Mã phong trào"),
    kind: str = typer.Argument(..., help="Loại hạn: registration, period_1_report, self_score…"),
    due_on: str = typer.Argument(..., help="Ngày hạn mới, YYYY-MM-DD"),
    reason: str = typer.Option(..., "--reason", help="Lý do điều chỉnh (ghi vào nhật ký)"),
    actor: str = typer.Option("cli", help="Người thực hiện"),
) -> None:
    """Đặt hoặc dời một hạn của phong trào đã phát động; báo đầu mối các đơn vị."""
    from datetime import date

    from thidua.amend import amend_deadline

    try:
        day = date.fromisoformat(due_on)
    except ValueError:
        typer.echo(f"Ngày '{due_on}' không hợp lệ: viết YYYY-MM-DD, ví dụ 2022-12-05.", err=True)
        raise typer.Exit(1) from None
    _amend(movement, lambda s, m: amend_deadline(s, m, kind, day, actor=actor, reason=reason))


@app.command("criteria")
def criteria(
    movement: str = typer.Argument(..., help="Mã phong trào"),
    file: Path = typer.Argument(..., help="Tệp YAML một bảng tiêu chí: block, name, criteria"),
    reason: str = typer.Option(..., "--reason", help="Lý do (ghi vào nhật ký)"),
    actor: str = typer.Option("cli", help="Người thực hiện"),
) -> None:
    """Thêm bảng tiêu chí chấm điểm sau khi phát động, hoặc thay bảng chưa ai chấm theo."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from thidua.amend import set_criteria_table
    from thidua.spec_load import plain

    try:
        data = plain(YAML(typ="rt").load(file.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, YAMLError) as e:
        typer.echo(f"Không đọc được tệp {file}: {type(e).__name__}", err=True)
        raise typer.Exit(1) from None
    if not isinstance(data, dict):
        typer.echo(f"Tệp {file} phải là một bảng tiêu chí (block, name, criteria).", err=True)
        raise typer.Exit(1)
    _amend(movement, lambda s, m: set_criteria_table(s, m, data, actor=actor, reason=reason))
