"""The workbook an office fills in (the template), and the organisation exported in its form."""

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import Block, BlockMember, Person, Unit
from models.base import saved_id
from thidua.orgdata.columns import ORG_SHEETS, ROLES
from thidua.sheets import write_workbook

INSTRUCTIONS = [
    "HƯỚNG DẪN ĐIỀN DỮ LIỆU TỔ CHỨC",
    "",
    "1. Mỗi sheet có dòng tiêu đề (dòng 1) và một dòng ví dụ (dòng 2, chữ nghiêng màu xám). "
    "Điền từ dòng 3, hoặc ghi đè lên dòng ví dụ; dòng ví dụ để nguyên sẽ được bỏ qua.",
    "2. Cột có dấu * là bắt buộc. Mã (đơn vị, khối, cán bộ) viết không dấu, không trùng nhau.",
    "3. Sheet 'Đơn vị': đơn vị gốc (cơ quan) để trống 'Mã đơn vị cấp trên'; các đơn vị khác "
    "ghi mã đơn vị cấp trên. Cây đơn vị có thể nhiều cấp nhưng không được vòng lặp.",
    "4. Sheet 'Khối thi đua': mỗi khối một dòng; 'Mã các đơn vị thành viên' ghi các mã, cách "
    "nhau bằng dấu phẩy. Mỗi đơn vị chỉ thuộc một khối; đơn vị trưởng khối là một thành viên.",
    "5. Sheet 'Cán bộ': 'Số Zalo' là số di động (ví dụ 0912345678); 'Vai trò' ghi một hoặc "
    "nhiều vai trò, cách nhau bằng dấu phẩy: đầu mối, thủ trưởng, thành viên hội đồng, "
    "chủ tịch hội đồng, thư ký hội đồng, trưởng khối, quản trị (hoặc focal_point, unit_head, "
    "council_member, council_chair, council_secretary, block_leader, admin). Thư ký hội đồng "
    "là một thành viên Hội đồng.",
    "6. Nhập lại tệp sẽ cập nhật theo mã; đơn vị, cán bộ không có trong tệp được giữ nguyên.",
    "7. Nếu có lỗi, không dữ liệu nào được ghi; chương trình liệt kê mọi lỗi (sheet, dòng, "
    "cột, lý do) để sửa một lần.",
    "",
    "Lệnh: thidua org import <tệp.xlsx>",
]


def write_template(path: str | Path) -> Path:
    """Write the empty workbook an office fills in: three sheets and a sheet of instructions."""
    return write_workbook(path, INSTRUCTIONS, ORG_SHEETS)


def export_org(session: Session, path: str | Path) -> Path:
    """Write the organisation as it is, in the template's form: edit it, import it back."""
    units = session.exec(select(Unit).order_by(col(Unit.id))).all()
    code = {u.id: u.code for u in units}
    members: dict[int, list[str]] = {}
    for m in session.exec(select(BlockMember).order_by(col(BlockMember.id))):
        members.setdefault(m.block_id, []).append(code[m.unit_id])
    word = {r: words[0] for r, words in ROLES.items()}
    rows: dict[str, list[list[Any]]] = {
        "units": [
            [u.code, u.name, u.short_name, u.kind, code.get(u.parent_id), u.email, u.headcount]
            for u in units
        ],
        "blocks": [
            [b.code, b.name, code.get(b.leader_unit_id), ", ".join(members.get(saved_id(b), []))]
            for b in session.exec(select(Block).order_by(col(Block.id)))
        ],
        "people": [
            [p.code, p.full_name, p.position, code[p.unit_id], p.email,
             "0" + p.zalo_phone[2:] if p.zalo_phone else None,
             ", ".join(word.get(r, r) for r in p.roles)]
            for p in session.exec(select(Person).where(Person.active).order_by(col(Person.id)))
        ],
    }  # fmt: skip
    return write_workbook(path, INSTRUCTIONS, ORG_SHEETS, rows)
