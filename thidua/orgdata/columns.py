"""The sheets and their columns, roles, and the value checks every row goes through."""

import re
from dataclasses import dataclass

from thidua.sheets import Column, Sheet, plain_word

COLUMNS: dict[str, list[Column]] = {
    "units": [
        ("code", "Mã đơn vị", True, 14, "SCT-VP"),
        ("name", "Tên đơn vị", True, 40, "Văn phòng Sở"),
        ("short_name", "Tên viết tắt", False, 14, "VP"),
        ("kind", "Loại", False, 16, "Phòng"),
        ("parent", "Mã đơn vị cấp trên", False, 18, "SCT"),
        ("email", "Email", False, 28, "vanphong@thidua.test"),
        ("headcount", "Số người", False, 10, "12"),
    ],
    "blocks": [
        ("code", "Mã khối", True, 12, "K1"),
        ("name", "Tên khối", True, 40, "Khối các phòng quản lý nhà nước"),
        ("leader", "Mã đơn vị trưởng khối", True, 20, "SCT-VP"),
        ("members", "Mã các đơn vị thành viên", True, 50, "SCT-VP, SCT-QLCN, SCT-QLTM"),
    ],
    "people": [
        ("code", "Mã cán bộ", True, 12, "CB0001"),
        ("full_name", "Họ và tên", True, 28, "Nguyễn Thị Hương"),
        ("position", "Chức vụ", False, 24, "Chánh Văn phòng"),
        ("unit", "Mã đơn vị", True, 14, "SCT-VP"),
        ("email", "Email", False, 28, "huong.nt@thidua.test"),
        ("zalo", "Số Zalo", False, 14, "0912345678"),
        ("roles", "Vai trò", False, 36, "thủ trưởng, đầu mối"),
    ],
}
SHEETS = {"units": "Đơn vị", "blocks": "Khối thi đua", "people": "Cán bộ"}
CSV_FILES = {"units": "units.csv", "blocks": "blocks.csv", "people": "people.csv"}
HEADER_ALIASES = {"ma": "code", "ho ten": "full_name", "ten": "name"}  # keys without diacritics
# The three sheets as thidua.sheets reads and writes them.
ORG_SHEETS = [
    Sheet(kind, title, COLUMNS[kind], CSV_FILES[kind], HEADER_ALIASES)
    for kind, title in SHEETS.items()
]

ROLES = {
    "focal_point": ("đầu mối", "đầu mối đơn vị", "đầu mối thi đua", "cán bộ đầu mối"),
    "unit_head": ("thủ trưởng", "thủ trưởng đơn vị", "thủ trưởng cơ quan"),
    "council_member": ("thành viên hội đồng", "thành viên hđtđkt", "thành viên hđ"),
    "council_chair": ("chủ tịch hội đồng", "chủ tịch hđtđkt", "chủ tịch hđ"),
    "council_secretary": ("thư ký hội đồng", "thư ký hđtđkt", "thư ký hđ"),
    "block_leader": ("trưởng khối", "trưởng khối thi đua"),
    "admin": ("quản trị", "quản trị viên", "quản trị hệ thống"),
}


_ROLE_WORDS = {plain_word(w): r for r, words in ROLES.items() for w in (r, *words)}
# codes are listed comma-separated in the blocks sheet; no invisible character may make two
# codes that look alike differ
CODE = re.compile(r"^[^\s,;\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+$")
# The columns' sizes in models/org.py, so that a long value is a row error, not a failed write.
MAX_LENGTH = {
    "code": 64, "name": 300, "short_name": 100, "kind": 100, "email": 254, "full_name": 200,
    "position": 200, "parent": 64, "unit": 64, "leader": 64,
}  # fmt: skip
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass
class ImportSummary:
    units_created: int = 0
    units_updated: int = 0
    blocks_created: int = 0
    blocks_updated: int = 0
    block_members: int = 0
    people_created: int = 0
    people_updated: int = 0
    source: str = ""

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}

    def __str__(self) -> str:
        return (
            f"Đơn vị: thêm {self.units_created}, cập nhật {self.units_updated}; "
            f"khối thi đua: thêm {self.blocks_created}, cập nhật {self.blocks_updated} "
            f"({self.block_members} đơn vị thành viên); "
            f"cán bộ: thêm {self.people_created}, cập nhật {self.people_updated}."
        )


def normalise_phone(text: str) -> str:
    """A Vietnamese mobile number as 84xxxxxxxxx; ValueError (Vietnamese) if it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        local = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        local = digits[2:]
    elif digits.startswith("0"):
        local = digits[1:]
    else:
        local = digits  # Excel drops the leading 0 of a number typed as a number
    if not (local.isdigit() and len(local) == 9 and local[0] in "35789"):
        raise ValueError(
            f"'{text}' không phải số di động Việt Nam (10 chữ số, bắt đầu bằng 03, 05, 07, 08, "
            "09, hoặc dạng 84…)"
        )
    return "84" + local


def parse_roles(text: str) -> list[str]:
    """ "thủ trưởng, đầu mối" → ["unit_head", "focal_point"]; ValueError naming unknown ones."""
    out: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[,;]", text):
        word = " ".join(word.split())
        if not word:
            continue
        role = _ROLE_WORDS.get(plain_word(word))
        (out if role else unknown).append(role or word)
    if unknown:
        known = ", ".join(f"{r} ({words[0]})" for r, words in ROLES.items())
        raise ValueError(f"vai trò không có: {', '.join(unknown)}. Dùng: {known}")
    return list(dict.fromkeys(out))
