"""PDF beside each .docx, through LibreOffice headless, in batches.

One soffice run converting many files is ~10× faster than one run each (ARCHITECTURE.md).
Each run gets a fresh profile (-env:UserInstallation), so parallel runs never share one.
Without LibreOffice this is a no-op: pdf_path stays None and the .docx remains the source.

A PDF is a copy of an issued .docx, never the document itself: converting is a step of its own
after a stage has issued its documents (`convert_batches`), whose failure leaves the stage done
and says which documents still wait; `thidua documents pdf MOVEMENT` (`convert_missing`)
converts whatever is missing. Each batch has its own timeout, scaled with its size (files and
bytes), so one slow batch on a busy machine does not cost the others."""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from models import IssuedDocument
from models.base import saved_id
from thidua.errors import ThiduaError
from thidua.settings import get_settings

# Per-unit and per-nominee documents are working papers: the agency signs the others.
WORKING_PAPERS = ("unit_report", "achievement_individual", "achievement_collective")
BATCH = 20  # documents per LibreOffice run
ALONE_BYTES = 2_000_000  # this much XML (thousands of rows or pages) is a batch alone
BASE_TIMEOUT_S = 60.0  # LibreOffice's start on a busy machine
PER_DOC_S = 20.0
PER_MB_S = 20.0  # a MB of the document's XML: a long decision's annex, a file of certificates


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def weight(path: Path) -> int:
    """A .docx's work for LibreOffice: the size of its document XML unzipped (pages, rows),
    which the zipped file hides — 200 certificates zip to less than a letter with a chart."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.getinfo("word/document.xml").file_size
    except (OSError, KeyError, zipfile.BadZipFile):
        return path.stat().st_size if path.is_file() else 0


def batch_timeout(sizes: list[int], per_doc: float | None = None) -> float:
    """Seconds one LibreOffice run may take for documents of these weights (bytes of XML)."""
    per_doc = PER_DOC_S if per_doc is None else per_doc
    return BASE_TIMEOUT_S + per_doc * len(sizes) + PER_MB_S * sum(sizes) / 1e6


def convert_to_pdf(docs: list[IssuedDocument], timeout_per_doc: float | None = None) -> None:
    """Convert the documents' .docx to PDF in one LibreOffice run; records pdf_path. Raises
    ThiduaError when LibreOffice fails or runs past its time (batch_timeout)."""
    exe = soffice()
    store = Path(get_settings().document_dir)
    # A document's .docx never changes once issued: a PDF already made stays valid.
    docs = [d for d in docs if not (d.pdf_path and (store / d.pdf_path).is_file())]
    if exe is None or not docs:
        return
    with tempfile.TemporaryDirectory(prefix="thidua-pdf-") as tmp:
        work = Path(tmp)
        inputs, sizes = [], []
        for i, doc in enumerate(docs):
            src = work / f"d{i:06d}.docx"  # unique names: two kinds may share a file stem
            shutil.copyfile(store / doc.path, src)
            inputs.append(str(src))
            sizes.append(weight(src))
        profile = (work / "profile").as_uri()
        cmd = [
            exe,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work / "out"),
            *inputs,
        ]
        limit = batch_timeout(sizes, timeout_per_doc)
        # its own process group: `soffice` is a script that starts soffice.bin, and a timeout
        # must end both, not leave the converter running on
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ThiduaError(
                f"LibreOffice không chuyển xong {len(docs)} văn bản sang PDF trong {limit:.0f} giây"
            ) from None
        if proc.returncode:
            raise ThiduaError(f"LibreOffice không chuyển được sang PDF (mã lỗi {proc.returncode})")
        for i, doc in enumerate(docs):
            out = work / "out" / f"d{i:06d}.pdf"
            if not out.is_file():
                raise ThiduaError(f"LibreOffice không tạo được PDF cho {doc.title}")
            rel = str(Path(doc.path).with_suffix(".pdf"))
            dest = store / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(out, dest)
            doc.pdf_path = rel


@dataclass
class PdfReport:
    """What a conversion step did: PDFs made, and the documents still waiting with why."""

    converted: int = 0
    pending: list[str] = field(default_factory=list)  # titles of documents still without PDF
    errors: list[str] = field(default_factory=list)  # one Vietnamese line per failed batch
    available: bool = True  # LibreOffice is installed

    def line(self) -> str:
        if not self.available:
            return "Không có LibreOffice: văn bản giữ bản .docx, chưa tạo PDF."
        done = f"Đã tạo {self.converted} bản PDF"
        if not self.pending:
            return done + "."
        return (
            f"{done}; còn {len(self.pending)} văn bản chưa có PDF ({'; '.join(self.errors)}). "
            "Chạy lại bằng lệnh `thidua documents pdf` cho phong trào."
        )


def convert_batches(docs: list[IssuedDocument], batch: int = BATCH) -> PdfReport:
    """Convert in batches of `batch`; a failed batch is reported, not raised, and its
    documents keep no pdf_path (the next run converts them)."""
    report = PdfReport(available=soffice() is not None)
    store = Path(get_settings().document_dir)
    todo = [d for d in docs if not (d.pdf_path and (store / d.pdf_path).is_file())]
    if not report.available:
        report.pending = [d.title for d in todo]
        return report
    for chunk in _batches(todo, store, batch):
        try:
            convert_to_pdf(chunk)
        except (ThiduaError, OSError) as e:
            report.errors.append(str(e))
        report.converted += sum(1 for d in chunk if d.pdf_path)
        report.pending += [d.title for d in chunk if not d.pdf_path]
    return report


def _batches(docs: list[IssuedDocument], store: Path, batch: int) -> list[list[IssuedDocument]]:
    """Up to `batch` documents a run, but a large one alone: a thousand-page file running past
    its time must not take the letters converted with it down too."""
    small, out = [], []
    for d in docs:
        if weight(store / d.path) >= ALONE_BYTES:
            out.append([d])
        else:
            small.append(d)
    return [small[i : i + batch] for i in range(0, len(small), batch)] + out


def missing(
    session: Session, movement_id: int, ids: list[int] | None = None
) -> list[IssuedDocument]:
    """The movement's signed documents (not the working papers) without a PDF; of `ids` only
    when given."""
    stmt = select(IssuedDocument).where(
        IssuedDocument.movement_id == movement_id,
        col(IssuedDocument.kind).not_in(WORKING_PAPERS),
        col(IssuedDocument.pdf_path).is_(None),
    )
    if ids is not None:
        stmt = stmt.where(col(IssuedDocument.id).in_(ids))
    return list(session.exec(stmt.order_by(col(IssuedDocument.id))))


def convert_missing(code: str, ids: list[int] | None = None, batch: int = BATCH) -> PdfReport:
    """PDF beside every signed document of the movement that has none yet (of `ids` only when
    given), a batch per transaction; what fails stays pending for the next run."""
    from models.db import session_scope
    from thidua.movements import find_movement

    with session_scope() as s:
        todo = [saved_id(d) for d in missing(s, saved_id(find_movement(s, code)), ids)]
    report = PdfReport(available=soffice() is not None)
    for i in range(0, len(todo), batch):
        with session_scope() as s:
            docs = s.exec(
                select(IssuedDocument)
                .where(col(IssuedDocument.id).in_(todo[i : i + batch]))
                .order_by(col(IssuedDocument.id))
            ).all()
            part = convert_batches(list(docs), batch)
        report.converted += part.converted
        report.pending += part.pending
        report.errors += part.errors
    return report
