"""`thidua rules`: check a rule set, import the award history."""

from pathlib import Path
from typing import Annotated

import typer

from models.db import session_scope
from thidua.history import import_history
from thidua.rules import load_rule_set

app = typer.Typer(help="Bộ quy tắc xét khen thưởng và lịch sử khen thưởng.", no_args_is_help=True)


@app.command("check")
def check(
    ruleset_file: Annotated[str, typer.Argument(help="Tệp YAML hoặc tên bộ quy tắc")],
) -> None:
    """Kiểm tra một bộ quy tắc: in từng lỗi với dòng và trường, hoặc tóm tắt nếu hợp lệ."""
    rs = load_rule_set(ruleset_file)
    typer.echo(f"Bộ quy tắc {rs.name} (phiên bản {rs.version}, năm {rs.year}) hợp lệ: {rs.title}")
    for code in rs.order:
        t = rs.titles[code]
        typer.echo(
            f"  {code}: {t.name} — {len(t.rules)} tiêu chuẩn, biểu quyết {t.vote_threshold.text}"
        )
    for q in rs.quotas:
        typer.echo(f"  chỉ tiêu {q.id}: {q.title} theo {q.scope}")


@app.command("history-import")
def history_import(
    path: Annotated[Path, typer.Argument(help="Tệp Excel lịch sử khen thưởng")],
    actor: Annotated[str, typer.Option("--actor", help="Người nhập")] = "cli",
) -> None:
    """Nhập lịch sử khen thưởng từ Excel: nhập tất cả hoặc không nhập dòng nào."""
    with session_scope() as session:
        added = import_history(session, path, actor=actor)
    typer.echo(f"Đã nhập {added} dòng lịch sử khen thưởng từ {path.name}.")
