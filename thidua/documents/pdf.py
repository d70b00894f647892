"""PDF beside each .docx, through LibreOffice headless, in one batch.

One soffice run converting many files is ~10× faster than one run each (ARCHITECTURE.md).
Each run gets a fresh profile (-env:UserInstallation), so parallel runs never share one.
Without LibreOffice this is a no-op: pdf_path stays None and the .docx remains the source."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from models import IssuedDocument
from thidua.errors import ThiduaError
from thidua.settings import get_settings


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(docs: list[IssuedDocument], timeout_per_doc: float = 20.0) -> None:
    """Convert the documents' .docx to PDF in one LibreOffice run; records pdf_path."""
    exe = soffice()
    store = Path(get_settings().document_dir)
    # A document's .docx never changes once issued: a PDF already made stays valid.
    docs = [d for d in docs if not (d.pdf_path and (store / d.pdf_path).is_file())]
    if exe is None or not docs:
        return
    with tempfile.TemporaryDirectory(prefix="thidua-pdf-") as tmp:
        work = Path(tmp)
        inputs = []
        for i, doc in enumerate(docs):
            src = work / f"d{i:06d}.docx"  # unique names: two kinds may share a file stem
            shutil.copyfile(store / doc.path, src)
            inputs.append(str(src))
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
        try:
            subprocess.run(
                cmd,
                check=True,
                capture_output=True,
                timeout=60 + timeout_per_doc * len(docs),
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ThiduaError(f"LibreOffice không chuyển được sang PDF: {exc}") from None
        for i, doc in enumerate(docs):
            out = work / "out" / f"d{i:06d}.pdf"
            if not out.is_file():
                raise ThiduaError(f"LibreOffice không tạo được PDF cho {doc.title}")
            rel = str(Path(doc.path).with_suffix(".pdf"))
            dest = store / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(out, dest)
            doc.pdf_path = rel
