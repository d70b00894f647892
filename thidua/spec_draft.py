"""A draft spec from a directive as offices hold it (.docx, .pdf text, .txt).

    draft = draft_spec(read_directive("cong-van.docx"))   # InvalidInput if it is no directive
    text = draft_yaml(draft)                               # YAML, each field marked

The reading is by the forms Vietnamese administrative documents share (Nghị định 30/2020): "Số:
12/SCT-VP", "Hà Nam, ngày 05 tháng 3 năm 2022", "V/v …", "Kính gửi:", "I.", "1.", "a)", "-",
"Căn cứ / Chỉ thị số 34-CT/TW ngày 07/4/2014 của …", "Đợt 1 (từ … đến …)", "Nơi nhận:", the
signer's block. Each field says whether it was found or is to be checked ("cần kiểm tra"); a
field not found is left empty so that `spec check` refuses the draft until someone fills it.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

from thidua.errors import InvalidInput, Problem
from thidua.vn import nfc, parse_number

CHECK = "cần kiểm tra"
FOUND = "tìm thấy"

ROMAN = re.compile(r"^(?P<n>[IVX]{1,5}\.)\s+(?P<t>.+)$")
NUMBERED = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2})*\.?)\s+(?P<t>\S.*)$")
LETTERED = re.compile(r"^(?P<n>[a-zđ]\))\s+(?P<t>.+)$")
DASHED = re.compile(r"^(?P<n>[-+•])\s+(?P<t>.+)$")
NUMBER_LINE = re.compile(r"^Số\s*:\s*(?P<num>\d*)\s*/\s*(?P<sym>[A-ZĐ0-9][A-ZĐ0-9\-]*)")
DATE_LINE = re.compile(
    r"^(?P<place>[^,\n]{2,60}),\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})"
)
KINDS = {"CHỈ THỊ": "chi_thi", "KẾ HOẠCH": "ke_hoach"}
DOC_TYPES = (
    "Chỉ thị|Nghị quyết|Nghị định|Thông tư|Quyết định|Kế hoạch|Thông báo|Kết luận|Luật|Hướng dẫn"
)
BASIS = re.compile(
    rf"(?P<kind>{DOC_TYPES})\s+(?:số\s+)?(?P<num>\d{{1,4}}[\w/\-.]*[A-ZĐ][\w\-]*)\s*,?\s*"
    r"(?:ngày\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4}))?"
    r"(?:\s+của\s+(?P<issuer>.+?))?"
    r"(?=\s+(?:về|ban hành|theo|và|“|\"|phát động)|\s*[;,.(]|$)"
)
SLOGAN = re.compile(
    r"(?P<label>chủ đề|phương châm|khẩu hiệu)(?:\s+thi đua)?\s*:?\s*[“\"]\s*"
    r"(?P<text>[^”\"]{8,400}?)\s*[”\"]",
    re.IGNORECASE,
)
UNITS = (
    "nghìn tỷ đồng|tỷ đồng|triệu đồng|nghìn đồng|triệu USD|tỷ USD|USD|lượt khách|lượt|tấn|ha|km"
    "|người|hộ|lao động|doanh nghiệp|%"
)
QUALIFIER = "khoảng|trên|ít nhất|tối thiểu|không dưới|không quá|dưới|tối đa"
TARGET = re.compile(
    rf"^(?P<label>[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][^:;]{{3,200}}?)\s+(?:đạt|là|ước đạt|phấn đấu đạt|giảm xuống"
    rf"(?: còn)?|còn)?\s*(?:(?P<q>{QUALIFIER})\s+)?(?P<num>\d[\d.,]*)\s*(?P<unit>{UNITS})"
    r"(?=[\s,;.]|$)(?P<rest>.*)$"
)
GROWTH = re.compile(
    rf"(?P<word>tăng|giảm)\s+(?:(?P<q>{QUALIFIER})\s+)?(?P<num>\d[\d,]*)\s*%"
    r"(?:\s+(?P<basis>so với [^;,.]+))?"
)
PART = re.compile(
    rf"trong đó:?\s+(?P<label>[^\d;,]{{3,120}}?)\s+(?:đạt\s+)?(?P<num>\d[\d.,]*)\s*"
    rf"(?P<unit>{UNITS})"
)
PERIOD = re.compile(
    r"Đợt\s+(?P<n>[12])\s*\(\s*[Tt]ừ\s+(?P<a>[^)]*?)\s+đến\s+(?P<b>[^)]*?)\)", re.IGNORECASE
)


@dataclass
class Field:
    value: Any
    found: bool
    note: str = ""


@dataclass
class Draft:
    fields: dict[str, Field] = field(default_factory=dict)

    def put(self, name: str, value: Any, found: bool, note: str = "") -> None:
        self.fields[name] = Field(value, found, note)

    def value(self, name: str) -> Any:
        f = self.fields.get(name)
        return f.value if f else None


# --- reading the file ------------------------------------------------------------------------


def read_directive(path: str | Path) -> list[str]:
    """The directive's paragraphs, in order, NFC, without empty ones: a .docx (its body and its
    tables, the header first), a .pdf's text, a .txt."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InvalidInput(
            "Không đọc được văn bản", [Problem("(tệp)", "không tìm thấy tệp", where)]
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            lines = _docx_lines(path)
        elif suffix == ".pdf":
            from pypdf import PdfReader

            lines = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages).split(
                "\n"
            )
        elif suffix == ".txt":
            lines = path.read_text(encoding="utf-8-sig").split("\n")
        else:
            raise InvalidInput(
                "Không đọc được văn bản",
                [Problem("(tệp)", "chỉ đọc được tệp .docx, .pdf hoặc .txt", where)],
            )
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, UnicodeDecodeError) as e:
        reason = "tệp hỏng hoặc không phải định dạng như phần mở rộng của nó"
        raise InvalidInput("Không đọc được văn bản", [Problem("(tệp)", reason, where)]) from e
    except Exception as e:  # pypdf raises its own errors on a damaged file
        reason = f"không đọc được nội dung ({type(e).__name__})"
        raise InvalidInput("Không đọc được văn bản", [Problem("(tệp)", reason, where)]) from e
    out = [_clean(ln) for ln in lines]
    return [ln for ln in out if ln]


def _docx_lines(path: Path) -> list[str]:
    import docx
    import docx.table

    with zipfile.ZipFile(path) as z:
        if "word/document.xml" not in z.namelist():
            raise KeyError("word/document.xml")
    out: list[str] = []

    def walk(container) -> None:
        for block in container.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:  # merged cells repeat
                            seen.add(id(cell._tc))
                            walk(cell)
            else:
                out.extend(block.text.split("\n"))

    walk(docx.Document(str(path)))
    return out


def _clean(line: str) -> str:
    line = nfc(line).replace("\u00a0", " ").replace("**", "").replace("|", " ")
    line = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", line)
    line = line.replace("“ ", "“").replace(" ”", "”")
    return " ".join(line.split())


# --- reading the text ------------------------------------------------------------------------


def _ends(text: str) -> bool:
    return bool(re.search(r"[.:;!?…”\")]$|\./\.$", text))


def _item_form(line: str) -> tuple[str, str, str] | None:
    """(style, number, text) of a numbered line."""
    for style, rx in (("roman", ROMAN), ("num", NUMBERED), ("letter", LETTERED), ("dash", DASHED)):
        if m := rx.match(line):
            number = m.group("n")
            if style == "num":
                if "." not in number:  # "2022 …": a year, not an item
                    return None
                style = f"num{number.rstrip('.').count('.')}"
            return style, number, m.group("t")
    return None


def draft_spec(lines: list[str]) -> Draft:
    """Read a directive's paragraphs into a draft; InvalidInput when they are no directive."""
    text = "\n".join(lines)
    if not re.search(r"thi đua", text, re.IGNORECASE) or not (
        NUMBER_LINE.search(text.replace("\n", " ")) or any(NUMBER_LINE.match(x) for x in lines)
    ):
        first = lines[0][:80] if lines else "(tệp rỗng)"
        raise InvalidInput(
            "Tệp không phải văn bản phát động thi đua",
            [
                Problem(
                    "(đoạn 1)", f"không thấy số ký hiệu ('Số: …/…') hay nội dung thi đua: «{first}»"
                )
            ],
        )
    lines = list(lines)  # the header reader may split a line in two
    d = Draft()
    header_end = _header(d, lines)
    body, tail = _split_tail(lines[header_end:])
    _body(d, body)
    _tail(d, tail)
    _derived(d, text)
    return d


def _header(d: Draft, lines: list[str]) -> int:
    """Number, symbol, place, date, kind, summary, addressees; returns where the body starts."""
    i, end = 0, len(lines)
    kind: str | None = None
    summary: list[str] = []
    addressees: list[str] = []
    agency = []
    while i < end:
        ln = lines[i]
        if m := NUMBER_LINE.match(ln):
            d.put("document.number", m.group("num") or None, True)
            d.put("document.symbol", m.group("sym"), True)
            sym = m.group("sym")  # "SCT-VP": the agency first; "CT-UBND": the kind first
            code = sym.split("-")[-1] if sym[:3] in ("CT-", "KH-") else sym.split("-")[0]
            note = "đoán từ ký hiệu văn bản"
            if code == "UBND":  # an Ủy ban declares who decides and proposes for it
                note += "; Ủy ban nhân dân phải khai issuer.authority (xem rules/authorities)"
            d.put("issuer.agency_code", code, False, note)
            after = ln[m.end() :].strip()  # "Số: /CT-UBND Tam Đường, ngày …" on one line
            if after:
                lines[i] = ln = after
                continue
        elif m := DATE_LINE.match(ln):
            parts = [m.group("y")] + [f"{int(x):02d}" for x in (m.group("m"), m.group("d")) if x]
            if not m.group("m"):
                parts = parts[:1]
            d.put("document.place", m.group("place").strip(), True)
            d.put("document.date", "-".join(parts), True)
        elif ln.upper() == ln and ln.strip() in KINDS:
            kind = KINDS[ln.strip()]
        elif re.match(r"^(V/v|Về việc)\b", ln) or (kind and not summary and _under_kind(lines, i)):
            summary = [ln]
            while i + 1 < end and not _starts_body(lines[i + 1]) and len(" ".join(summary)) < 400:
                i += 1
                summary.append(lines[i])
        elif ln.startswith("Kính gửi"):
            rest = ln.split(":", 1)[1].strip() if ":" in ln else ""
            if rest:  # "Kính gửi: Các phòng …" on one line
                addressees.append(rest)
            while not rest and i + 1 < end and (dash := DASHED.match(lines[i + 1])):  # a list
                i += 1
                addressees.append(dash.group("t"))
            i += 1
            break
        elif ln.isupper() and len(ln) < 120 and not ln.startswith(("CỘNG HÒA", "ĐỘC LẬP")):
            agency.append(ln)
        elif summary or (kind and i > 0 and len(ln) > 150) or len(ln) > 150:
            break
        i += 1
    if kind is None:
        kind = "cong_van" if addressees or any(s.startswith("V/v") for s in summary) else None
    d.put("document.kind", kind or "cong_van", kind is not None, "" if kind else "không thấy loại")
    d.put("document.summary", " ".join(summary) or None, bool(summary))
    d.put("addressees", [a.rstrip(";.") for a in addressees], bool(addressees) or kind == "chi_thi")
    if agency:
        d.put("issuer.agency", agency[-1], True)
        d.put("issuer.parent_agency", agency[0] if len(agency) > 1 else None, True)
    return i


def _under_kind(lines: list[str], i: int) -> bool:
    """The line under "CHỈ THỊ" / "KẾ HOẠCH" is the trích yếu."""
    return i > 0 and lines[i - 1].strip() in KINDS and not lines[i].startswith(("Số", "Căn cứ"))


def _starts_body(line: str) -> bool:
    """Where a trích yếu broken over lines ends ("… kinh tế" / "- xã hội …" is one line)."""
    return (
        line.startswith(("Kính gửi", "Căn cứ", "Thực hiện", "CỘNG HÒA"))
        or len(line) > 150
        or bool(NUMBER_LINE.match(line) or DATE_LINE.match(line))
        or ((form := _item_form(line)) is not None and form[0] != "dash")
    )


def _split_tail(lines: list[str]) -> tuple[list[str], list[str]]:
    at = next((i for i, ln in enumerate(lines) if ln.startswith("Nơi nhận")), len(lines))
    return lines[:at], lines[at:]


def _body(d: Draft, lines: list[str]) -> None:
    """Preamble, sections, items (nested by their numbering), paragraphs, closing, targets."""
    # a paragraph broken by a page: its end has no stop and the next line no number
    paras: list[str] = []
    for ln in lines:
        if (
            paras
            and not _ends(paras[-1])
            and _item_form(ln) is None
            and ln[:1].islower()
            | (not _ends(paras[-1]) and len(paras[-1]) > 200 and _item_form(ln) is None)
        ):
            paras[-1] += " " + ln
        else:
            paras.append(ln)
    bases = [p for p in paras if p.startswith("Căn cứ")]
    paras = [p for p in paras if not p.startswith("Căn cứ")]
    preamble = []
    while paras and _item_form(paras[0]) is None:
        preamble.append(paras.pop(0))
        if preamble[-1].endswith(":") or (paras and _item_form(paras[0])):
            break
    closing = None
    if paras and _item_form(paras[-1]) is None and paras[-1].endswith("./."):
        closing = paras.pop()
    d.put("preamble", "\n".join(preamble) or None, bool(preamble))
    d.put("closing", closing, True, "" if closing else "văn bản không có đoạn kết riêng")
    d.put("_bases_text", bases, True)
    sections: list[dict] = []
    stack: list[tuple[str, dict]] = []  # (style, item) of the open items, outermost first
    targets: list[dict] = []
    for p in paras:
        form = _item_form(p)
        if form and form[0] == "roman":
            sections.append({"section": f"{form[1]} {form[2]}", "items": []})
            stack = []
            continue
        if not sections:
            sections.append({"section": None, "items": []})
        if form is None:
            if stack:  # a paragraph of the item above
                stack[-1][1]["text"] += "\n" + p
            else:
                sections[-1]["items"].append({"number": None, "text": p})
            continue
        style, number, rest = form
        target = _target(rest) if style == "dash" else None
        if target and stack:
            owner = (
                stack[-1][1]
                if stack[-1][0] != "dash"
                else (stack[-2][1] if len(stack) > 1 else None)
            )
            if owner is not None:
                targets.append(target)
                owner.setdefault("targets", []).append(target["code"])
                for part in target.pop("_parts", []):
                    targets.append(part)
                    owner["targets"].append(part["code"])
                continue
        if any(s == style for s, _ in stack):
            while stack[-1][0] != style:
                stack.pop()
            stack.pop()
        item = {"number": number, "text": rest}
        if stack:
            stack[-1][1].setdefault("items", []).append(item)
        else:
            sections[-1]["items"].append(item)
        stack.append((style, item))
    d.put("contents", sections, bool(sections), "xem lại cách chia mục" if not sections else "")
    _unique_codes(targets)
    d.put("targets", targets, bool(targets), "" if targets else "không thấy chỉ tiêu có số")


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", text)
    return "_".join(words[:5])[:40] or "chi_tieu"


def _unique_codes(targets: list[dict]) -> None:
    seen: dict[str, int] = {}
    renamed: dict[int, str] = {}  # by the target's id()
    for t in targets:
        base = t["code"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            renamed[id(t)] = f"{base[:36]}_{seen[base]}"
    for t in targets:
        if id(t) in renamed:
            t["code"] = renamed[id(t)]


def _number(text: str) -> tuple[Decimal, str] | None:
    """A figure as written; "174.186,0" and "6492,8" read, a dot grouping thousands."""
    text = text.rstrip(".,")
    try:
        return parse_number(text), text
    except ValueError:
        return None


def _target(text: str) -> dict | None:
    m = TARGET.match(text.rstrip("."))
    if not m or re.match(r"^(Có|Tập thể|\d)", m.group("label")):
        return None
    read = _number(m.group("num"))
    if read is None:
        return None
    label, basis = m.group("label").strip(), None
    if b := re.search(r"\s*\(([^)]{2,60})\)$", label):
        label, basis = label[: b.start()].strip(), b.group(1)
    out: dict[str, Any] = {"code": _slug(label), "label": label, "value": read[0],
                           "value_text": read[1], "unit": m.group("unit")}  # fmt: skip
    if basis:
        out["basis"] = basis
    if m.group("q"):
        out["qualifier"] = m.group("q")
    if g := GROWTH.search(m.group("rest")):
        pct = parse_number(g.group("num"))
        out["growth_pct"] = -pct if g.group("word") == "giảm" else pct
        if g.group("q"):
            out["growth_qualifier"] = g.group("q")
        if g.group("basis"):
            out["growth_basis"] = g.group("basis").strip()
    if p := PART.search(m.group("rest")):
        value = _number(p.group("num"))
        if value:
            part_label = p.group("label").strip()
            out["_parts"] = [{"code": _slug(part_label), "label": part_label, "value": value[0],
                              "value_text": value[1], "unit": p.group("unit"),
                              "parent": out["code"]}]  # fmt: skip
    return out


def _date(text: str, year: int) -> date | None:
    text = text.strip()
    if m := re.match(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?$", text):
        return date(int(m.group(3) or year), int(m.group(2)), int(m.group(1)))
    if m := re.match(r"(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?$", text):
        return date(int(m.group(3) or year), int(m.group(2)), int(m.group(1)))
    return None


def _tail(d: Draft, lines: list[str]) -> None:
    """Nơi nhận, and the signer's block after it."""
    copies, rest = [], []
    for ln in lines[1:]:
        if m := DASHED.match(ln):
            copies.append(re.sub(r"\s*\(B/c\)$", "", m.group("t")).rstrip(";."))
        else:
            rest.append(ln)
    d.put("copies", copies, bool(copies))
    rest = [r for r in rest if r not in ("(B/c)",)]
    prefix = next((r for r in rest if r.startswith(("TM.", "KT.", "TL.", "Q."))), None)
    titles = [r for r in rest if r.isupper() and r != prefix]
    names = [r for r in rest if not r.isupper() and r != prefix]
    d.put("signer.prefix", prefix, True)
    d.put("signer.title", titles[0] if titles else "", bool(titles))
    d.put("signer.name", names[-1] if names else "", bool(names))


def _derived(d: Draft, text: str) -> None:
    """Year, slogan, legal bases, periods, code and title, from the text as a whole."""
    issued = d.value("document.date") or ""
    years = re.findall(r"năm (20\d\d)", text)
    year = int(issued[:4]) if issued else (int(max(set(years), key=years.count)) if years else 0)
    d.put("year", year, bool(issued), "" if issued else "đoán từ văn bản")
    if not issued:
        d.put("document.date", str(year) if year else "", False)
    flat = " ".join(text.split())
    if m := SLOGAN.search(flat):
        d.put("theme", m.group("text").strip(), True)
        d.put("theme_label", m.group("label").capitalize(), True)
    else:
        d.put("theme", "", False, "không thấy chủ đề, phương châm hay khẩu hiệu")
    bases: dict[str, dict] = {}
    for m in BASIS.finditer(flat):
        num = m.group("num").rstrip(".,")
        if "/" not in num and "-" not in num:
            continue
        own = f"{d.value('document.number') or ''}/{d.value('document.symbol')}"
        if num in (own, d.value("document.symbol")):  # the directive's own number
            continue
        when = None
        if m.group("y"):
            try:
                when = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            except ValueError:
                when = None
        tail = flat[m.end() : m.end() + 300]
        about = re.match(
            r"\s*(về[^;”\"]*?|ban hành[^;]*?)(?=;|\.\s|$| để | theo |,\s*(?:Chỉ thị|Kế hoạch))",
            tail,
        )
        title = f"{m.group('kind')} {about.group(1).strip()}" if about else m.group("kind")
        issuer = (m.group("issuer") or "").strip()
        entry = bases.setdefault(num, {"number": num, "date": None, "issuer": issuer,
                                       "title": title})  # fmt: skip
        entry["date"] = entry["date"] or when
        entry["issuer"] = entry["issuer"] or issuer
        if len(title) > len(entry["title"]):
            entry["title"] = title
    found = [b for b in bases.values()]
    for b in found:
        b["_found"] = bool(b["issuer"] and b["date"])
        b["issuer"] = b["issuer"] or ""
    d.put("legal_bases", found, True)
    periods = []
    for m in PERIOD.finditer(flat):
        starts, ends = _date(m.group("a"), year), _date(m.group("b"), year)
        if starts and ends:
            periods.append({"number": int(m.group("n")), "name": f"Đợt {m.group('n')}",
                            "starts_on": starts, "ends_on": ends})  # fmt: skip
    periods = list({p["number"]: p for p in periods}.values())
    d.put(
        "periods",
        periods or None,
        bool(periods),
        "" if periods else "không chia đợt: một đợt cả năm",
    )
    code = (d.value("issuer.agency_code") or "dv").lower()
    d.put("code", f"{_slug(d.value('document.place') or '').replace('_', '')}-{code}-{year}",
          False, "đặt mã riêng cho phong trào")  # fmt: skip
    d.put("title", f"Phong trào thi đua năm {year}", False, "đặt tên phong trào")
    if "issuer.agency" not in d.fields:
        d.put("issuer.agency", "", False, "không thấy tên cơ quan ban hành ở đầu văn bản")
        d.put("issuer.parent_agency", None, False)


# --- writing the draft -------------------------------------------------------------------------


def draft_data(d: Draft) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec as plain data, and the mark of each field path ("tìm thấy" / "cần kiểm tra")."""
    marks: dict[str, str] = {}
    data: dict[str, Any] = {}

    def mark(path: str, f: Field) -> None:
        marks[path] = FOUND if f.found else f"{CHECK}" + (f": {f.note}" if f.note else "")

    for name, f in d.fields.items():
        if name.startswith("_"):
            continue
        mark(name, f)
        parts = name.split(".")
        box = data
        for p in parts[:-1]:
            box = box.setdefault(p, {})
        box[parts[-1]] = f.value
    for i, b in enumerate(data.get("legal_bases") or []):
        marks[f"legal_bases[{i}]"] = FOUND if b.pop("_found") else f"{CHECK}: ngày hoặc cơ quan"
    data["signer"] = {k: data.get("signer", {}).get(k) for k in ("prefix", "title", "name")}
    return data, marks


ORDER = (
    "code", "year", "title", "issuer", "document", "addressees", "theme", "theme_label",
    "preamble", "legal_bases", "contents", "targets", "periods", "closing", "signer", "copies",
)  # fmt: skip


def draft_yaml(d: Draft, source: str = "") -> str:
    """The draft as a spec file: every field in the spec's order with its mark beside it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    data, marks = draft_data(d)

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            m = CommentedMap()
            for k, x in v.items():
                m[k] = conv(x)
            return m
        if isinstance(v, list):
            return CommentedSeq(conv(x) for x in v)
        if isinstance(v, Decimal):
            return float(v) if v != int(v) else int(v)
        if isinstance(v, date):
            return v
        return v

    root = CommentedMap()
    for key in ORDER:
        if key in data:
            root[key] = conv(data[key])
    for path, note in marks.items():
        head, *rest = path.split(".")
        if "[" in head:
            key, idx = head.rstrip("]").split("[")
            seq = root.get(key)
            if isinstance(seq, CommentedSeq) and int(idx) < len(seq):
                seq[int(idx)].yaml_add_eol_comment(note, "number")
        elif rest and isinstance(root.get(head), CommentedMap) and rest[0] in root[head]:
            root[head].yaml_add_eol_comment(note, rest[0])
        elif head in root:
            root.yaml_add_eol_comment(note, head)
    y = YAML()
    y.width = 100
    y.allow_unicode = True
    out = StringIO()
    top = (
        f"# Bản nháp đặc tả phong trào, đọc từ {source or 'văn bản'}.\n"
        f"# Trường ghi '{CHECK}' phải được xem lại và điền đủ; '{FOUND}': đọc được từ văn bản.\n"
        "# Kiểm tra: thidua spec check <tệp này>\n"
    )
    y.dump(root, out)
    return top + out.getvalue()
