"""Evidence uploads are what their bytes say: real Office files, PDFs and images pass; a .docm,
macros, external links, a zip bomb, a renamed archive or a fake PDF are refused with a
Vietnamese reason and nothing stored; labels lose bidi and control characters; limits per
file, per dossier and per text field; files 0600; downloads under a generated name, as an
attachment; only readers with a right to the dossier (thidua.access)."""

import io
import stat
import time
import zipfile
from datetime import timedelta

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Evidence, Movement, Nomination, Person
from models.base import utcnow
from models.db import engine_for
from tests.web_helpers import PNG, login, make_world, pdf_bytes, quiet, token
from thidua import dossiers, uploads
from thidua.ballots import open_meeting
from thidua.errors import InvalidInput
from thidua.lifecycle import State
from thidua.web.app import create_app

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes(text: str = "Bằng khen 2021") -> bytes:
    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph(text)
    d.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Sáng kiến"
    wb.save(buf)
    return buf.getvalue()


def rezip(content: bytes, change=None, add: dict[str, bytes] | None = None) -> bytes:
    """The same Office file with some members changed (change(name, data) -> data) or added."""
    src, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            z.writestr(info.filename, change(info.filename, data) if change else data)
        for name, data in (add or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def docm_bytes() -> bytes:
    def macro_type(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(
                b"wordprocessingml.document.main+xml",
                b"application/vnd.ms-word.document.macroEnabled.main+xml",
            )
        return data

    return rezip(docx_bytes(), macro_type, {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 64})


def external_template_docx() -> bytes:
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/attachedTemplate" Target="http://10.0.0.9/t.dotm" '
        b'TargetMode="External"/></Relationships>'
    )
    return rezip(docx_bytes(), add={"word/_rels/settings.xml.rels": rels})


def hyperlink_docx() -> bytes:
    d, buf = docx.Document(), io.BytesIO()
    part = d.part
    part.relate_to("https://thuvienphapluat.vn", docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK,
                   is_external=True)  # fmt: skip
    d.save(buf)
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A .docx-looking zip of ~300 KB whose one member expands to 300 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
        z.writestr("[Content_Types].xml", b'<Types><Override ContentType="' + main + b'"/></Types>')
        z.writestr("word/document.xml", b"<w:document/>")
        with z.open("word/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    return out.getvalue()


def jar_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Main-Class: A\n")
        z.writestr("A.class", b"\xca\xfe\xba\xbe")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "mime"),
    [(docx_bytes, WORD), (xlsx_bytes, uploads.ALLOWED["xlsx"][0]), (pdf_bytes, "application/pdf"),
     (lambda: PNG, "image/png"), (hyperlink_docx, WORD)],
)  # fmt: skip
def test_real_files_are_known_by_their_bytes(make, mime):
    assert uploads.identify(make())[0] == mime


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (docm_bytes, "macro"),
        (lambda: rezip(docx_bytes(), add={"word/vbaProject.bin": b"x" * 99}), "macro"),
        (lambda: rezip(xlsx_bytes(), add={"xl/externalLinks/externalLink1.xml": b"<x/>"}),
         "liên kết tới tệp bên ngoài"),
        (external_template_docx, "bên ngoài"),
        (jar_bytes, "nội dung là tệp ZIP"),
        (lambda: b"%PDF-1.4\n<script>alert(1)</script>", "không phải PDF thật"),
        (lambda: b"MZ\x90\x00" + b"\x00" * 200, "chỉ nhận PDF"),
        (lambda: docx_bytes()[:-40], "bị hỏng"),
        (lambda: b"", "rỗng"),
    ],
)  # fmt: skip
def test_dangerous_or_false_files_are_refused(make, reason):
    with pytest.raises(InvalidInput) as e:
        uploads.identify(make())
    assert reason in str(e.value)


def test_a_zip_bomb_is_refused_quickly():
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="bom nén"):
        uploads.identify(bomb)
    assert time.perf_counter() - started < 1


def test_a_bomb_whose_headers_lie_is_stopped_while_expanding(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNZIPPED", 20 * 1024 * 1024)
    bomb = bytearray(zip_bomb())
    # Make the central directory claim 1 KB for the big member: only expanding tells.
    archive = zipfile.ZipFile(io.BytesIO(bytes(bomb)))
    assert sum(i.file_size for i in archive.infolist()) > uploads.MAX_UNZIPPED
    monkeypatch.setattr(uploads, "_bounded", _only_when_expanding(uploads._bounded))
    with pytest.raises(InvalidInput, match="bom nén"):
        uploads.identify(bytes(bomb))


def _only_when_expanding(check):
    """The first call (the headers' claim) passes whatever it says; later ones are real."""
    calls = []

    def bounded(expanded, packed):
        calls.append(expanded)
        if len(calls) > 1:
            check(expanded, packed)

    return bounded


def test_labels_lose_bidi_and_control_characters():
    assert uploads.clean_label("hoa\u202efdp.exe") == "hoafdp.exe"
    assert uploads.clean_label("Bằng\u200b khen\x00\x1b[31m\u2066 2021\n.pdf") == (
        "Bằng khen[31m 2021 .pdf"
    )
    assert uploads.clean_label("a" * 400) == "a" * uploads.MAX_LABEL


# --- through the domain and the portal ------------------------------------------------------


@pytest.fixture
def world(db_url, monkeypatch):
    """Dossiers still with their unit (proposals): evidence is added before the council sits."""
    quiet(monkeypatch)
    return make_world(db_url, nominations=2, state=State.PROPOSALS)


def _nomination(url: str, nid: int) -> Nomination:
    with Session(engine_for(url)) as s:
        return s.get(Nomination, nid)


def test_limits_per_dossier_and_per_text_field(world, db_url, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES_PER_DOSSIER", 3)
    with Session(engine_for(db_url)) as s:
        n = s.get(Nomination, world.nominations[0])
        for i in range(3):
            dossiers.add_evidence(s, nomination=n, filename=f"{i}.png", content=PNG,
                                  content_type="image/png", actor="t")  # fmt: skip
        with pytest.raises(InvalidInput, match="tối đa 3 tệp"):
            dossiers.add_evidence(s, nomination=n, filename="4.png", content=PNG,
                                  content_type="image/png", actor="t")  # fmt: skip
        s.rollback()
        monkeypatch.setattr(uploads, "MAX_DOSSIER_BYTES", len(PNG) * 2 - 1)
        n = s.get(Nomination, world.nominations[1])
        dossiers.add_evidence(s, nomination=n, filename="a.png", content=PNG,
                              content_type="image/png", actor="t")  # fmt: skip
        with pytest.raises(InvalidInput, match="tổng dung lượng"):
            dossiers.add_evidence(s, nomination=n, filename="b.png", content=PNG,
                                  content_type="image/png", actor="t")  # fmt: skip
        s.rollback()
        m = s.exec(select(Movement)).one()
        p = s.exec(select(Person).where(Person.unit_id == world.focal_unit_id)).all()[-1]
        with pytest.raises(InvalidInput, match=r"tối đa 20\.000 ký tự"):
            dossiers.nominate(s, movement=m, unit_id=world.focal_unit_id, title="LDTT",
                              actor="t", person_id=p.id, achievement="x" * 1_000_000)  # fmt: skip


def _upload(client, nid: int, name: str, content: bytes, declared: str):
    return client.post(
        f"/dossier/{nid}/evidence",
        data={"csrf_token": token(client, f"/dossier/{nid}")},
        files={"evidence": (name, content, declared)},
    )


def test_the_portal_refuses_a_docm_and_serves_files_as_safe_attachments(world, db_url):
    nid = world.nominations[0]
    with TestClient(create_app()) as c:
        assert login(c, world.focal).status_code == 200
        r = _upload(c, nid, "ho-so.docx", docm_bytes(), WORD)
        assert r.status_code == 400 and "macro" in r.text
        r = _upload(c, nid, "ket-qua.html", b"%PDF-1.4 <script>alert(1)</script>", "text/html")
        assert r.status_code == 400 and "không phải PDF thật" in r.text
        with Session(engine_for(db_url)) as s:
            assert s.exec(select(Evidence)).all() == []
        r = _upload(c, nid, "b\u1eb1ng-khen\u202efdp.exe", pdf_bytes(), "application/x-msdownload")
        assert r.status_code == 200
        with Session(engine_for(db_url)) as s:
            ev = s.exec(select(Evidence)).one()
        assert ev.filename == "bằng-khenfdp.exe" and ev.content_type == "application/pdf"
        path = dossiers.evidence_path(ev)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        got = c.get(f"/evidence/{ev.id}")
        assert got.status_code == 200 and got.content == path.read_bytes()
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f'filename="minh-chung-{nid}-{ev.id}.pdf"' in disposition
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-type"] == "application/pdf"


def test_evidence_is_read_only_by_that_movements_council_and_its_unit(world, db_url):
    with Session(engine_for(db_url)) as s:
        n = s.get(Nomination, world.nominations[0])
        ev = dossiers.add_evidence(s, nomination=n, filename="a.png", content=PNG,
                                   content_type="image/png", actor="t")  # fmt: skip
        m = s.exec(select(Movement)).one()
        m.state = State.APPRAISAL.value  # the council sits on the dossier, its evidence with it
        open_meeting(s, m, actor="test", vote_deadline=utcnow() + timedelta(days=3))
        # The staff member now holds the council role, but sits on no council of this movement.
        staff = s.exec(select(Person).where(Person.code == world.staff)).one()
        staff.roles = ["council_member"]
        s.add(staff)
        s.commit()
        evidence_id = ev.id
    expected = {world.focal: 200, world.unit_head: 200, world.council[1]: 200,
                world.admin: 200, world.staff: 403, world.other_focal: 403}  # fmt: skip
    seen = {}
    with TestClient(create_app()) as c:
        for username in expected:
            c.cookies.clear()
            assert login(c, username).status_code == 200
            seen[username] = c.get(f"/evidence/{evidence_id}").status_code
    assert seen == expected
