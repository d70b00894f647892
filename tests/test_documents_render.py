"""The rendering path itself: Jinja in page headers, the docxtpl fallback, pictures on both
paths, a launch document numbered by hand, and the three real directives from examples/."""

import io
import zipfile
from pathlib import Path

import docx
import docx.table
import pytest

from thidua import documents as D
from thidua.documents.templates import SHIPPED_DIR, load_template
from thidua.settings import PROJECT_ROOT, reset_settings
from tools import sample_movement

# Rendering, not storage: SQLite is enough (the storage tests run on both).
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def demo(session):
    return sample_movement.build_demo(session)


@pytest.fixture
def office(tmp_path, monkeypatch):
    path = tmp_path / "office"
    path.mkdir()
    monkeypatch.setenv("THIDUA_TEMPLATE_DIR", str(path))
    reset_settings()
    yield path
    reset_settings()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _full(ctx: dict) -> dict:
    return {**ctx, "number": 7, "symbol": "07/BC-SCT", "date_line": "Hà Nam, ngày 08 tháng 7 "
            "năm 2022", "date_text": "ngày 08 tháng 7 năm 2022"}  # fmt: skip


@sqlite_only
def test_jinja_in_the_page_header_is_rendered_like_docxtpl(session, demo, office):
    d = docx.Document(str(SHIPPED_DIR / "registration_summary.docx"))
    d.sections[0].header.paragraphs[0].add_run(" {{ agency }} – {{ summary }}")
    d.save(str(office / "registration_summary.docx"))
    tpl = load_template("registration_summary")
    assert tpl.fast and tpl.parts  # the header part is compiled, not copied
    ctx = _full(D.registration_summary_context(session, demo.movement))
    ours, theirs = _parts(tpl.render(ctx)), _parts(tpl.render_docxtpl(ctx))
    assert ours == theirs
    header = next(v for k, v in ours.items() if k.startswith("word/header"))
    assert "SỞ CÔNG THƯƠNG – Tổng hợp đăng ký thi đua năm 2022".encode() in header


@sqlite_only
def test_jinja_in_document_properties_falls_back_to_docxtpl(session, demo, office):
    d = docx.Document(str(SHIPPED_DIR / "period_report.docx"))
    d.core_properties.title = "{{ summary }}"
    d.save(str(office / "period_report.docx"))
    tpl = load_template("period_report")
    assert not tpl.fast
    m = demo.movement
    doc = D.issue_document(
        session, m, "period_report", context=D.period_report_context(session, m, 1)
    )
    out = docx.Document(str(D.document_path(doc)))
    assert out.core_properties.title == "Sơ kết phong trào thi đua Đợt 1 năm 2022"
    assert len(out.inline_shapes) == 1  # the chart went through docxtpl's InlineImage


@sqlite_only
def test_pictures_on_the_fast_path(session, demo):
    ctx = _full(D.final_report_context(session, demo.movement, sample_movement.demo_rankings(demo)))
    data = load_template("final_report").render(ctx)
    parts = _parts(data)
    media = sorted(n for n in parts if n.startswith("word/media/"))
    assert len(media) == 3 and all(parts[n][:4] == b"\x89PNG" for n in media)
    assert b'Extension="png"' in parts["[Content_Types].xml"]
    rels = parts["word/_rels/document.xml.rels"].decode()
    assert rels.count("relationships/image") == 3
    d = docx.Document(io.BytesIO(data))
    assert len(d.inline_shapes) == 3
    assert {s.width for s in d.inline_shapes} == {docx.shared.Mm(155), docx.shared.Mm(150)}
    # drawing ids renumbered from 1001, as docxtpl does
    assert b'<wp:docPr id="1001"' in parts["word/document.xml"]


def test_launch_numbered_by_hand_keeps_its_number(session, demo):
    m = demo.movement
    m.doc_number = "1888"
    doc = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    assert (doc.number, doc.symbol) == (1888, "1888/SCT-VP")
    # the counter moved past it, so the next letter of the series cannot take 1888 again
    again = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    assert again.id == doc.id
    v2 = D.issue_document(session, m, "launch", context=D.launch_context(session, m), version=2)
    assert (v2.number, v2.symbol) == (1889, "1889/SCT-VP")
    assert D.next_number(session, agency="SCT", series="CV", year=2022) == 1890


def _squeeze(s: str) -> str:
    return " ".join(s.split())


def _body_lines(d) -> list[str]:
    """The document's paragraphs and table rows, in order, as text."""
    out = []
    for block in d.iter_inner_content():
        if isinstance(block, docx.table.Table):
            out += [" | ".join(c.text for c in r.cells) for r in block.rows]
        elif block.text.strip():
            out.append(_squeeze(block.text))
    return out


def assert_round_trip(spec, d) -> None:
    """Every item, paragraph and target of the spec is in the launch document, in the spec's
    order, exactly once: an item as its number and first paragraph, a target as its row."""
    from thidua import vn

    lines = _body_lines(d)
    whole = "\n".join(lines)
    targets = {t.code: t for t in spec.targets}
    expected: list[str] = []
    for sec in spec.contents:
        expected += [sec.section] if sec.section else []
        for top in sec.items:
            for _, it in top.walk():
                first, *rest = [_squeeze(p) for p in it.text.split("\n") if p.strip()]
                expected += [f"{it.number} {first}" if it.number else first, *rest]
                for code in it.targets:
                    t = targets[code]
                    figure = vn.number(t.value, len(t.value_text.partition(",")[2]))
                    figure = f"{t.qualifier} {figure}" if t.qualifier else figure
                    label = t.label + (f" ({t.basis})" if t.basis else "")
                    expected.append(f"{label} | {t.unit} | {figure}")
    at = 0
    for want in expected:
        hits = [i for i, ln in enumerate(lines) if want in ln]
        assert len(hits) == 1, (want, len(hits))
        assert hits[0] >= at, f"out of order: {want}"
        at = hits[0]
        assert whole.count(want) == 1, want


@pytest.mark.parametrize(
    "example,symbol,heading,signer",
    [
        ("hanam-sct-2022.yaml", "/SCT-VP", None, "GIÁM ĐỐC"),
        ("quangngai-sct-2021.yaml", None, None, None),
        ("tamduong-ubnd-2024.yaml", None, "CHỈ THỊ", None),
    ],
)
def test_real_directives_from_examples(sqlite_url, example, symbol, heading, signer):
    """The three seed directives, loaded by the spec loader, render as launch documents."""
    from sqlmodel import Session

    from models.db import engine_for
    from thidua.spec import store_spec
    from thidua.spec_load import load_spec

    spec = load_spec(PROJECT_ROOT / "examples" / example)
    with Session(engine_for(sqlite_url), expire_on_commit=False) as session:
        m = store_spec(session, spec, actor="test")
        ctx = D.launch_context(session, m)
        doc = D.issue_document(session, m, "launch", context=ctx)
        d = docx.Document(str(D.document_path(doc)))
        text = "\n".join(p.text for p in d.paragraphs)
        cells = "\n".join(c.text for t in d.tables for r in t.rows for c in r.cells)
        assert f"Số: {doc.symbol}" in cells and doc.symbol.startswith(f"{doc.number:02d}/")
        if symbol:
            assert doc.symbol.endswith(symbol)
        if heading:
            assert heading in text.splitlines()
        assert m.signer_name in cells
        assert (signer or m.signer_title.upper()) in cells
        if m.signer_prefix:
            assert m.signer_prefix.upper() in cells
        assert text.count(f"“{m.theme}”") == 1  # the slogan once, where the directive says it
        assert f"- {spec.copies[-1]}." in cells  # its own "Lưu: …" line, as written
        assert_round_trip(spec, d)
        if spec.closing is None:  # no closing written: the last item ends the text
            *_, (_, leaf) = spec.contents[-1].items[-1].walk()
            last = [p.text for p in d.paragraphs if p.text.strip()][-1]
            assert _squeeze(last).endswith(_squeeze(leaf.text.split("\n")[-1]))
        assert "{{" not in text + cells and "{%" not in text + cells
        assert "V/v Về việc" not in cells and "V/v V/v" not in cells
        assert "\a" not in text  # line breaks in the spec became paragraphs
        assert Path(doc.path).suffix == ".docx"


def test_launch_of_targets_with_growth_parts_and_a_motto(sqlite_url):
    """A province's directive with grouped targets, growth against a named baseline, a
    "trong đó" part, comparison words, a figure written without grouping and a phương châm."""
    from sqlmodel import Session

    from models.db import engine_for
    from thidua.spec import store_spec
    from thidua.spec_load import load_spec

    spec = load_spec(PROJECT_ROOT / "tests" / "data" / "spec" / "growth.yaml")
    with Session(engine_for(sqlite_url), expire_on_commit=False) as session:
        m = store_spec(session, spec, actor="test")
        doc = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
        d = docx.Document(str(D.document_path(doc)))
    assert_round_trip(spec, d)
    lines = _body_lines(d)
    text = "\n".join(lines)
    assert text.count("Phương châm: “Đoàn kết, kỷ cương") == 1 and "Chủ đề" not in text
    assert "6492,8" not in text and "6.492,8" in text
    economy, society = (t for t in d.tables if t.rows[0].cells[0].text == "STT")
    assert [c.text for c in economy.rows[0].cells][-1] == (
        "Tăng trưởng so với ước thực hiện năm 2021"
    )
    rows = [[c.text for c in r.cells] for r in economy.rows[1:]]
    assert rows == [
        ["1", "Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP)", "%", "khoảng 6,14", ""],
        ["2", "Giá trị sản xuất công nghiệp", "tỷ đồng", "6.492,8", "tăng 12,5%"],
        ["3", "Thu ngân sách nhà nước trên địa bàn", "tỷ đồng", "2.326", "tăng trên 8%"],
        ["", "Trong đó: thu nội địa", "tỷ đồng", "2.316", ""],
    ]
    assert [c.text for c in society.rows[1].cells] == ["1", "Tỷ lệ hộ nghèo", "%", "không quá 3"]
    # groups keep their own headings, each before its own table
    assert lines.index("1. Về kinh tế:") < lines.index("2. Về xã hội:")
    # no closing sentence was written: none is printed; the last paragraph is the directive's
    last = [p.text for p in d.paragraphs if p.text.strip()][-1]
    assert last == "Các sở, ngành triển khai thực hiện Chỉ thị này."
