"""`thidua rules`: check a rule set, import the award history."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Bộ quy tắc xét khen thưởng và lịch sử khen thưởng.", no_args_is_help=True)


@app.command("check")
def check(
    ruleset_file: Annotated[str, typer.Argument(help="Tệp YAML hoặc tên bộ quy tắc")],
) -> None:
    """Kiểm tra một bộ quy tắc: in từng lỗi với dòng và trường, hoặc tóm tắt nếu hợp lệ."""
    from decimal import Decimal

    from thidua.rules import load_rule_set
    from thidua.rules.ruleset import DECIDERS, DENOMINATORS, ROUNDINGS, SCOPES, SUBJECTS
    from thidua.vn import percent

    rs = load_rule_set(ruleset_file)
    typer.echo(f"Bộ quy tắc {rs.name} (phiên bản {rs.version}, năm {rs.year}) hợp lệ.")
    typer.echo(f"{rs.title} — {rs.agency}")
    typer.echo(f"Hiệu lực: {rs.in_force.text()}" + (f" ({rs.in_force.note})" if rs.in_force.note
                                                    else ""))  # fmt: skip
    for code in rs.order:
        t = rs.titles[code]
        typer.echo(
            f"  {code} — {t.name} ({SUBJECTS[t.subject]}): {len(t.rules)} tiêu chuẩn, "
            f"biểu quyết {t.vote_threshold.text}, {DECIDERS[t.decided_by]}{_money(t)}"
        )
        for r in t.disabled:
            typer.echo(f"    {r.id}: quy định riêng của cơ quan, đang tắt")
    unverified = [r.id for t in rs.titles.values() for r in t.rules if r.unverified]
    if unverified:
        typer.echo(f"  Chưa đối chiếu được văn bản gốc: {', '.join(unverified)}")
    for q in (*rs.quotas, *rs.disabled_quotas):
        if q.max_ratio is not None:
            pct = Decimal(q.max_ratio.numerator * 100) / q.max_ratio.denominator
            limit = f"tối đa {percent(pct)} số {rs.title_name(q.of or '')}"
            limit += f" ({ROUNDINGS[q.rounding]})"
        else:
            limit = f"tối đa {q.max_count}"
        off = " (quy định riêng của cơ quan, đang tắt)" if q in rs.disabled_quotas else ""
        typer.echo(
            f"  Chỉ tiêu {q.id}{off}: {rs.title_name(q.title)} {limit}, mỗi {SCOPES[q.scope]}"
        )
    typer.echo(
        f"  Hội đồng: họp hợp lệ khi số thành viên có mặt {rs.quorum.text} tổng số thành viên; "
        f"tỷ lệ đồng ý tính trên {DENOMINATORS[rs.denominator]}; Cờ mỗi khối: {rs.flags_per_block}"
    )


def _money(t) -> str:
    from thidua.vn import number

    if t.reward is None:
        return ""
    parts = [
        f"{who} {number(m, 1)}"
        for who, m in (("cá nhân", t.reward.individual), ("tập thể", t.reward.collective))
        if m is not None
    ]
    return f", thưởng ({'; '.join(parts)}) lần mức lương cơ sở"


@app.command("history-import")
def history_import(
    path: Annotated[Path, typer.Argument(help="Tệp Excel lịch sử khen thưởng")],
    actor: Annotated[str, typer.Option("--actor", help="Người nhập")] = "cli",
) -> None:
    """Nhập lịch sử khen thưởng từ Excel: nhập tất cả hoặc không nhập dòng nào."""
    from models.db import session_scope
    from thidua.history import import_history

    with session_scope() as session:
        added = import_history(session, path, actor=actor)
    typer.echo(f"Đã nhập {added} dòng lịch sử khen thưởng từ {path.name}.")


@app.command("check-nominations")
def check_nominations(
    movement_code: Annotated[str, typer.Argument(help="Mã phong trào")],
) -> None:
    """Kiểm tra mọi hồ sơ đề nghị của phong trào theo bộ quy tắc và chỉ tiêu; in các tiêu chuẩn
    không đạt của từng hồ sơ, và ngoại lệ Văn phòng đã ghi nhận bên cạnh tiêu chuẩn đó."""
    from sqlalchemy import select
    from sqlmodel import col

    from models import Nomination
    from models.db import session_scope
    from thidua import exceptions
    from thidua.movements import find_movement
    from thidua.rules import check_all
    from thidua.statuses import OPEN, NominationStatus

    with session_scope() as session:
        movement = find_movement(session, movement_code)
        results = check_all(session, movement)
        noms = {
            n.id: n
            for n in session.execute(
                select(Nomination).where(col(Nomination.movement_id) == movement.id)
            ).scalars()
        }
        names = exceptions.subject_names(session, list(noms.values()))
        failed = [r for r in results if r.failures]
        views: dict[tuple[int, str], exceptions.ExceptionView] = {
            (v.nomination_id, v.rule_id): v
            for v in exceptions.for_nominations(session, [r.nomination_id for r in failed])
        }
        covered = [
            r for r in failed if all((r.nomination_id, f.rule_id) in views for f in r.failures)
        ]
        typer.echo(
            f"{movement.code}: {len(results)} hồ sơ, {len(results) - len(failed)} đạt, "
            f"{len(failed)} chưa đạt"
            + (f", trong đó {len(covered)} có ngoại lệ được ghi nhận." if covered else ".")
        )
        for r in failed:
            n = noms[r.nomination_id]
            # a dossier no longer before the office is named so beside its failures
            state = None if n.status in OPEN else NominationStatus(n.status).label
            typer.echo(
                f"Hồ sơ số {n.id} — {n.title} — {names.get(n.id, n.subject_key)}"
                + (f" ({state})" if state else "")
                + ":"
            )
            for f in r.failures:
                typer.echo(f"  - [{f.rule_id}] {f.reason} (căn cứ: {f.legal_basis})")
                v = views.get((n.id, f.rule_id))
                if v is not None:
                    typer.echo(f"    Ngoại lệ: {v.reason} — {v.recorded_by}, {v.when}")
