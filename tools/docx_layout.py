"""The Nghị định 30/2020 layout in python-docx terms, for building the Word templates
(scripts/make-docx-templates.py): page and margins, Times New Roman on all four w:rFonts slots,
the two-column header, headings, body paragraphs, bordered tables with their widths on both the
grid and the cells, the signature block and "Nơi nhận"."""

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

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
    columns: list[tuple],
    loop: str,
    item: str,
    size=12,
    total=None,
    head=11,
    page=PORTRAIT,
):
    """A bordered table: a bold header row, one row repeated by {%tr for %}, maybe a total row.
    columns: (header, width mm, cell text with Jinja[, alignment])."""
    widths = [c[1] for c in columns]
    # Fill the text width exactly: the widest column takes up the difference.
    widest = widths.index(max(widths))
    widths[widest] += text_width(page) - sum(widths)
    t = table(box, widths, 4 + (1 if total else 0), borders=True)
    for cell, (title, *_) in zip(t.rows[0].cells, columns, strict=True):
        cell_text(cell, title, size=head, bold=True)
    cell_text(t.rows[1].cells[0], f"{{%tr for {item} in {loop} %}}", size=size)
    for i, (cell, column) in enumerate(zip(t.rows[2].cells, columns, strict=True)):
        # a fourth item aligns the column: "c" for counts, "r" for amounts; text to the left
        align = column[3] if len(column) > 3 else ("c" if i == 0 else "l")
        cell_text(cell, column[2], size=size, align=align)
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
        for _ in range(4):  # the same height as the right signer's: names on one line
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
