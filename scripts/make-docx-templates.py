"""Generate the shipped Word templates (templates/docx/*.docx) in the Nghị định 30/2020 layout.

Run from the repo root: `uv run python scripts/make-docx-templates.py`. The templates are data
an office may then edit in Word; this script only makes the first version reproducible.
Layout (tools/docx_layout.py): A4, margins 20/20/30/15 mm, Times New Roman on all four
w:rFonts slots, a borderless two-column header, body 14 pt justified with a 1.27 cm first-line
indent, the signature block on the right and "Nơi nhận:" bottom left. Jinja (docxtpl):
{%p …%} paragraphs, {%tr …%} rows.
"""

import sys
from pathlib import Path

from docx.shared import RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.docx_layout import (
    LANDSCAPE,
    PORTRAIT,
    cell_text,
    grid,
    header,
    heading,
    loop,
    new_document,
    page_border,
    par,
    signature,
    table,
    tag,
    text_width,
    title,
)

OUT = Path(__file__).resolve().parent.parent / "templates" / "docx"


def progress(doc):
    par(doc, "{{ progress_basis }}", italic=True)
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Chỉ tiêu", 55, "{{ r.label }}"),
            ("Kế hoạch", 27, "{{ r.target_text }}"),
            ("Thực hiện", 27, "{{ r.achieved_text }}"),
            ("Tỷ lệ", 18, "{{ r.pct_text }}", "c"),
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
    tag(doc, "{%p if preamble %}")
    par(doc, "{{ preamble }}")
    tag(doc, "{%p endif %}")
    # The slogan on a line of its own only where the directive's text does not already say it.
    tag(doc, "{%p if theme %}")
    par(doc, [("{{ theme_label }}: ", {}), ("“{{ theme }}”", {"bold": True})], align="c",
        indent=False)  # fmt: skip
    tag(doc, "{%p endif %}")
    # The directive's body as written: section headings, items and paragraphs at any depth,
    # and the tables of the targets each item lists.
    tag(doc, "{%p for b in body %}")
    tag(doc, "{%p if b.kind == 'heading' %}")
    heading(doc, "{{ b.text }}")
    tag(doc, "{%p elif b.kind == 'item' %}")
    par(doc, "{{ b.text }}")
    tag(doc, "{%p elif b.growth %}")
    grid(
        doc,
        [
            ("STT", 12, "{{ t.stt }}"),
            ("Chỉ tiêu", 56, "{{ t.label }}"),
            ("Đơn vị tính", 22, "{{ t.unit }}"),
            ("Kế hoạch", 28, "{{ t.value }}", "r"),
            ("{{ b.growth_head }}", 43, "{{ t.growth }}", "r"),
        ],
        "b.rows",
        "t",
    )
    tag(doc, "{%p else %}")
    grid(
        doc,
        [
            ("STT", 12, "{{ t.stt }}"),
            ("Chỉ tiêu", 95, "{{ t.label }}"),
            ("Đơn vị tính", 28, "{{ t.unit }}"),
            ("Kế hoạch", 30, "{{ t.value }}", "r"),
        ],
        "b.rows",
        "t",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if closing %}")
    par(doc, "{{ closing }}")
    tag(doc, "{%p endif %}")
    signature(doc)
    return doc


def registration_summary():
    doc = new_document()
    header(doc)
    title(doc, "BÁO CÁO")
    par(doc, "{{ intro }}")
    tag(doc, "{%p if missing_units %}")
    par(doc, "Đã có {{ registered_count }}/{{ participant_count }} đơn vị đăng ký thi đua.")
    tag(doc, "{%p else %}")
    par(doc, "Tất cả {{ participant_count }} đơn vị tham gia phong trào đã đăng ký thi đua.")
    tag(doc, "{%p endif %}")
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Đơn vị", 55, "{{ r.unit }}"),
            ("Danh hiệu tập thể đăng ký", 40, "{{ r.collective }}"),
            ("Số cá nhân đăng ký LĐTT", 20, "{{ r.lao_dong_tien_tien }}", "c"),
            ("Số cá nhân đăng ký CSTĐCS", 20, "{{ r.chien_si_co_so }}", "c"),
            ("Khác", 18, "{{ r.other }}", "c"),
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
    tag(doc, "{%p if b.unscored %}")
    par(doc, "{{ b.unscored }}")
    tag(doc, "{%p else %}")
    grid(
        doc,
        [
            ("Xếp hạng", 20, "{{ u.rank }}", "c"),
            ("Đơn vị", 70, "{{ u.unit }}"),
            ("Điểm", 25, "{{ u.total }}", "c"),
            ("Điểm tối đa", 25, "{{ u.max_total }}", "c"),
            ("Ghi chú", 25, "{{ u.note }}"),
        ],
        "b.rows",
        "u",
    )
    tag(doc, "{%p if b.tie_rule %}")
    par(doc, "{{ b.tie_rule }}", size=12, italic=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if b.chart %}")
    par(doc, "{{ b.chart }}", align="c", indent=False)
    tag(doc, "{%p endif %}")
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
    tag(doc, "{%p if growth_head %}")  # some target sets a growth: its column, headed by it
    grid(
        doc,
        [
            ("STT", 12, "{{ r.stt }}"),
            ("Chỉ tiêu", 58, "{{ r.label }}"),
            ("Đơn vị tính", 22, "{{ r.unit }}"),
            ("Kết quả của đơn vị", 28, "{{ r.value_text }}", "r"),
            ("{{ growth_head }}", 30, "{{ r.growth_text }}", "r"),
            ("Ghi chú", 22, "{{ r.note }}"),
        ],
        "rows",
        "r",
    )
    tag(doc, "{%p else %}")
    grid(
        doc,
        [
            ("STT", 11, "{{ r.stt }}"),
            ("Chỉ tiêu", 70, "{{ r.label }}"),
            ("Đơn vị tính", 24, "{{ r.unit }}"),
            ("Kết quả của đơn vị", 30, "{{ r.value_text }}", "r"),
            ("Ghi chú", 30, "{{ r.note }}"),
        ],
        "rows",
        "r",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if status_text %}")
    par(doc, "{{ status_text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if submitted_line %}")
    par(doc, "{{ submitted_line }}", size=12, italic=True)
    tag(doc, "{%p endif %}")
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
            ("Năm", 20, "{{ h.year }}", "c"),
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


END = '{{ ";" if not loop.last else "." }}'  # a list's items end with ";", the last with "."


def minutes():
    doc = new_document()
    header(doc)
    title(doc, "BIÊN BẢN")
    par(doc, "{{ meeting_line }}")
    heading(doc, "I. THÀNH PHẦN")
    par(doc, "{{ chair_line }}")
    par(doc, "{{ secretary_line }}")
    par(doc, "{{ present_line }}")
    loop(doc, "present_people", "p", "- {{ p }}" + END, after=0)
    par(doc, "{{ absent_line }}", before=6)
    loop(doc, "absent_people", "p", "- {{ p }}" + END, after=0)
    par(doc, "{{ quorum_line }}", before=6)
    heading(doc, "II. NỘI DUNG")
    par(doc, "{{ intro }}")
    tag(doc, "{%p if recusal_lines %}")
    par(doc, "Thành viên không tham gia biểu quyết:")
    loop(doc, "recusal_lines", "x", "- {{ x }}" + END, after=0)
    par(doc, "", after=0)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if exceptions %}")
    par(doc, "Hội đồng đã xem xét các trường hợp được đề nghị xét ngoại lệ:", before=6)
    loop(doc, "exceptions", "e", "- {{ e.subject }}, {{ e.title }}: {{ e.rule }}; lý do: "
         "{{ e.reason }} (do {{ e.by }} đề nghị)" + END, after=0)  # fmt: skip
    tag(doc, "{%p endif %}")
    heading(doc, "III. KẾT QUẢ BỎ PHIẾU KÍN")
    par(doc, "{{ denominator_line }}")
    grid(
        doc,
        [
            ("STT", 11, "{{ r.stt }}"),
            ("Họ và tên / tập thể", 29, "{{ r.name }}"),
            ("Hình thức đề nghị", 23, "{{ r.title }}"),
            ("Phiếu phát ra", 12, "{{ r.issued }}", "c"),
            ("Phiếu thu về", 12, "{{ r.returned }}", "c"),
            ("Phiếu hợp lệ", 12, "{{ r.valid }}", "c"),
            ("Đồng ý", 12, "{{ r.yes }}", "c"),
            ("Không đồng ý", 13, "{{ r.no }}", "c"),
            ("Tỷ lệ đồng ý", 15, "{{ r.yes_pct }}", "c"),
            ("Kết quả", 21, "{{ r.result }}"),
        ],
        "rows",
        "r",
        size=10,
        head=9,
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
                "Tặng danh hiệu thi đua, hình thức khen thưởng cho các tập thể, cá nhân có "
                "thành tích trong {{ movement_name }} (có danh sách kèm theo):",
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
            (
                "Quyết định này có hiệu lực kể từ ngày ký. "
                "{{ executors }} chịu trách nhiệm thi hành Quyết định này./.",
                {},
            ),
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
            ("Tiền thưởng (đồng)", 30, "{{ r.amount }}", "r"),
        ],
        "rows",
        "r",
        size=11,
        total=["", "Tổng cộng", "", "", "{{ total_amount }}"],
    )
    return doc


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
    # A Giấy khen: "TẶNG" then the red "GIẤY KHEN"; a Bằng chứng nhận: the red "CHỨNG NHẬN"
    # (certificate_contexts says which, CERTIFICATE_FORMS).
    tag(doc, "{%p if c.form %}")
    par(doc, "{{ c.verb }}", size=18, bold=True, align="c", after=6)
    p = par(doc, "{{ c.form }}", size=48, bold=True, align="c", after=18)
    p.runs[0].font.color.rgb = RGBColor(0x9C, 0x00, 0x00)
    tag(doc, "{%p else %}")
    p = par(doc, "{{ c.verb }}", size=40, bold=True, align="c", after=18, before=12)
    p.runs[0].font.color.rgb = RGBColor(0x9C, 0x00, 0x00)
    tag(doc, "{%p endif %}")
    par(doc, "{{ c.recipient }}", size=26, bold=True, align="c", after=6)
    tag(doc, "{%p if c.position_unit %}")
    par(doc, "{{ c.position_unit }}", size=16, align="c", after=6)
    tag(doc, "{%p endif %}")
    par(doc, "{{ c.citation }}", size=16, italic=True, align="c", after=30)
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
