"""What users send, bounded and checked: evidence files identified from their bytes (never the
name or the declared type), Office files opened and refused if they carry macros, external
links or a zip bomb; labels without bidi or control characters; limits per file, per dossier
and per text field; files written readable by the server's user only."""

import io
import re
import unicodedata
import zipfile
from pathlib import Path

import filetype
from pypdf import PdfReader
from sqlmodel import Session, col, func, select

from models import Evidence
from thidua.errors import InvalidInput, Problem
from thidua.vn import nfc, number

MAX_FILE_BYTES = 10 * 1024 * 1024  # a scanned document
MAX_FILES_PER_DOSSIER = 20
MAX_DOSSIER_BYTES = 50 * 1024 * 1024
MAX_TEXT = 20_000  # characters in one free-text field (an achievement, a report, a reason)
MAX_LABEL = 255
# An Office file is a zip: what it may expand to, and how much more than its own size.
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_RATIO = 100  # checked once the content passes RATIO_FROM (small files compress well too)
RATIO_FROM = 10 * 1024 * 1024
MAX_MEMBERS = 2_000
# What offices send, by what the bytes say: (MIME type, extension on disk, name for the user).
ALLOWED = {
    "pdf": ("application/pdf", ".pdf"),
    "jpg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
ALLOWED_TEXT = "PDF, JPG, PNG, DOCX hoặc XLSX"
# The main part an Office file must declare ([Content_Types].xml): a .docm/.xlsm declares
# its macro-enabled type instead and is refused.
MAIN_PART = {
    "docx": "wordprocessingml.document.main+xml",
    "xlsx": "spreadsheetml.sheet.main+xml",
}
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.I)
_EXTERNAL = re.compile(rb"TargetMode\s*=\s*[\"']External[\"']", re.I)
_HYPERLINK = re.compile(rb"Type\s*=\s*[\"'][^\"']*/hyperlink[\"']", re.I)


def _refuse(reason: str, field: str = "file") -> InvalidInput:
    return InvalidInput("Tệp minh chứng không hợp lệ", [Problem(field, reason)])


def clean_label(text: str, limit: int = MAX_LABEL) -> str:
    """A name to show: NFC, without control, format (bidi overrides such as U+202E, zero-width
    characters), private-use or unassigned characters; runs of spaces made one."""
    kept = []
    for ch in nfc(text or ""):
        cat = unicodedata.category(ch)
        if cat in {"Zl", "Zp"} or ch in "\t\n\r":
            kept.append(" ")
        elif cat not in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            kept.append(ch)
    return " ".join("".join(kept).split())[:limit]


def too_long(value: str, limit: int = MAX_TEXT) -> str:
    return f"dài {number(len(value))} ký tự, tối đa {number(limit)} ký tự"


def check_text(value: str | None, field: str, limit: int = MAX_TEXT) -> None:
    """Refuse a free-text field longer than `limit` characters (nothing is stored)."""
    if value is not None and len(value) > limit:
        raise InvalidInput("Nội dung quá dài", [Problem(field, too_long(value, limit))])


def identify(content: bytes) -> tuple[str, str]:
    """The (MIME type, extension) the bytes are, if an allowed kind and safe; else refused."""
    if not content:
        raise _refuse("tệp rỗng")
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(f"dung lượng vượt quá {MAX_FILE_BYTES // (1024 * 1024)} MB")
    kind = filetype.guess(content)
    if kind is None or kind.extension not in ALLOWED:
        found = f" (nội dung là tệp {kind.extension.upper()})" if kind else ""
        raise _refuse(f"chỉ nhận {ALLOWED_TEXT}{found}")
    if kind.extension in MAIN_PART:
        _check_office(content, kind.extension)
    elif kind.extension == "pdf":
        _check_pdf(content)
    return ALLOWED[kind.extension]


def _check_pdf(content: bytes) -> None:
    """A PDF must open as one: "%PDF" in front of a web page or a program is refused."""
    try:
        pages = len(PdfReader(io.BytesIO(content)).pages)
    except Exception:  # pypdf raises many kinds on broken input; each means "not a PDF"
        pages = 0
    if pages < 1:
        raise _refuse("tệp PDF bị hỏng hoặc không phải PDF thật, không mở được")


def _check_office(content: bytes, ext: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse("tệp Office bị hỏng, không mở được") from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse("tệp Office có quá nhiều thành phần")
    _bounded(sum(i.file_size for i in infos), len(content))  # what the headers claim...
    names = [i.filename.lower() for i in infos]
    if any(n.endswith(("vbaproject.bin", "vbadata.xml")) or "/activex/" in n for n in names):
        raise _refuse("tệp Office có chứa macro hoặc ActiveX; hãy lưu lại thành .docx/.xlsx thường")
    if any("externallink" in n for n in names):
        raise _refuse("tệp Excel có liên kết tới tệp bên ngoài; hãy bỏ liên kết rồi gửi lại")
    total = 0
    try:
        for info in infos:
            data, size = bytearray(), 0
            keep = info.filename == "[Content_Types].xml" or info.filename.endswith(".rels")
            with archive.open(info) as member:  # ...and what it really expands to
                while chunk := member.read(64 * 1024):
                    size += len(chunk)
                    total += len(chunk)
                    _bounded(total, len(content))
                    if keep and len(data) < 1024 * 1024:
                        data += chunk
            if info.filename == "[Content_Types].xml":
                types = bytes(data).lower()
                if b"macroenabled" in types or b"vbaproject" in types:
                    raise _refuse("tệp Office có chứa macro; hãy lưu lại thành .docx/.xlsx thường")
                if MAIN_PART[ext].encode() not in types:
                    raise _refuse("tệp Office không đúng định dạng DOCX/XLSX")
            elif keep:
                for rel in _RELATIONSHIP.findall(bytes(data)):
                    if _EXTERNAL.search(rel) and not _HYPERLINK.search(rel):
                        raise _refuse(
                            "tệp Office có liên kết hoặc mẫu tải từ bên ngoài; hãy bỏ rồi gửi lại"
                        )
    except InvalidInput:
        raise
    except Exception:  # a bad CRC, an encrypted member, an unknown compression
        raise _refuse("tệp Office bị hỏng, không mở được") from None
    if "[content_types].xml" not in names:
        raise _refuse("tệp Office không đúng định dạng DOCX/XLSX")


def _bounded(expanded: int, packed: int) -> None:
    if expanded > MAX_UNZIPPED or (expanded > RATIO_FROM and expanded > MAX_RATIO * packed):
        raise _refuse("tệp nén giãn ra quá lớn (nghi là bom nén)")


def check_room(session: Session, nomination_id: int, size: int) -> None:
    """Refuse a file that would take the dossier past its count or its total size."""
    count, used = session.exec(
        select(func.count(col(Evidence.id)), func.coalesce(func.sum(Evidence.size), 0)).where(
            Evidence.nomination_id == nomination_id
        )
    ).one()
    if count >= MAX_FILES_PER_DOSSIER:
        raise _refuse(f"hồ sơ đã có {count} tệp, tối đa {MAX_FILES_PER_DOSSIER} tệp")
    if used + size > MAX_DOSSIER_BYTES:
        raise _refuse(
            f"tổng dung lượng minh chứng của hồ sơ vượt quá {MAX_DOSSIER_BYTES // (1024 * 1024)} MB"
        )


def download_name(evidence: Evidence) -> str:
    """The name a download is saved under: generated, never the uploader's."""
    return f"minh-chung-{evidence.nomination_id}-{evidence.id}{Path(evidence.stored_name).suffix}"
