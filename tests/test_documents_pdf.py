"""PDF through LibreOffice headless: one batch, then pdftoppm/pdftotext read it back."""

import os
import shutil
import subprocess

import pytest

from thidua import documents as D
from tools import sample_movement

HAVE_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))
# Skipped only where LibreOffice is missing on a developer's machine; under CI it must be there.
needs_soffice = pytest.mark.skipif(
    not HAVE_SOFFICE and os.environ.get("CI") != "true", reason="LibreOffice is not installed"
)


@needs_soffice
@pytest.mark.slow
def test_pdf_batch_renders_pages_and_text(sqlite_url, session_sqlite, tmp_path):
    assert HAVE_SOFFICE, "LibreOffice (soffice) must be installed"
    session = session_sqlite
    demo = sample_movement.build_demo(session)
    m = demo.movement
    launch = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    (certs,) = D.issue_certificates(session, m, demo.decision)  # six: one file
    D.convert_to_pdf([launch, certs])  # one soffice run for both
    assert launch.pdf_path.endswith(".pdf") and certs.pdf_path.endswith(".pdf")

    pdf = D.document_path(launch, pdf=True)
    made = pdf.stat().st_mtime_ns
    D.convert_to_pdf([launch, certs])  # already converted: nothing to do
    assert pdf.stat().st_mtime_ns == made
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1])
    assert 1 <= pages <= 4
    assert "pts (A4)" in info.stdout and "595.3" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 01/SCT-VP",
        "Kính gửi: Các phòng chuyên môn",
        "174.186,0",
        "Lê Nguyên Ngọc",
        "Nơi nhận:",
    ):
        assert needle in text, needle

    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.02  # portrait A4

    # the certificates: one landscape page per recipient
    cpdf = D.document_path(certs, pdf=True)
    info = subprocess.run(["pdfinfo", str(cpdf)], capture_output=True, text=True, check=True)
    # three Giấy khen and three Bằng chứng nhận (CSTĐCS, TTLĐXS); none for LĐTT, TTLĐTT
    assert "Pages:           6" in info.stdout and "841.89 x 595.3" in info.stdout
    ctext = subprocess.run(
        ["pdftotext", str(cpdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert ctext.count("GIẤY KHEN") == 3 and ctext.count("CHỨNG NHẬN") == 3


def test_without_libreoffice_pdf_is_skipped(sqlite_url, session_sqlite, monkeypatch, tmp_path):
    session = session_sqlite
    demo = sample_movement.build_demo(session)
    m = demo.movement
    doc = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH
    D.convert_to_pdf([doc])
    assert doc.pdf_path is None
    assert D.document_path(doc).is_file()  # the docx stays the source


@pytest.fixture
def session_sqlite(sqlite_url):
    from sqlmodel import Session

    from models.db import engine_for

    with Session(engine_for(sqlite_url), expire_on_commit=False) as s:
        yield s


@needs_soffice
@pytest.mark.slow
def test_a_batch_past_its_time_stays_pending_and_the_command_makes_it(
    sqlite_url, session_sqlite, monkeypatch
):
    """LibreOffice too slow for a batch (its time made tiny here): the step reports the
    document as waiting, raises nothing, and `thidua documents pdf` converts it later."""
    from typer.testing import CliRunner

    from thidua.cli import app
    from thidua.documents import pdf

    session = session_sqlite
    demo = sample_movement.build_demo(session)
    m = demo.movement
    doc = D.issue_document(session, m, "launch", context=D.launch_context(session, m))
    session.commit()
    monkeypatch.setattr(pdf, "BASE_TIMEOUT_S", 0.01)
    monkeypatch.setattr(pdf, "PER_DOC_S", 0.01)
    monkeypatch.setattr(pdf, "PER_MB_S", 0.0)
    report = pdf.convert_missing(m.code)
    assert report.converted == 0 and report.pending == [doc.title]
    assert "không chuyển xong 1 văn bản sang PDF trong" in report.errors[0]
    assert "thidua documents pdf" in report.line()
    session.expire_all()
    assert session.get(type(doc), doc.id).pdf_path is None

    monkeypatch.undo()
    out = CliRunner().invoke(app, ["documents", "pdf", m.code])
    assert out.exit_code == 0, out.output
    assert "Đã tạo 1 bản PDF" in out.output
    session.expire_all()
    assert D.document_path(session.get(type(doc), doc.id), pdf=True).is_file()
    again = CliRunner().invoke(app, ["documents", "pdf", m.code])
    assert again.exit_code == 0 and "Mọi văn bản đã có bản PDF" in again.output
