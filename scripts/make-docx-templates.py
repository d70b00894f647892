"""Generate the shipped Word templates (templates/docx/*.docx) in the Nghị định 30/2020 layout.

Run from the repo root: `uv run python scripts/make-docx-templates.py`. The templates are data
an office may then edit in Word; this script only makes the first version reproducible.
Layout: A4, margins 20/20/30/15 mm, Times New Roman on all four w:rFonts slots, a borderless
two-column header, body 14 pt justified with a 1.27 cm first-line indent, the signature block
on the right and "Nơi nhận:" bottom left. Jinja (docxtpl): {%p …%} paragraphs, {%tr …%} rows.
"""

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "templates" / "docx"
TNR = "Times New Roman"
ALIGN = {
    "j": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "c": WD_ALIGN_PARAGRAPH.CENTER,
    "l": WD_ALIGN_PARAGRAPH.LEFT,
    "r": WD_ALIGN_PARAGRAPH.RIGHT,
}
PORTRAIT = {"w": 210, "h": 297, "top": 20, "bottom": 20, "left": 30, "right": 15}
LANDSCAPE = {"w": 297, "h": 210, "top": 20, "bottom": 20, "left": 30, "right": 20}


def text_width(page: dict) -> float:
    return page["w"] - page["left"] - page["right"]


def set_fonts(rpr) -> None:
    """Times New Roman on ascii, hAnsi, cs and eastAsia: LibreOffice reads the last two."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), TNR)


def new_document(page: dict = PORTRAIT, page_numbers: bool = True):
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = TNR
    normal.font.size = Pt(14)
    set_fonts(normal.element.get_or_add_rPr())
    # Document defaults too, so every style (tables, headers) inherits the font.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    rpr.append(lang)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if page["w"] > page["h"] else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(page["w"]), Mm(page["h"])
    section.top_margin, section.bottom_margin = Mm(page["top"]), Mm(page["bottom"])
    section.left_margin, section.right_margin = Mm(page["left"]), Mm(page["right"])
    section.header_distance = section.footer_distance = Mm(10)
    if page_numbers:
        # Page numbers from page 2, centred at the top (Nghị định 30/2020, Phụ lục I).
        section.different_first_page_header_footer = True
        p = section.header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run()
        fmt(run, 13)
        for kind, instr in (("begin", None), (None, " PAGE "), ("end", None)):
            if kind:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = instr
            r = p.add_run()
            fmt(r, 13)
            r._r.append(el)
    doc.core_properties.author = "thidua"
    doc.core_properties.title = ""
    return doc


def fmt(run, size=14, bold=False, italic=False, underline=False) -> None:
    run.font.name = TNR
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    set_fonts(run._element.get_or_add_rPr())


def par(
    box,
    content="",
    *,
    size=14,
    bold=False,
    italic=False,
    underline=False,
    align="j",
    indent=True,
    before=0,
    after=6,
    keep=False,
    page_break=False,
):
    """A paragraph; content is text or a list of (text, {"bold": …}) segments."""
    p = box.add_paragraph()
    pf = p.paragraph_format
    p.alignment = ALIGN[align]
    pf.first_line_indent = Mm(12.7) if indent and align == "j" else None
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.line_spacing = 1.0
    pf.keep_with_next = keep or None
    if page_break:
        pf.page_break_before = True
    segments = [(content, {})] if isinstance(content, str) else content
    for text, style in segments:
        if not text:
            continue
        run = p.add_run(text)
        opts = {"size": size, "bold": bold, "italic": italic, "underline": underline}
        fmt(run, **{**opts, **style})
    return p


def tag(box, text: str):
    """A paragraph holding only a {%p … %} tag (docxtpl removes it when rendering)."""
    p = box.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    fmt(p.add_run(text), 2)
    return p


def rule(box, box_width_mm: float, length_mm: float, after=4):
    """A short centred line: an empty paragraph with a bottom border, indented both sides."""
    p = box.add_paragraph()
    pf = p.paragraph_format
    side = (box_width_mm - length_mm) / 2
    pf.left_indent = pf.right_indent = Mm(side)
    pf.space_before, pf.space_after = Pt(0), Pt(after)
    pf.line_spacing = Pt(4)  # exact: the line sits just under the text above, not through it
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.insert_element_before(
        bdr, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr"
    )
    fmt(p.add_run(), 2)
    # the paragraph mark 2 pt too, or its 14 pt height pushes the line up into the text
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "4")
    mark.append(size)
    ppr.append(mark)
    return p


def _borders(table, on: bool) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if on else "nil")
        if on:
            el.set(qn("w:sz"), "4")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    tblpr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)


def table(box, widths_mm: list[float], rows: int, borders: bool):
    """A table with its column widths set on both the grid and every cell (LibreOffice reads
    the grid, Word the cells)."""
    t = box.add_table(rows=rows, cols=len(widths_mm))
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    _borders(t, borders)
    for col, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    for row in t.rows:
        for cell, w in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(w)
            cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    return t


def cell_text(cell, text, *, size=12, bold=False, italic=False, align="c", first=True):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = ALIGN[align]
    p.paragraph_format.space_before = Pt(2)
    p.paragraph_format.space_after = Pt(2)
    if text:
        fmt(p.add_run(text), size, bold, italic)
    return p


def grid(
    box,
    columns: list[tuple[str, float, str]],
    loop: str,
    item: str,
    size=12,
    total=None,
    head=11,
    page=PORTRAIT,
):
    """A bordered table: a bold header row, one row repeated by {%tr for %}, maybe a total row.
    columns: (header, width mm, cell text with Jinja)."""
    widths = [w for _, w, _ in columns]
    # Fill the text width exactly: the widest column takes up the difference.
    widest = widths.index(max(widths))
    widths[widest] += text_width(page) - sum(widths)
    t = table(box, widths, 4 + (1 if total else 0), borders=True)
    for cell, (title, _, _) in zip(t.rows[0].cells, columns, strict=True):
        cell_text(cell, title, size=head, bold=True)
    cell_text(t.rows[1].cells[0], f"{{%tr for {item} in {loop} %}}", size=size)
    for i, (cell, (_, _, value)) in enumerate(zip(t.rows[2].cells, columns, strict=True)):
        cell_text(cell, value, size=size, align="c" if i == 0 else "l")
    cell_text(t.rows[3].cells[0], "{%tr endfor %}", size=size)
    if total:
        for cell, value in zip(t.rows[4].cells, total, strict=True):
            cell_text(cell, value, size=size, bold=True)
    # the header row repeats on every page
    trpr = t.rows[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))
    box.add_paragraph().paragraph_format.space_after = Pt(0)
    return t


def header(doc, page=PORTRAIT, *, number="Số: {{ symbol }}", vv=False, left=(70, None)):
    """The two-column header: agencies and number left, national heading and date right."""
    lw = left[0]
    rw = text_width(page) - lw
    t = table(doc, [lw, rw], 1, borders=False)
    lc, rc = t.rows[0].cells
    tag(lc, "{%p if parent_agency %}")
    cell_text(lc, "{{ parent_agency }}", size=13, first=False)
    tag(lc, "{%p endif %}")
    cell_text(lc, "{{ agency }}", size=13, bold=True, first=False)
    rule(lc, lw, 22)
    if number:
        cell_text(lc, number, size=13, first=False)
    if vv:
        cell_text(lc, "V/v {{ summary }}", size=12, first=False)
    lc.paragraphs[0]._p.getparent().remove(lc.paragraphs[0]._p)  # the cell's empty first line
    cell_text(rc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    p = cell_text(rc, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, first=False)
    p.runs[0].font.underline = True
    cell_text(rc, "", size=6, first=False)
    cell_text(rc, "{{ date_line }}", size=14, italic=True, first=False)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def title(doc, kind_text: str, summary="{{ summary }}", page=PORTRAIT):
    par(doc, kind_text, bold=True, align="c", before=12, after=0, keep=True)
    if summary:
        par(doc, summary, bold=True, align="c", after=0, keep=True)
    rule(doc, text_width(page), 30, after=12)


def heading(doc, text: str, italic=False):
    par(doc, text, bold=True, italic=italic, keep=True, after=6)


def loop(doc, items: str, var: str, text: str, **kw):
    tag(doc, f"{{%p for {var} in {items} %}}")
    par(doc, text, **kw)
    tag(doc, "{%p endfor %}")


def signature(doc, *, left=None, copies=True, page=PORTRAIT):
    """Signature block right (prefix, title, name); left "Nơi nhận:" or a second signer."""
    width = text_width(page)
    t = table(doc, [width * 0.48, width * 0.52], 1, borders=False)
    lc, rc = t.rows[0].cells
    if left:
        cell_text(lc, left[0], size=14, bold=True)
        for _ in range(3):
            cell_text(lc, "", size=14, first=False)
        cell_text(lc, left[1], size=14, bold=True, first=False)
    elif copies:
        tag(lc, "{%p if copies %}")
        cell_text(lc, "Nơi nhận:", size=12, bold=True, italic=True, align="l", first=False)
        tag(lc, "{%p for c in copies %}")
        p = cell_text(lc, "- {{ c }}", size=11, align="l", first=False)
        p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
        tag(lc, "{%p endfor %}")
        tag(lc, "{%p endif %}")
        lc.paragraphs[0]._p.getparent().remove(lc.paragraphs[0]._p)
    tag(rc, "{%p if signer_prefix %}")
    cell_text(rc, "{{ signer_prefix }}", size=14, bold=True, first=False)
    tag(rc, "{%p endif %}")
    cell_text(rc, "{{ signer_title }}", size=14, bold=True, first=False)
    for _ in range(4):
        cell_text(rc, "", size=14, first=False)
    cell_text(rc, "{{ signer_name }}", size=14, bold=True, first=False)
    rc.paragraphs[0]._p.getparent().remove(rc.paragraphs[0]._p)
    if left and copies:
        tag(doc, "{%p if copies %}")
        par(doc, "Nơi nhận:", size=12, bold=True, italic=True, align="l", before=12, after=0)
        loop(doc, "copies", "c", "- {{ c }}", size=11, align="l", after=0)
        tag(doc, "{%p endif %}")


def progress(doc):
    par(doc, "{{ progress_basis }}", italic=True)
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Chỉ tiêu", 55, "{{ r.label }}"),
            ("Kế hoạch", 27, "{{ r.target_text }}"),
            ("Thực hiện", 27, "{{ r.achieved_text }}"),
            ("Tỷ lệ", 18, "{{ r.pct_text }}"),
            ("Đánh giá", 28, "{{ r.status }}"),
        ],
        "progress_rows",
        "r",
    )
    tag(doc, "{%p if progress_chart %}")
    par(doc, "{{ progress_chart }}", align="c", indent=False)
    par(
        doc,
        "Biểu đồ: tỷ lệ thực hiện so với kế hoạch từng chỉ tiêu",
        size=12,
        italic=True,
        align="c",
    )
    tag(doc, "{%p endif %}")


# ----------------------------------------------------------------------------- the kinds


def launch(doc_kind: str):
    doc = new_document()
    letter = doc_kind == "cong_van"
    header(doc, vv=letter)
    if letter:
        par(doc, "Kính gửi: {{ addressees|join('; ') }}", align="c", after=12)
    else:
        title(doc, "{{ doc_type }}")
    tag(doc, "{%p if legal_bases %}")
    loop(doc, "legal_bases", "b", "Căn cứ {{ b }};", italic=not letter)
    tag(doc, "{%p endif %}")
    par(doc, "{{ preamble }}")
    par(doc, [("Chủ đề: ", {}), ("“{{ theme }}”", {"bold": True})], align="c", indent=False)
    heading(doc, "I. NỘI DUNG THI ĐUA")
    tag(doc, "{%p for s in sections %}")
    tag(doc, "{%p if s.heading %}")
    heading(doc, "{{ s.heading }}", italic=True)
    tag(doc, "{%p endif %}")
    loop(doc, "s['items']", "c", "{{ c.number }}. {{ c.text }}")
    tag(doc, "{%p endfor %}")
    # Sections with nothing to say are left out, and the numbering follows.
    tag(doc, "{%p set goals = task_targets or quotas_collective or quotas_individual %}")
    tag(doc, "{%p set n = '2' if task_targets else '1' %}")
    tag(doc, "{%p if goals %}")
    heading(doc, "II. MỤC TIÊU, CHỈ TIÊU THI ĐUA")
    tag(doc, "{%p if task_targets %}")
    heading(doc, "1. Chỉ tiêu thực hiện nhiệm vụ chính trị", italic=True)
    grid(
        doc,
        [
            ("STT", 12, "{{ t.stt }}"),
            ("Chỉ tiêu", 95, "{{ t.label }}"),
            ("Kế hoạch", 30, "{{ t.value_text }}"),
            ("Đơn vị tính", 28, "{{ t.unit }}"),
        ],
        "task_targets",
        "t",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if quotas_collective or quotas_individual %}")
    heading(doc, "{{ n }}. Chỉ tiêu thi đua", italic=True)
    tag(doc, "{%p if quotas_collective %}")
    par(doc, "{{ n }}.1. Tập thể", italic=True)
    loop(doc, "quotas_collective", "q", "- {{ q }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if quotas_individual %}")
    par(doc, "{{ n }}.{{ '2' if quotas_collective else '1' }}. Cá nhân", italic=True)
    loop(doc, "quotas_individual", "q", "- {{ q }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    heading(doc, "{{ 'III' if goals else 'II' }}. CÁC ĐỢT THI ĐUA")
    loop(
        doc,
        "periods",
        "p",
        [("{{ p.name }} ({{ p.range }})", {"bold": True}), ("{{ p.theme_text }}", {})],
    )
    heading(doc, "{{ 'IV' if goals else 'III' }}. TỔ CHỨC THỰC HIỆN")
    loop(doc, "deadlines", "d", "- {{ d.label }}: chậm nhất {{ d.date }}.")
    par(doc, "{{ closing }}")
    signature(doc)
    return doc


def registration_summary():
    doc = new_document()
    header(doc)
    title(doc, "BÁO CÁO")
    par(doc, "{{ intro }}")
    par(doc, "Số đơn vị đã đăng ký: {{ registered_count }}/{{ participant_count }} đơn vị.")
    grid(
        doc,
        [
            ("STT", 11, "{{ r.stt }}"),
            ("Đơn vị", 55, "{{ r.unit }}"),
            ("Danh hiệu tập thể đăng ký", 40, "{{ r.collective }}"),
            ("Số cá nhân đăng ký LĐTT", 20, "{{ r.lao_dong_tien_tien }}"),
            ("Số cá nhân đăng ký CSTĐCS", 20, "{{ r.chien_si_co_so }}"),
            ("Khác", 19, "{{ r.other }}"),
        ],
        "rows",
        "r",
        total=[
            "",
            "Tổng cộng",
            "{{ totals.collective }}",
            "{{ totals.lao_dong_tien_tien }}",
            "{{ totals.chien_si_co_so }}",
            "{{ totals.other }}",
        ],
    )
    tag(doc, "{%p if missing_units %}")
    par(doc, "Các đơn vị chưa đăng ký: {{ missing_units|join(', ') }}.")
    tag(doc, "{%p endif %}")
    par(doc, "{{ closing }}")
    signature(doc)
    return doc


def period_report():
    doc = new_document()
    header(doc)
    title(doc, "BÁO CÁO")
    par(doc, "{{ intro }}")
    heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ")
    par(
        doc,
        "{{ period_name }} ({{ period_range }}): đã nhận báo cáo của {{ reported_count }}/"
        "{{ participant_count }} đơn vị.",
    )
    tag(doc, "{%p if missing_units %}")
    par(doc, "Các đơn vị chưa báo cáo: {{ missing_units|join(', ') }}.")
    tag(doc, "{%p endif %}")
    heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU")
    progress(doc)
    heading(doc, "III. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI")
    loop(doc, "next_steps", "s", "- {{ s }}")
    par(doc, "{{ closing }}")
    signature(doc)
    return doc


def final_report():
    doc = new_document()
    header(doc)
    title(doc, "BÁO CÁO")
    par(doc, "{{ intro }}")
    heading(doc, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU")
    par(doc, "Đã nhận báo cáo của {{ reported_count }}/{{ participant_count }} đơn vị.")
    progress(doc)
    heading(doc, "II. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG CÁC KHỐI THI ĐUA")
    tag(doc, "{%p for b in blocks %}")
    heading(doc, "{{ b.stt }}. {{ b.name }}", italic=True)
    grid(
        doc,
        [
            ("Xếp hạng", 20, "{{ u.rank }}"),
            ("Đơn vị", 70, "{{ u.unit }}"),
            ("Điểm", 25, "{{ u.total }}"),
            ("Điểm tối đa", 25, "{{ u.max_total }}"),
            ("Ghi chú", 25, "{{ u.note }}"),
        ],
        "b.rows",
        "u",
    )
    par(doc, "{{ b.tie_rule }}", size=12, italic=True)
    tag(doc, "{%p if b.chart %}")
    par(doc, "{{ b.chart }}", align="c", indent=False)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    par(doc, "{{ closing }}")
    signature(doc)
    return doc


def unit_report():
    doc = new_document()
    header(doc, number="Số:        /BC")
    title(doc, "BÁO CÁO")
    par(doc, "Thời gian: {{ period_name }} ({{ period_range }}).")
    par(doc, "{{ report_summary }}")
    grid(
        doc,
        [
            ("STT", 11, "{{ r.stt }}"),
            ("Chỉ tiêu", 70, "{{ r.label }}"),
            ("Đơn vị tính", 24, "{{ r.unit }}"),
            ("Kết quả của đơn vị", 30, "{{ r.value_text }}"),
            ("Ghi chú", 30, "{{ r.note }}"),
        ],
        "rows",
        "r",
    )
    par(doc, "{{ status_text }}")
    par(doc, "{{ submitted_line }}", size=12, italic=True)
    signature(doc)
    return doc


def achievement(collective: bool):
    doc = new_document()
    header(doc, number=None)
    title(doc, "BÁO CÁO THÀNH TÍCH")
    heading(doc, "I. THÔNG TIN CHUNG")
    if collective:
        par(doc, "- Tên tập thể: {{ collective_name }}", indent=False)
        par(doc, "- Số lượng thành viên: {{ headcount_text }}", indent=False)
        par(doc, "- Trực thuộc: {{ unit_name }}", indent=False)
    else:
        par(doc, "- Họ và tên: {{ full_name }}", indent=False)
        par(doc, "- Chức vụ: {{ position }}", indent=False)
        par(doc, "- Đơn vị công tác: {{ unit_name }}", indent=False)
    heading(doc, "II. THÀNH TÍCH ĐẠT ĐƯỢC")
    par(doc, "{{ achievement }}")
    grid(
        doc,
        [
            ("STT", 12, "{{ f.stt }}"),
            ("Nội dung", 85, "{{ f.label }}"),
            ("Kết quả", 68, "{{ f.value }}"),
        ],
        "facts",
        "f",
    )
    heading(doc, "III. CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG")
    tag(doc, "{%p if history %}")
    grid(
        doc,
        [
            ("Năm", 20, "{{ h.year }}"),
            ("Danh hiệu, hình thức", 85, "{{ h.title }}"),
            ("Số, ngày quyết định", 60, "{{ h.decision }}"),
        ],
        "history",
        "h",
    )
    tag(doc, "{%p else %}")
    par(doc, "Chưa có.")
    tag(doc, "{%p endif %}")
    left = ("XÁC NHẬN CỦA CẤP TRÌNH KHEN" if collective else "THỦ TRƯỞNG ĐƠN VỊ XÁC NHẬN", "")
    signature(doc, left=left, copies=False)
    return doc


def nominee_list():
    page = LANDSCAPE  # six columns with a summary of achievements: a list is read across
    doc = new_document(page)
    header(doc, page, number=None, left=(95, None))
    title(doc, "DANH SÁCH", page=page)
    par(doc, "{{ intro }}", italic=True, align="c")
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Họ và tên / tập thể", 45, "{{ r.name }}"),
            ("Chức vụ – đơn vị", 45, "{{ r.position_unit }}"),
            ("Hình thức đề nghị", 35, "{{ r.title }}"),
            ("Tóm tắt thành tích", 75, "{{ r.achievement }}"),
            ("Ghi chú", 35, "{{ r.note }}"),
        ],
        "rows",
        "r",
        size=12,
        page=page,
    )
    par(doc, "{{ count_text }}")
    signature(doc, page=page)
    return doc


def minutes():
    doc = new_document()
    header(doc)
    title(doc, "BIÊN BẢN")
    par(doc, "{{ meeting_line }}")
    par(
        doc,
        "Thành phần: {{ members_present }}/{{ members_total }} thành viên {{ council_name }}"
        " có mặt; chủ trì: {{ chair_name }}; thư ký: {{ secretary_name }}.",
    )
    par(doc, "{{ intro }}")
    heading(doc, "KẾT QUẢ BỎ PHIẾU KÍN")
    grid(
        doc,
        [
            ("STT", 11, "{{ r.stt }}"),
            ("Họ và tên / tập thể", 33, "{{ r.name }}"),
            ("Hình thức đề nghị", 27, "{{ r.title }}"),
            ("Phiếu phát ra", 14, "{{ r.issued }}"),
            ("Phiếu thu về", 14, "{{ r.returned }}"),
            ("Phiếu hợp lệ", 14, "{{ r.valid }}"),
            ("Đồng ý", 14, "{{ r.yes }}"),
            ("Tỷ lệ", 16, "{{ r.yes_pct }}"),
            ("Kết quả", 22, "{{ r.result }}"),
        ],
        "rows",
        "r",
        size=11,
        head=10,
    )
    par(doc, "{{ passed_count }}")
    par(doc, "{{ closing }}")
    signature(doc, left=("THƯ KÝ", "{{ secretary_name }}"))
    return doc


def proposal_memo():
    doc = new_document()
    header(doc)
    title(doc, "TỜ TRÌNH")
    par(doc, "Kính gửi: {{ addressee }}", align="c", after=12)
    loop(doc, "legal_bases", "b", "Căn cứ {{ b }};")
    par(doc, "{{ intro }}")
    loop(doc, "groups", "g", "- {{ g.title }}: {{ g.count_text }};")
    par(doc, "(Có danh sách kèm theo)", italic=True, align="c")
    par(doc, "{{ closing }}")
    signature(doc)
    par(doc, "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG", bold=True, align="c", page_break=True, after=0)
    par(doc, "(Kèm theo Tờ trình số {{ symbol }} {{ date_text }})", italic=True, align="c")
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Họ và tên / tập thể", 40, "{{ r.name }}"),
            ("Chức vụ – đơn vị", 40, "{{ r.position_unit }}"),
            ("Hình thức đề nghị", 30, "{{ r.title }}"),
            ("Tóm tắt thành tích", 45, "{{ r.achievement }}"),
        ],
        "rows",
        "r",
        size=11,
    )
    return doc


def decision():
    doc = new_document()
    header(doc)
    title(doc, "QUYẾT ĐỊNH", page=PORTRAIT)
    par(doc, "{{ issuer_title }}", bold=True, align="c", after=12)
    loop(doc, "legal_bases", "b", "Căn cứ {{ b }};", italic=True)
    par(doc, "{{ proposal_line }}", italic=True)
    par(doc, "QUYẾT ĐỊNH:", bold=True, align="c", before=6)
    par(
        doc,
        [
            ("Điều 1. ", {"bold": True}),
            (
                "Khen thưởng các tập thể, cá nhân có thành tích "
                "trong phong trào thi đua (có danh sách kèm theo):",
                {},
            ),
        ],
    )
    loop(doc, "groups", "g", "- {{ g.title }}: {{ g.count_text }};")
    par(
        doc,
        [
            ("Điều 2. ", {"bold": True}),
            (
                "Tổng số tiền thưởng: {{ total_amount }} đồng, "
                "trích từ Quỹ thi đua, khen thưởng theo quy định.",
                {},
            ),
        ],
    )
    par(
        doc,
        [
            ("Điều 3. ", {"bold": True}),
            ("{{ executors }} chịu trách nhiệm thi hành Quyết định này./.", {}),
        ],
    )
    signature(doc)
    par(doc, "DANH SÁCH KHEN THƯỞNG", bold=True, align="c", page_break=True, after=0)
    par(
        doc,
        "(Kèm theo Quyết định số {{ symbol }} {{ date_text }})",
        italic=True,
        align="c",
    )
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Họ và tên / tập thể", 45, "{{ r.name }}"),
            ("Chức vụ – đơn vị", 45, "{{ r.position_unit }}"),
            ("Danh hiệu, hình thức", 35, "{{ r.title }}"),
            ("Tiền thưởng (đồng)", 30, "{{ r.amount }}"),
        ],
        "rows",
        "r",
        size=11,
        total=["", "Tổng cộng", "", "", "{{ total_amount }}"],
    )
    return doc


def page_border(doc) -> None:
    """A double border around each certificate page."""
    sect = doc.sections[0]._sectPr
    borders = OxmlElement("w:pgBorders")
    borders.set(qn("w:offsetFrom"), "page")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        for k, v in (("w:val", "double"), ("w:sz", "12"), ("w:space", "24"), ("w:color", "9C0000")):
            el.set(qn(k), v)
        borders.append(el)
    # pgBorders goes after pgMar in sectPr's schema order
    sect.find(qn("w:pgMar")).addnext(borders)


def certificates():
    page = LANDSCAPE
    doc = new_document(page, page_numbers=False)
    page_border(doc)
    tag(doc, "{%p for c in certificates %}")
    par(
        doc,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        size=14,
        bold=True,
        align="c",
        after=0,
        page_break=True,
        before=6,
    )
    par(doc, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, underline=True, align="c", after=24)
    par(doc, "{{ issuer_title }}", size=18, bold=True, align="c", after=6)
    par(doc, "TẶNG", size=18, bold=True, align="c", after=6)
    p = par(doc, "GIẤY KHEN", size=48, bold=True, align="c", after=18)
    p.runs[0].font.color.rgb = RGBColor(0x9C, 0x00, 0x00)
    par(doc, "{{ c.recipient }}", size=26, bold=True, align="c", after=6)
    tag(doc, "{%p if c.position_unit %}")
    par(doc, "{{ c.position_unit }}", size=16, align="c", after=6)
    tag(doc, "{%p endif %}")
    par(doc, "Đã có thành tích {{ c.achievement }}", size=16, italic=True, align="c", after=30)
    width = text_width(page)
    t = table(doc, [width * 0.5, width * 0.5], 1, borders=False)
    lc, rc = t.rows[0].cells
    cell_text(lc, "", size=14)
    cell_text(lc, "{{ decision_line }}", size=13, align="l", first=False)
    cell_text(lc, "Số sổ vàng: {{ c.book_number }}", size=13, align="l", first=False)
    cell_text(rc, "{{ date_line }}", size=14, italic=True)
    tag(rc, "{%p if signer_prefix %}")
    cell_text(rc, "{{ signer_prefix }}", size=14, bold=True, first=False)
    tag(rc, "{%p endif %}")
    cell_text(rc, "{{ signer_title }}", size=14, bold=True, first=False)
    for _ in range(3):
        cell_text(rc, "", size=14, first=False)
    cell_text(rc, "{{ signer_name }}", size=14, bold=True, first=False)
    tag(doc, "{%p endfor %}")
    return doc


BUILDERS = {
    "launch_ke_hoach.docx": lambda: launch("ke_hoach"),
    "launch_chi_thi.docx": lambda: launch("chi_thi"),
    "launch_cong_van.docx": lambda: launch("cong_van"),
    "registration_summary.docx": registration_summary,
    "period_report.docx": period_report,
    "final_report.docx": final_report,
    "unit_report.docx": unit_report,
    "achievement_individual.docx": lambda: achievement(False),
    "achievement_collective.docx": lambda: achievement(True),
    "nominee_list.docx": nominee_list,
    "minutes.docx": minutes,
    "proposal_memo.docx": proposal_memo,
    "decision.docx": decision,
    "certificates.docx": certificates,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        build().save(OUT / name)
        print(OUT / name)


if __name__ == "__main__":
    main()
