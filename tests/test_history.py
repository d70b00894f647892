"""Award history: Excel import (all or nothing), decisions, lookup, and its use by the rules."""

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select

from models import AuditEvent, AwardHistory
from tests.test_rules_support import GOOD, movement, nominate, people, unit
from thidua.errors import InvalidInput
from thidua.history import AwardItem, history_for, import_history, record_awards
from thidua.rules import check_all

HEADER = ["STT", "Loại", "Mã", "Họ tên / Tên đơn vị", "Năm", "Danh hiệu", "Số quyết định"]


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def org(session):
    u = unit(session, "PKT")
    p = people(session, u, 2)
    session.commit()
    return u, p


def test_import_then_the_rules_see_three_consecutive_years(session, tmp_path):
    u, (a, b) = org(session)
    path = workbook(tmp_path / "lich-su.xlsx", {
        "Cá nhân": [
            HEADER,
            [1, "Cá nhân", a.code, a.full_name, 2023, "Chiến sĩ thi đua cơ sở", "12/QĐ-SCT"],
            [2, "cá nhân", a.code, a.full_name, 2024, "Danh hiệu Chiến sỹ thi đua cơ sở", None],
            [3, "Cá nhân", a.code, a.full_name, "2024", "Lao động tiên tiến", None],
            [None, None, None, None, None, None, None],
        ],
        "Tập thể": [
            HEADER,
            [1, "Tập thể", u.code, u.name, 2024.0, "HTXSNV", "05/QĐ-UBND"],
            [2, "Tập thể", u.code, u.name, 2023, "Bằng khen của Chủ tịch UBND tỉnh", None],
            [3, "Tập thể", u.code, u.name, 2022, "tập thể LĐTT", None],
        ],
    })  # fmt: skip
    assert import_history(session, path, actor="vanphong") == 6
    session.commit()
    found = history_for(session, [f"person:{a.id}", f"unit:{u.id}", f"person:{b.id}"])
    assert [(h.year, h.title) for h in found[f"person:{a.id}"]] == [
        (2023, "CSTDCS"), (2024, "CSTDCS"), (2024, "LDTT"),
    ]  # fmt: skip
    assert found[f"person:{a.id}"][0].decision_ref == "12/QĐ-SCT"
    assert [h.title for h in found[f"unit:{u.id}"]] == ["TTLDTT", "BANG_KHEN_TINH", "HTXSNV"]
    assert found[f"person:{b.id}"] == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "history.import")).one()
    assert event.actor == "vanphong" and event.data["added"] == 6
    # The same workbook again adds nothing.
    assert import_history(session, path, actor="vanphong") == 0

    m = movement(session)
    nominate(session, m, unit=u, person=a, title="LDTT", facts=GOOD)
    nominate(session, m, unit=u, person=a, title="CSTDCS", facts=GOOD)
    t = nominate(session, m, unit=u, person=a, title="CSTD_TINH", facts=GOOD)
    session.commit()
    assert next(r for r in check_all(session, m) if r.nomination_id == t.id).ok


def test_every_row_error_is_reported_and_nothing_is_imported(session, tmp_path):
    u, (a, _) = org(session)
    path = workbook(tmp_path / "loi.xlsx", {
        "Cá nhân": [
            HEADER,
            [1, "Cá nhân", a.code, "", 2023, "CSTDCS", None],
            [2, "Cá nhân", "KHONG-CO", "", 2023, "CSTDCS", None],
            [3, "Nhóm", a.code, "", 2023, "CSTDCS", None],
            [4, "Cá nhân", a.code, "", 1890, "CSTDCS", None],
            [5, "Cá nhân", a.code, "", 2022, "Huân chương", None],
            [6, "Cá nhân", a.code, "", 2023, "Chiến sĩ thi đua cơ sở", None],
            [7, "Tập thể", a.code, "", 2023, "TTLDTT", None],
            [8, "Tập thể", u.code, "", 2023, "Lao động tiên tiến", None],
        ],
        "Sai mẫu": [["Mã", "Năm"], ["X", 2020]],
    })  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        import_history(session, path, actor="vanphong")
    text = str(e.value)
    assert "chưa nhập dòng nào" in text
    expected = [
        "Sheet Cá nhân, dòng 3: cột Mã (C): không có cán bộ mã 'KHONG-CO'",
        "Sheet Cá nhân, dòng 4: cột Loại (B): 'Nhóm' phải là Cá nhân hoặc Tập thể",
        "Sheet Cá nhân, dòng 5: cột Năm (E): '1890' không phải là năm",
        "Sheet Cá nhân, dòng 6: cột Danh hiệu (F): 'Huân chương' không phải là danh hiệu",
        "Sheet Cá nhân, dòng 7: cột Danh hiệu (F): trùng với Sheet Cá nhân, dòng 2",
        f"Sheet Cá nhân, dòng 8: cột Mã (C): không có đơn vị mã '{a.code}'",
        "Sheet Cá nhân, dòng 9: cột Danh hiệu (F): Lao động tiên tiến không dành cho tập thể",
        "Sheet Sai mẫu, dòng 1: tiêu đề: thiếu cột Loại, Danh hiệu",
    ]
    for line in expected:
        assert line in text, line
    assert len(e.value.problems) == len(expected)
    assert session.exec(select(AwardHistory)).all() == []


def test_numeric_codes_as_excel_stores_them(session, tmp_path):
    u = unit(session, "2024")
    p = people(session, u, 1, prefix="1")[0]  # code "1-001"
    p.code = "1001"
    session.commit()
    rows = [
        HEADER,
        [1, "Cá nhân", 1001.0, "", 2024, "LDTT"],
        [2, "Tập thể", 2024, "", 2024, "TTLDTT"],
    ]
    path = workbook(tmp_path / "so.xlsx", {"DS": rows})
    assert import_history(session, path, actor="vanphong") == 2


def test_decisions_are_recorded_once_and_take_over_imported_rows(session, tmp_path):
    u, (a, b) = org(session)
    workbook(tmp_path / "h.xlsx", {"DS": [HEADER, [1, "Cá nhân", a.code, "", 2025, "LDTT", None]]})
    import_history(session, tmp_path / "h.xlsx", actor="vanphong")
    items = [
        AwardItem(f"person:{a.id}", 2025, "LDTT", "99/QĐ-SCT"),
        {"subject_key": f"person:{b.id}", "year": 2025, "title": "CSTDCS",
         "decision_ref": "99/QĐ-SCT"},
        AwardItem(f"unit:{u.id}", 2025, "TTLDXS", "99/QĐ-SCT"),
    ]  # fmt: skip
    rows = record_awards(session, items)
    rows_again = record_awards(session, items)
    session.commit()
    assert [r.id for r in rows] == [r.id for r in rows_again]
    all_rows = session.exec(select(AwardHistory).order_by(AwardHistory.id)).all()
    assert len(all_rows) == 3
    assert {(r.subject_key, r.source, r.decision_ref) for r in all_rows} == {
        (f"person:{a.id}", "decision", "99/QĐ-SCT"),
        (f"person:{b.id}", "decision", "99/QĐ-SCT"),
        (f"unit:{u.id}", "decision", "99/QĐ-SCT"),
    }
    assert next(r for r in all_rows if r.subject_key.startswith("unit")).unit_id == u.id
    with pytest.raises(InvalidInput, match="subject_key"):
        record_awards(session, [AwardItem("ai-do", 2025, "LDTT")])
    with pytest.raises(InvalidInput, match="không có đối tượng person:999999"):
        record_awards(session, [AwardItem("person:999999", 2025, "LDTT")])
    with pytest.raises(InvalidInput, match="không có trong danh mục"):
        record_awards(session, [AwardItem(f"person:{a.id}", 2025, "HUAN_CHUONG")])


def test_a_file_that_is_not_a_workbook(session, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("không phải Excel", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"Không đọc được tệp Excel x\.xlsx"):
        import_history(session, bad, actor="vanphong")


def test_cli_history_import(sqlite_url, tmp_path):
    from sqlmodel import Session
    from typer.testing import CliRunner

    from models.db import engine_for
    from thidua.cli.rules import app

    with Session(engine_for(sqlite_url)) as session:
        _, (a, _) = org(session)
        code = a.code
    path = workbook(tmp_path / "h.xlsx", {"DS": [HEADER, [1, "Cá nhân", code, "", 2024, "LDTT"]]})
    result = CliRunner().invoke(app, ["history-import", str(path), "--actor", "vanphong"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 1 dòng" in result.output
    bad = workbook(tmp_path / "x.xlsx", {"DS": [HEADER, [1, "Cá nhân", "?", "", 2024, "LDTT"]]})
    result = CliRunner().invoke(app, ["history-import", str(bad)])
    assert "cột Mã (C): không có cán bộ mã '?'" in str(result.exception)
    with Session(engine_for(sqlite_url)) as session:
        assert len(session.exec(select(AwardHistory)).all()) == 1
