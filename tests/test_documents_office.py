"""An office's own templates, templates refused at load, contexts refused before rendering,
and user text that must not break the XML."""

import zipfile

import docx
import pytest
from sqlmodel import select

from models import IssuedDocument
from thidua import documents as D
from thidua.documents.templates import SHIPPED_DIR
from thidua.errors import InvalidInput
from thidua.settings import reset_settings
from tools import sample_movement

# Rendering, not storage: SQLite is enough (the storage tests run on both).
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def demo(session):
    return sample_movement.build_demo(session)


@pytest.fixture
def office(tmp_path, monkeypatch):
    path = tmp_path / "office-templates"
    path.mkdir()
    monkeypatch.setenv("THIDUA_TEMPLATE_DIR", str(path))
    reset_settings()
    yield path
    reset_settings()


def _variant(name: str, dest, line: str) -> None:
    """A shipped template with one more paragraph, as an office would edit it in Word."""
    d = docx.Document(str(SHIPPED_DIR / name))
    d.add_paragraph(line)
    d.save(str(dest / name))


def _text(doc) -> str:
    d = docx.Document(str(D.document_path(doc)))
    cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def _count(session, kind) -> int:
    return len(session.exec(select(IssuedDocument).where(IssuedDocument.kind == kind)).all())


@sqlite_only
def test_office_template_wins_and_others_fall_back(session, demo, office):
    _variant("period_report.docx", office, "Mẫu riêng của {{ agency }}: {{ period_name }}")
    m = demo.movement
    doc = D.issue_document(
        session,
        m,
        "period_report",
        context=D.period_report_context(session, m, 1),
        subject_key="p1",
    )
    assert "Mẫu riêng của SỞ CÔNG THƯƠNG: Đợt 1" in _text(doc)
    launch = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    assert "Mẫu riêng" not in _text(launch)  # no office template: the shipped one


@sqlite_only
def test_template_with_unknown_variable_is_refused_naming_it(session, demo, office):
    _variant("minutes.docx", office, "Ý kiến của {{ y_kien_khac }} và {{ agency }}")
    m = demo.movement
    ctx = D.minutes_context(session, m, demo.meeting, sample_movement.demo_votes(session, demo))
    with pytest.raises(InvalidInput) as err:
        D.issue_document(session, m, "minutes", context=ctx)
    assert "y_kien_khac" in str(err.value)
    assert [p.field for p in err.value.problems] == ["y_kien_khac"]
    assert "minutes.docx" in err.value.problems[0].where
    assert _count(session, "minutes") == 0
    assert not (D.document_path.__globals__["get_settings"]().document_dir / m.code).exists()


@sqlite_only
def test_template_with_a_syntax_error_is_refused(session, demo, office):
    _variant("decision.docx", office, "{% for x in %}")
    m = demo.movement
    with pytest.raises(InvalidInput, match="lỗi cú pháp"):
        D.issue_document(
            session, m, "decision", context=D.decision_context(session, m, demo.decision)
        )


@sqlite_only
def test_missing_attribute_stops_the_render_naming_it(session, demo, office):
    # jinja2.meta sees only top-level names; StrictUndefined catches the rest at render time
    _variant("unit_report.docx", office, "{{ rows[0].khong_co_truong_nay }}")
    m = demo.movement
    with pytest.raises(InvalidInput, match="khong_co_truong_nay"):
        D.issue_documents(session, m, "unit_report", D.unit_report_contexts(session, m, 1))
    assert _count(session, "unit_report") == 0
    store = D.document_path.__globals__["get_settings"]().document_dir
    assert not list(store.rglob("*.docx"))  # no half-filled file, not even for the first units


def test_context_missing_a_declared_field_is_refused(session, demo):
    m = demo.movement
    ctx = D.registration_summary_context(session, m)
    del ctx["closing"]
    with pytest.raises(InvalidInput) as err:
        D.issue_document(session, m, "registration_summary", context=ctx)
    assert [p.field for p in err.value.problems] == ["closing"]
    assert _count(session, "registration_summary") == 0
    # and the number it would have taken is still free
    ctx = D.registration_summary_context(session, m)
    assert D.issue_document(session, m, "registration_summary", context=ctx).number == 1


@sqlite_only
def test_unknown_kind_is_refused(session, demo):
    with pytest.raises(InvalidInput, match="Không có loại văn bản"):
        D.issue_document(session, demo.movement, "bao_cao_la", context={})


@sqlite_only
def test_user_text_is_escaped(session, demo):
    m = demo.movement
    unit = demo.units[0]
    unit.name = 'Phòng A & B <x> "Q"'
    session.add(unit)
    session.flush()
    [(key, ctx)] = D.unit_report_contexts(session, m, 1, [unit.id])
    ctx["rows"][0]["note"] = "{{ not_a_tag }} & </w:t>"
    doc = D.issue_document(session, m, "unit_report", context=ctx, subject_key=key)
    text = _text(doc)
    assert 'PHÒNG A & B <X> "Q"' in text  # the header shows the unit in capitals
    assert "{{ not_a_tag }} & </w:t>" in text
    with zipfile.ZipFile(D.document_path(doc)) as z:
        xml = z.read("word/document.xml").decode()
    assert "A &amp; B &lt;X&gt;" in xml


def test_template_readme_lists_every_field_of_every_kind():
    """The office's reference (templates/docx/README.md) stays in step with the kinds."""
    from thidua.documents.kinds import KINDS, template_name

    readme = (SHIPPED_DIR / "README.md").read_text()
    for kind in KINDS.values():
        for field in kind.declared:
            assert f"`{field}`" in readme, (kind.name, field)
        names = [template_name(kind.name, d) for d in ("ke_hoach", "chi_thi", "cong_van")]
        for name in set(names):
            assert f"`{name}`" in readme, name
