"""Reports, scores and nominations from the workbooks offices fill (thidua.bulk_steps) and the
steps from the command line, on SQLite and PostgreSQL: a template to fill, an import that
names every row's problem (sheet, row, column, reason) and writes nothing unless the whole file
is right, the same right and the same checks as the portal's steps, a repeat that changes
nothing."""

from decimal import Decimal

import openpyxl
import pytest
from sqlmodel import Session, func, select

from models import AuditEvent, Nomination, Participant, PeriodReport, Person, Score, TargetResult
from models.db import engine_for
from tests.web_helpers import make_world, quiet
from thidua import bulk_steps
from thidua.errors import InvalidInput, TransitionRefused
from thidua.lifecycle import State


def count(url: str, model, *where) -> int:
    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def header(ws) -> dict[str, int]:
    """Column number by header (without the required mark)."""
    return {str(c.value).removesuffix(" *"): c.column for c in ws[1]}


def rows(ws) -> dict[str, int]:
    """Row number by unit code (first column)."""
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}


@pytest.fixture
def world(db_url, monkeypatch):
    quiet(monkeypatch)
    return make_world(db_url)


def test_reports_from_a_workbook_all_or_nothing(world, db_url, tmp_path):
    w = world
    path = bulk_steps.report_template(w.code, tmp_path / "bao-cao.xlsx", period=1)
    wb = openpyxl.load_workbook(path)
    ws = wb["Báo cáo"]
    cols, at = header(ws), rows(ws)
    with Session(engine_for(db_url)) as s:
        units = {u: c for c, u in s.exec(select(Participant.unit_id, Participant.unit_id))}
        from models import Target, Unit

        codes = dict(s.exec(select(Unit.id, Unit.code)).all())
        first = s.exec(select(Target).order_by(Target.seq)).first()
    assert len(at) == len(units)  # a row per unit taking part, prefilled
    value = next(h for h in cols if h.startswith(first.label))
    mine, theirs = at[codes[w.focal_unit_id]], at[codes[w.other_unit_id]]
    ws.cell(mine, cols[value], 1234.5)  # a number as Excel stores it
    ws.cell(mine, cols["Tóm tắt kết quả"], "Đạt tiến độ")
    ws.cell(theirs, cols[value], "1.5")  # "1.5" reads as neither 1,5 nor 15: refused
    ws.append(["KHONG-CO", None, 1])
    ws.append([codes[w.focal_unit_id], None, 2])  # the same unit twice
    wb.save(path)
    before = count(db_url, AuditEvent)
    with pytest.raises(InvalidInput) as refused:
        bulk_steps.import_reports(w.code, path, period=1, actor=w.admin)
    found = {(p.where, p.field) for p in refused.value.problems}
    n = ws.max_row
    assert (f"Sheet 'Báo cáo', dòng {theirs}", value) in found
    assert (f"Sheet 'Báo cáo', dòng {n - 1}", "Mã đơn vị") in found
    assert any(w_ == f"Sheet 'Báo cáo', dòng {n}" for w_, _ in found)  # the repeated unit
    assert "chưa ghi gì" in refused.value.message
    assert (count(db_url, PeriodReport), count(db_url, AuditEvent)) == (0, before)

    # a focal point may send only his own unit's row
    ws.delete_rows(n - 1, 2)
    wb.save(path)
    with pytest.raises(InvalidInput, match="không được nộp báo cáo Đợt 1 thay cho"):
        bulk_steps.import_reports(w.code, path, period=1, actor=w.focal)
    ws.cell(theirs, cols[value], "1.500,25")
    wb.save(path)
    done = bulk_steps.import_reports(w.code, path, period=1, actor=w.admin)
    assert (done.written, done.unchanged) == (2, 0) and "Đã nhập 2 báo cáo Đợt 1" in done.message
    with Session(engine_for(db_url)) as s:
        assert set(s.exec(select(TargetResult.value))) == {Decimal("1234.5"), Decimal("1500.25")}
    again = bulk_steps.import_reports(w.code, path, period=1, actor=w.admin)
    assert (again.written, again.unchanged) == (0, 2)
    assert count(db_url, AuditEvent) == before + 2
    # the template of a later day carries what was sent
    again_path = bulk_steps.report_template(w.code, tmp_path / "lai.xlsx", period=1)
    ws2 = openpyxl.load_workbook(again_path)["Báo cáo"]
    assert ws2.cell(rows(ws2)[codes[w.focal_unit_id]], cols[value]).value == 1234.5


def test_scores_from_a_workbook_with_the_leaders_rows(world, db_url, tmp_path):
    w = world
    path = bulk_steps.score_template(w.code, tmp_path / "diem.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Chấm điểm"]
    cols, at = header(ws), rows(ws)
    with Session(engine_for(db_url)) as s:
        from models import Unit

        codes = dict(s.exec(select(Unit.id, Unit.code)).all())
    tc1 = next(h for h in cols if h.startswith("TC1."))
    tc2 = next(h for h in cols if h.startswith("TC2."))
    mine = codes[w.focal_unit_id]
    ws.cell(at[mine], cols[tc1], 30)
    ws.cell(at[mine], cols[tc2], "12,5")
    ws.append([mine, None, "khối trưởng", 99])  # over the criterion's maximum
    ws.append([codes[w.other_unit_id], None, "ai đó", 1])
    wb.save(path)
    with pytest.raises(InvalidInput) as refused:
        bulk_steps.import_scores(w.code, path, actor=w.focal)
    found = {(p.where.rsplit(" ", 1)[-1], p.field) for p in refused.value.problems}
    assert (str(ws.max_row - 1), tc1) in found and (str(ws.max_row), "(dòng)") not in found
    assert any(p.field == "Người chấm" for p in refused.value.problems)
    assert count(db_url, Score) == 0
    ws.delete_rows(ws.max_row)
    ws.cell(ws.max_row, cols[tc1], 28)
    wb.save(path)
    done = bulk_steps.import_scores(w.code, path, actor=w.focal)  # his own, and as leader
    assert done.written == 2 and count(db_url, Score) == 3
    for state in (State.FINAL_TALLIED, State.CLOSED):
        with Session(engine_for(db_url)) as s:
            from models import Movement

            m = s.exec(select(Movement)).one()
            m.state = state.value
            s.add(m)
            s.commit()
        with pytest.raises(TransitionRefused, match="Không thể ghi điểm chấm lúc này"):
            bulk_steps.import_scores(w.code, path, actor=w.admin)


def test_nominations_from_a_workbook(db_url, monkeypatch, tmp_path):
    quiet(monkeypatch)
    w = make_world(db_url, state=State.PROPOSALS)
    path = bulk_steps.nomination_template(w.code, tmp_path / "ho-so.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Hồ sơ đề nghị"]
    cols = header(ws)
    with Session(engine_for(db_url)) as s:
        from models import Unit

        unit = s.get(Unit, w.focal_unit_id).code
        staff = [p.code for p in s.exec(select(Person).where(Person.unit_id == w.focal_unit_id))]

    def row(**values) -> list:
        out = [None] * len(cols)
        for k, v in values.items():
            out[cols[k] - 1] = v
        return out

    ws.delete_rows(2)  # the example
    good = dict(**{"Mã đơn vị đề nghị": unit, "Danh hiệu": "Lao động tiên tiến",
                   "Tóm tắt thành tích": "Hoàn thành tốt nhiệm vụ"})  # fmt: skip
    ws.append(row(**good, **{"Mã cán bộ (đề nghị cá nhân)": staff[0]}))
    ws.append(row(**{**good, "Danh hiệu": "KHONGCO"}, **{"Mã cán bộ (đề nghị cá nhân)": staff[1]}))
    ws.append(row(**good, **{"Mã cán bộ (đề nghị cá nhân)": w.council[0]}))  # not his unit's
    ws.append(row(**good, **{"Mã cán bộ (đề nghị cá nhân)": staff[0]}))  # twice
    ws.append(row(**good, **{"Mã cán bộ (đề nghị cá nhân)": staff[2],
                             "Số tháng làm việc trong năm": "mười"}))  # fmt: skip
    wb.save(path)
    with pytest.raises(InvalidInput) as refused:
        bulk_steps.import_nominations(w.code, path, actor=w.focal)
    by_row = {}
    for p in refused.value.problems:
        by_row.setdefault(int(p.where.rsplit(" ", 1)[-1]), []).append(p.field)
    assert by_row == {3: ["Danh hiệu"], 4: ["Mã cán bộ (đề nghị cá nhân)"], 5: ["Danh hiệu"],
                      6: ["Số tháng làm việc trong năm"]}, by_row  # fmt: skip
    assert count(db_url, Nomination) == 0
    ws.delete_rows(3, 4)
    wb.save(path)
    done = bulk_steps.import_nominations(w.code, path, actor=w.focal)
    assert done.written == 1 and count(db_url, Nomination) == 1
    assert bulk_steps.import_nominations(w.code, path, actor=w.focal).unchanged == 1


def test_the_steps_from_the_command_line(world, db_url, tmp_path, capsys):
    from thidua.cli import main

    w = world

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    with Session(engine_for(db_url)) as s:
        from models import Unit

        unit = s.get(Unit, w.focal_unit_id).code
    code, out, _ = run("register", w.code, "--unit", unit, "--title", "TTLDTT", "--by", w.focal)
    assert code == 0 and "Đã ghi đăng ký thi đua" in out
    code, out, _ = run("register", w.code, "--unit", unit, "--title", "TTLDTT", "--by", w.focal)
    assert code == 0 and "trước đó; không ghi thêm" in out
    code, _, err = run("register", w.code, "--unit", unit, "--title", "TTLDTT")
    assert code == 2 and "Người thực hiện: chưa nêu người thực hiện" in err
    code, _, err = run("score", "give", w.code, "--unit", unit, "--point", "TC1", "--by", w.focal)
    assert code == 2 and "'TC1' phải viết dạng MÃ=GIÁ_TRỊ" in err
    code, out, _ = run("score", "give", w.code, "--unit", unit, "--point", "TC1=30",
                       "--by", w.focal)  # fmt: skip
    assert code == 0 and "Đã ghi điểm tự chấm" in out

    book = tmp_path / "bao-cao.xlsx"
    code, out, _ = run("report", "template", w.code, str(book))
    assert code == 0 and book.exists()
    wb = openpyxl.load_workbook(book)
    ws = wb["Báo cáo"]
    ws.cell(2, 3, "nhiều")
    wb.save(book)
    code, _, err = run("report", "import", w.code, str(book), "--by", w.admin)
    assert code == 2 and "chưa ghi gì" in err and "Sheet 'Báo cáo', dòng 2" in err
    assert "không phải là số" in err and "Traceback" not in err
    ws.cell(2, 3, 100)
    wb.save(book)
    code, out, _ = run("report", "import", w.code, str(book), "--by", w.admin)
    assert code == 0 and "Đã nhập 1 báo cáo Đợt 1" in out
    code, out, _ = run("report", "list", w.code)
    assert code == 0 and "Đợt 1" in out and "đã nộp" in out
