"""Organisation import (Excel template, CSV) and the synthetic generator, on both databases."""

import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent, Block, BlockMember, Person, Unit
from models.db import engine_for
from thidua.cli.org import app
from thidua.errors import InvalidInput
from thidua.orgdata import export_org, import_org, normalise_phone, parse_roles, write_template
from thidua.synthetic import generate_org

CSV_DIR = Path(__file__).parent / "data" / "org" / "csv"

UNITS = [
    ["SCT", "Sở Công Thương", "SCT", "Sở", None, "sct@thidua.test", 60],
    ["SCT-VP", "Văn phòng Sở", "VP", "Văn phòng", "SCT", "vp@thidua.test", 12],
    ["SCT-QLCN", "Phòng Quản lý công nghiệp", "QLCN", "Phòng", "SCT", None, 9],
    ["SCT-QLCN-T1", "Tổ Năng lượng", None, "Tổ", "SCT-QLCN", None, None],
]
BLOCKS = [["K1", "Khối quản lý nhà nước", "SCT-QLCN", "SCT-QLCN, SCT-QLCN-T1"]]
PEOPLE = [
    [
        "CB1",
        "Lê Nguyên Ngọc",
        "Giám đốc",
        "SCT",
        None,
        "0912345678",
        "thủ trưởng, chủ tịch hội đồng",
    ],
    ["CB2", "Trần Thị Hương", "Chánh Văn phòng", "SCT-VP", "h@thidua.test", 987654321, "đầu mối"],
    ["CB3", "Phạm Văn Nam", None, "SCT-QLCN", None, None, "Trưởng khối, unit_head"],
]


@pytest.fixture
def lite(sqlite_url: str):
    """SQLite only: for tests about checking, where the database does not matter."""
    with Session(engine_for(sqlite_url), expire_on_commit=False) as s:
        yield s


def fill(path: Path, units=UNITS, blocks=BLOCKS, people=PEOPLE, keep_example=True) -> Path:
    """Fill the template as an office would: below the example row (or over it)."""
    write_template(path)
    wb = load_workbook(path)
    for title, rows in (("Đơn vị", units), ("Khối thi đua", blocks), ("Cán bộ", people)):
        ws = wb[title]
        if not keep_example:
            ws.delete_rows(2)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def snapshot(session: Session) -> dict:
    session.expire_all()
    return {
        m.__name__: sorted(
            tuple(sorted(r.model_dump().items(), key=lambda kv: kv[0]))
            for r in session.exec(select(m)).all()
        )
        for m in (Unit, Block, BlockMember, Person, AuditEvent)
    }


def depth(session: Session) -> int:
    parent = dict(session.exec(select(Unit.id, Unit.parent_id)).all())

    def d(u):
        return 1 if parent[u] is None else 1 + d(parent[u])

    return max(d(u) for u in parent)


# --- the template ------------------------------------------------------------------------------


def test_template_layout(tmp_path: Path):
    wb = load_workbook(write_template(tmp_path / "mau.xlsx"))
    assert wb.sheetnames == ["Hướng dẫn", "Đơn vị", "Khối thi đua", "Cán bộ"]
    units = [c.value for c in wb["Đơn vị"][1]]
    assert units == [
        "Mã đơn vị *", "Tên đơn vị *", "Tên viết tắt", "Loại", "Mã đơn vị cấp trên", "Email",
        "Số người",
    ]  # fmt: skip
    people = [c.value for c in wb["Cán bộ"][1]]
    assert people[-2:] == ["Số Zalo", "Vai trò"]
    assert wb["Cán bộ"]["F2"].value == "0912345678" and wb["Cán bộ"]["A2"].font.italic
    assert wb["Khối thi đua"].column_dimensions["D"].width == 50
    guide = " ".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    assert "đầu mối" in guide and "không dữ liệu nào được ghi" in guide


def test_template_round_trip(session: Session, tmp_path: Path):
    nfd_name = unicodedata.normalize("NFD", "Tổ Năng lượng")
    units = [*UNITS[:3], [*UNITS[3][:1], nfd_name, *UNITS[3][2:]]]
    summary = import_org(session, fill(tmp_path / "org.xlsx", units=units), actor="vp")
    session.commit()
    assert (summary.units_created, summary.blocks_created, summary.people_created) == (4, 1, 3)
    assert summary.block_members == 2
    u = {x.code: x for x in session.exec(select(Unit)).all()}
    assert u["SCT"].parent_id is None and u["SCT-QLCN-T1"].parent_id == u["SCT-QLCN"].id
    assert u["SCT-QLCN-T1"].name == "Tổ Năng lượng"  # NFC
    assert u["SCT"].headcount == 60 and u["SCT-VP"].email == "vp@thidua.test"
    block = session.exec(select(Block)).one()
    assert block.leader_unit_id == u["SCT-QLCN"].id
    members = session.exec(select(BlockMember.unit_id)).all()
    assert sorted(members) == sorted([u["SCT-QLCN"].id, u["SCT-QLCN-T1"].id])
    p = {x.code: x for x in session.exec(select(Person)).all()}
    assert p["CB1"].roles == ["unit_head", "council_chair"] and p["CB1"].zalo_phone == "84912345678"
    assert p["CB2"].zalo_phone == "84987654321"  # typed as a number: the leading 0 was lost
    assert p["CB3"].roles == ["block_leader", "unit_head"] and p["CB3"].position is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "org.imported")).one()
    assert event.data["units_created"] == 4 and event.actor == "vp"
    assert depth(session) == 3


def test_csv_folder_and_files(session: Session):
    summary = import_org(session, CSV_DIR, actor="vp")
    assert (summary.units_created, summary.blocks_created, summary.people_created) == (5, 2, 5)
    p = {x.code: x for x in session.exec(select(Person)).all()}
    assert p["CB02"].zalo_phone == "84987654321"
    assert p["CB02"].roles == ["focal_point", "admin", "council_member", "unit_head"]
    assert p["CB03"].zalo_phone == "84356789012" and p["CB05"].roles == []
    assert session.exec(select(Unit).where(Unit.code == "SCT")).one().parent_id is None
    # the same data as separate files: everything is an update now
    again = import_org(session, [CSV_DIR / "units.csv", CSV_DIR / "people.csv"], actor="vp")
    assert (again.units_created, again.units_updated, again.people_updated) == (0, 5, 5)
    assert again.blocks_created == again.blocks_updated == 0


def test_headers_and_sheets_without_diacritics(lite: Session, tmp_path: Path):
    """Typed on a keyboard without Vietnamese input: "Ma don vi", sheet "Don vi"."""
    (tmp_path / "units.csv").write_text(
        "MA DON VI *,Ten don vi,Ma don vi cap tren\nG,Sở,\nC,Phòng,G\n", encoding="utf-8"
    )
    assert import_org(lite, tmp_path / "units.csv", actor="vp").units_created == 2
    wb = load_workbook(write_template(tmp_path / "mau.xlsx"))
    wb["Cán bộ"].title = "Can bo"
    wb["Can bo"].append(["P1", "Lê Văn Tám", None, "C", None, None, "dau moi"])
    wb.save(tmp_path / "mau.xlsx")
    assert import_org(lite, tmp_path / "mau.xlsx", actor="vp").people_created == 1


def test_all_errors_at_once(lite: Session, tmp_path: Path):
    units = [
        ["A", "Cơ quan", None, None, None, "a@thidua.test", None],  # row 3
        ["B", None, None, None, "A", "không-phải-email", "mười"],  # row 4
        ["B", "Trùng mã", None, None, "A", None, None],  # row 5
        ["C", "Đơn vị C", None, None, "KHONG_CO", None, None],  # row 6
        ["D", "Đơn vị D", None, None, "E", None, None],  # row 7
        ["E", "Đơn vị E", None, None, "D", None, None],  # row 8
        ["F G", "Đơn vị " + "rất " * 80 + "dài", None, None, "A", None, None],  # row 9
    ]
    blocks = [
        ["K1", "Khối 1", "A", "A, C"],  # row 3
        ["K2", "Khối 2", "X", "C, Y"],  # row 4
    ]
    people = [
        ["P1", "Nguyễn Văn A", None, "A", None, "0212345678", "đầu mối, thư ký"],  # row 3
        ["P2", None, None, "Z", "a@b", "+84 912 345 678", None],  # row 4
        ["P3", "Lê C", None, "A", None, None, "chủ tịch hội đồng"],  # row 5
        ["P4", "Lê D", None, "A", None, None, "council_chair"],  # row 6
    ]
    path = fill(tmp_path / "sai.xlsx", units, blocks, people)
    with pytest.raises(InvalidInput) as e:
        import_org(lite, path, actor="vp")
    got = [(p.where, p.field, p.reason) for p in e.value.problems]
    u, b, c = "Sheet 'Đơn vị'", "Sheet 'Khối thi đua'", "Sheet 'Cán bộ'"
    expected = [
        (u, 4, "Tên đơn vị", "thiếu giá trị bắt buộc"),
        (u, 4, "Email", "không phải địa chỉ email"),
        (u, 4, "Số người", "số nguyên"),
        (u, 5, "Mã đơn vị", "trùng với Sheet 'Đơn vị', dòng 4"),
        (u, 6, "Mã đơn vị cấp trên", "không có đơn vị mã 'KHONG_CO'"),
        (u, 7, "Mã đơn vị cấp trên", "vòng lặp: D → E → D"),
        (u, 9, "Mã đơn vị", "không được có khoảng trắng"),
        (u, 9, "Tên đơn vị", "dài quá 300 ký tự"),
        (b, 4, "Mã đơn vị trưởng khối", "không có đơn vị mã 'X'"),
        (b, 4, "Mã các đơn vị thành viên", "đã thuộc khối 'K1'"),
        (b, 4, "Mã các đơn vị thành viên", "không có đơn vị mã 'Y'"),
        (c, 3, "Số Zalo", "không phải số di động Việt Nam"),
        (c, 3, "Vai trò", "vai trò không có: thư ký"),
        (c, 4, "Họ và tên", "thiếu giá trị bắt buộc"),
        (c, 4, "Mã đơn vị", "không có đơn vị mã 'Z'"),
        (c, 4, "Email", "không phải địa chỉ email"),
        (c, 6, "Vai trò", "chỉ một người là chủ tịch hội đồng (P3)"),
    ]
    for sheet, row, column, reason in expected:
        where = f"{sheet}, dòng {row}"
        assert any(w == where and f == column and reason in r for w, f, r in got), (
            where, column, reason, got,
        )  # fmt: skip
    assert len(got) == len(expected)
    assert str(e.value).startswith(f"Dữ liệu tổ chức có {len(expected)} lỗi, chưa ghi gì")


def test_bad_workbook_changes_nothing(session: Session, tmp_path: Path):
    import_org(session, fill(tmp_path / "ok.xlsx"), actor="vp")
    session.commit()
    before = snapshot(session)
    changed = [[*UNITS[1][:1], "Văn phòng (đổi tên)", *UNITS[1][2:]]]
    bad_people = [[*PEOPLE[0][:5], "12345", PEOPLE[0][6]]]  # a bad phone
    with pytest.raises(InvalidInput):
        import_org(session, fill(tmp_path / "bad.xlsx", changed, [], bad_people), actor="vp")
    session.rollback()
    assert snapshot(session) == before


def test_reimport_updates(session: Session, tmp_path: Path):
    import_org(session, fill(tmp_path / "v1.xlsx"), actor="vp")
    session.commit()
    units = [*UNITS, ["SCT-QLTM", "Phòng Quản lý thương mại", None, "Phòng", "SCT", None, 7]]
    units[3] = ["SCT-QLCN-T1", "Tổ Năng lượng", None, "Tổ", "SCT-QLTM", None, 5]  # moved
    blocks = [["K1", "Khối quản lý nhà nước", "SCT-QLTM", "SCT-QLTM, SCT-QLCN-T1"]]
    people = [["CB3", "Phạm Văn Nam", "Phó Giám đốc", "SCT", "nam@thidua.test", "0356789012", ""]]
    v2 = fill(tmp_path / "v2.xlsx", units, blocks, people, keep_example=False)
    s = import_org(session, v2, actor="vp")
    session.commit()
    assert (s.units_created, s.units_updated, s.blocks_updated, s.people_updated) == (1, 4, 1, 1)
    u = {x.code: x for x in session.exec(select(Unit)).all()}
    assert u["SCT-QLCN-T1"].parent_id == u["SCT-QLTM"].id and u["SCT-QLCN-T1"].headcount == 5
    members = set(session.exec(select(BlockMember.unit_id)).all())
    assert members == {u["SCT-QLTM"].id, u["SCT-QLCN-T1"].id}  # SCT-QLCN left the block
    nam = session.exec(select(Person).where(Person.code == "CB3")).one()
    assert (nam.position, nam.unit_id, nam.roles) == ("Phó Giám đốc", u["SCT"].id, [])
    assert session.exec(select(func.count()).select_from(Person)).one() == 3


def test_export_then_import_elsewhere_is_the_same_org(db_url: str, sqlite_template, tmp_path):
    """The synthetic org exported to the template and imported into another database: the same
    tree, blocks and people (the office's edit-and-reimport path)."""
    shutil.copy(sqlite_template, tmp_path / "other.db")
    with Session(engine_for(db_url)) as s:
        generate_org(s, units=30, blocks=3, people=200)
        s.commit()
        path = export_org(s, tmp_path / "to-chuc.xlsx")
        before = _org_view(s)
    with Session(engine_for(f"sqlite:///{tmp_path / 'other.db'}")) as s:
        summary = import_org(s, path, actor="vp")
        s.commit()
        assert (summary.units_created, summary.people_created) == (30, 200)
        assert _org_view(s) == before


def _org_view(s: Session) -> tuple:
    code = dict(s.exec(select(Unit.id, Unit.code)).all())
    units = sorted(
        (u.code, u.name, code.get(u.parent_id), u.headcount) for u in s.exec(select(Unit))
    )
    members = sorted((m.block_id, code[m.unit_id]) for m in s.exec(select(BlockMember)))
    blocks = {b.id: (b.code, code[b.leader_unit_id]) for b in s.exec(select(Block))}
    people = sorted(
        (p.code, p.full_name, code[p.unit_id], p.zalo_phone, tuple(p.roles))
        for p in s.exec(select(Person))
    )
    return units, sorted((blocks[b], c) for b, c in members), people


def test_cycle_through_existing_units(lite: Session, tmp_path: Path):
    import_org(lite, fill(tmp_path / "v1.xlsx"), actor="vp")
    # SCT-QLCN-T1 is under SCT-QLCN in the database; making SCT-QLCN its child is a loop
    units = [["SCT-QLCN", "Phòng Quản lý công nghiệp", None, None, "SCT-QLCN-T1", None, None]]
    with pytest.raises(InvalidInput) as e:
        import_org(lite, fill(tmp_path / "v2.xlsx", units, [], []), actor="vp")
    (p,) = e.value.problems
    assert "SCT-QLCN → SCT-QLCN-T1 → SCT-QLCN" in p.reason


def test_second_council_chair_refused(lite: Session, tmp_path: Path):
    import_org(lite, fill(tmp_path / "v1.xlsx"), actor="vp")  # CB1 chairs the council
    people = [["CB9", "Hồ Văn Tư", None, "SCT", None, None, "chủ tịch hội đồng"]]
    with pytest.raises(InvalidInput) as e:
        import_org(lite, fill(tmp_path / "v2.xlsx", [], [], people), actor="vp")
    assert "chỉ một người là chủ tịch hội đồng (CB1)" in e.value.problems[0].reason
    # handing the chair over in the same file is fine
    people.append([*PEOPLE[0][:6], "thủ trưởng"])
    assert import_org(lite, fill(tmp_path / "v3.xlsx", [], [], people), actor="vp")


def test_empty_template_is_refused(lite: Session, tmp_path: Path):
    with pytest.raises(InvalidInput, match="không có dòng dữ liệu"):
        import_org(lite, write_template(tmp_path / "trong.xlsx"), actor="vp")


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("khong-co.xlsx", None, "không tìm thấy tệp"),
        ("hong.xlsx", b"not a zip", "không mở được tệp Excel"),
        ("org.txt", b"x", "chỉ nhận tệp .xlsx hoặc .csv"),
        ("donvi.csv", b"a,b\n", "tên tệp CSV phải là"),
        ("units.csv", "Tên đơn vị\nSở\n".encode(), "thiếu cột bắt buộc"),
        ("units.csv", "Mã đơn vị,Tên đơn vị,Emial\nA,Sở,a@b.vn\n".encode(), "cột không dùng"),
        ("units.csv", "Mã đơn vị,Tên đơn vị,Mã\nA,Sở,B\n".encode(), "cột có hai lần"),
        ("units.csv", "Mã đơn vị,Tên đơn vị\nA,Sở\n".encode("utf-16"), "UTF-8"),
    ],
)
def test_unreadable_inputs(sqlite_url: str, tmp_path: Path, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with Session(engine_for(sqlite_url)) as s, pytest.raises(InvalidInput) as e:
        import_org(s, path, actor="vp")
    assert any(reason in p.reason for p in e.value.problems), e.value.problems


@given(
    first=st.sampled_from("35789"),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
    form=st.sampled_from(["0{}", "+84{}", "84{}", "+84 {}", "{}"]),
    sep=st.sampled_from(["", " ", ".", "-"]),
)
def test_phone_forms_normalise_alike(first, rest, form, sep):
    local = first + rest
    written = form.format(sep.join([local[:2], local[2:5], local[5:]]))
    assert normalise_phone(written) == "84" + local


def test_phone_and_roles():
    assert normalise_phone("0912.345.678") == "84912345678"
    assert normalise_phone("+84 (0)3 5678 9012".replace("(0)", "")) == "84356789012"
    for bad in ("0212345678", "091234567", "84 12 345 678", "abc", "0912345678901"):
        with pytest.raises(ValueError):
            normalise_phone(bad)
    assert parse_roles("Đầu mối; QUẢN TRỊ, admin") == ["focal_point", "admin"]
    assert parse_roles("thu truong, Truong khoi thi dua") == ["unit_head", "block_leader"]
    assert parse_roles("") == []
    with pytest.raises(ValueError, match="thư ký"):
        parse_roles("thư ký")


# --- the synthetic organisation ----------------------------------------------------------------


def test_generate_demo_org(session: Session):
    generate_org(session, units=40, blocks=4, people=600)
    session.commit()
    count = lambda m: session.exec(select(func.count()).select_from(m)).one()  # noqa: E731
    assert (count(Unit), count(Block), count(Person)) == (40, 4, 600)
    assert count(BlockMember) == 39  # every unit but the root
    assert session.exec(select(func.sum(Unit.headcount))).one() == 600
    assert depth(session) >= 3
    people = session.exec(select(Person)).all()
    roles = [r for p in people for r in p.roles]
    assert roles.count("council_chair") == 1 and roles.count("admin") == 1
    assert roles.count("unit_head") == 40 and roles.count("focal_point") == 40
    assert roles.count("block_leader") == 4 and roles.count("council_member") >= 5
    assert all(p.zalo_phone.startswith("849") and len(p.zalo_phone) == 11 for p in people)
    assert all(p.email.endswith("@thidua.test") for p in people)
    assert any(c in p.full_name for p in people for c in "ễốạ")  # Vietnamese names
    for b in session.exec(select(Block)).all():
        member_ids = session.exec(select(BlockMember.unit_id).where(BlockMember.block_id == b.id))
        assert b.leader_unit_id in set(member_ids)
    with pytest.raises(InvalidInput):
        generate_org(session, units=40, blocks=4, people=600)  # not on a filled database


def test_generate_benchmark_size_is_fast(sqlite_url: str):
    with Session(engine_for(sqlite_url)) as s:
        t = time.perf_counter()
        generate_org(s, units=2000, blocks=40, people=8000, seed=7)
        s.commit()
        took = time.perf_counter() - t
        assert s.exec(select(func.count()).select_from(Unit)).one() == 2000
        assert s.exec(select(func.count()).select_from(Person)).one() == 8000
        assert depth(s) >= 3
    assert took < 10, f"{took:.1f} s"


def test_generate_refuses_impossible_sizes(sqlite_url: str):
    with Session(engine_for(sqlite_url)) as s, pytest.raises(InvalidInput):
        generate_org(s, units=40, blocks=4, people=50)


# --- the command line --------------------------------------------------------------------------


def test_cli_template_and_import(db_url: str, tmp_path: Path):
    runner = CliRunner()
    r = runner.invoke(app, ["template", str(tmp_path / "mau.xlsx")])
    assert r.exit_code == 0 and (tmp_path / "mau.xlsx").exists()
    r = runner.invoke(app, ["import", str(CSV_DIR)])
    assert r.exit_code == 0, r.output
    assert "Đơn vị: thêm 5" in r.output and "cán bộ: thêm 5" in r.output
    r = runner.invoke(app, ["export", str(tmp_path / "xuat.xlsx")])
    assert r.exit_code == 0 and load_workbook(tmp_path / "xuat.xlsx")["Cán bộ"].max_row == 6
    bad = fill(tmp_path / "bad.xlsx", [["X", "Đơn vị X", None, None, "KHONG_CO", None, None]])
    r = runner.invoke(app, ["import", str(bad)])
    assert r.exit_code == 1 and "Sheet 'Đơn vị', dòng 3" in r.output and "KHONG_CO" in r.output
    assert "Traceback" not in r.output
    for args in (["import", str(tmp_path / "khong-co.xlsx")], ["template", "mau.txt"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(func.count()).select_from(Unit)).one() == 5


def test_the_council_secretary_role_and_only_one(lite: Session, tmp_path: Path):
    import_org(lite, fill(tmp_path / "v1.xlsx"), actor="vp")
    people = [["CB8", "Ngô Thị Tám", None, "SCT", None, None, "Thư ký HĐTĐKT"]]
    import_org(lite, fill(tmp_path / "v2.xlsx", [], [], people), actor="vp")
    assert lite.exec(select(Person).where(Person.code == "CB8")).one().roles == [
        "council_secretary"
    ]
    people = [["CB9", "Hồ Văn Tư", None, "SCT", None, None, "thư ký hội đồng"]]
    with pytest.raises(InvalidInput) as e:
        import_org(lite, fill(tmp_path / "v3.xlsx", [], [], people), actor="vp")
    assert "chỉ một người là thư ký hội đồng (CB8)" in e.value.problems[0].reason
    assert lite.exec(select(Person).where(Person.code == "CB9")).first() is None
