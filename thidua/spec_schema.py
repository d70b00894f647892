"""The movement spec: the launch directive as a YAML file, read into these pydantic models.

Every model forbids unknown fields, so a misspelt key is an error, not silently ignored.
Limits mirror the columns in models/movement.py so that a valid spec always fits the database.

Conventions (see examples/*.yaml):
- `contents` is the directive's text as written, section by section; `targets`, `quotas` and
  `periods` are the structured reading of the same text (section II of Hà Nam repeats them).
- Recipient lines are stored without the leading "- " and trailing ";" or "."; the document
  renderer adds them back. The last copy line is the "Lưu: VT…" line.
- A directive that names no periods is a one-period movement covering its year.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from thidua.vn import parse_number

DocKind = Literal["chi_thi", "ke_hoach", "cong_van"]

DEADLINE_LABELS: dict[str, str] = {
    "registration": "Hạn đăng ký thi đua",
    "period_1_report": "Hạn gửi báo cáo Đợt 1",
    "period_2_report": "Hạn gửi báo cáo Đợt 2",
    "self_score": "Hạn tự chấm điểm",
    "nominations": "Hạn gửi hồ sơ đề nghị khen thưởng",
    "council_vote": "Hạn Hội đồng Thi đua - Khen thưởng bỏ phiếu",
}
DeadlineKind = Literal[
    "registration", "period_1_report", "period_2_report", "self_score", "nominations",
    "council_vote",
]  # fmt: skip

# Title codes a quota may name, with who may receive each (collective, individual or both).
TITLES: dict[str, tuple[str, frozenset[str]]] = {
    "LDTT": ("Lao động tiên tiến", frozenset({"individual"})),
    "LDXS": ("Lao động xuất sắc", frozenset({"individual"})),
    "CSTDCS": ("Chiến sĩ thi đua cơ sở", frozenset({"individual"})),
    "CSTD_TINH": ("Chiến sĩ thi đua cấp tỉnh", frozenset({"individual"})),
    "TTLDTT": ("Tập thể lao động tiên tiến", frozenset({"collective"})),
    "TTLDXS": ("Tập thể lao động xuất sắc", frozenset({"collective"})),
    "CO_THI_DUA": ("Cờ thi đua", frozenset({"collective"})),
    "GIAY_KHEN": ("Giấy khen", frozenset({"collective", "individual"})),
    "BANG_KHEN_TINH": (
        "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        frozenset({"collective", "individual"}),
    ),
    "HTTNV": ("Hoàn thành tốt nhiệm vụ", frozenset({"collective", "individual"})),
    "HTXSNV": ("Hoàn thành xuất sắc nhiệm vụ", frozenset({"collective", "individual"})),
    # decided by the Prime Minister, proposed by a province (Luật Thi đua, khen thưởng, Điều 78)
    "CO_THI_DUA_CP": ("Cờ thi đua của Chính phủ", frozenset({"collective"})),
    "CSTD_TOAN_QUOC": ("Chiến sĩ thi đua toàn quốc", frozenset({"individual"})),
    "BANG_KHEN_TTG": ("Bằng khen của Thủ tướng Chính phủ", frozenset({"collective", "individual"})),
}
RATINGS = frozenset({"HTTNV", "HTXSNV"})  # ratings of the year, not awards: nobody "decides" them

SUBJECT_LABELS = {"collective": "tập thể", "individual": "cá nhân"}
PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
UnitCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s,;]+$")]  # as orgdata
Text = Annotated[str, Field(min_length=1)]


class FieldError(ValueError):
    """A check across a model's fields, pointing at the field to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def short(n: int):
    return Field(min_length=1, max_length=n)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class LegalTextSpec(Strict):
    """A text cited in a decision's căn cứ: "Quyết định số 30/2024/QĐ-UBND ngày 03/7/2024 của Ủy
    ban nhân dân tỉnh Hà Nam về việc ban hành Quy chế …" is number, date, issuer and title (the
    title begins with the kind of text)."""

    number: Annotated[str, short(60)]
    date: dt.date
    issuer: Annotated[str, short(200)]
    title: Text


class AuthoritySpec(Strict):
    """Who decides and who proposes for this agency: a profile of rules/authorities/ (what the
    law lets its head decide, to whom it proposes the rest) and the agency's own data."""

    profile: Annotated[str, short(40)]  # "so", "ubnd-tinh", "ubnd-xa" (rules/authorities/*.yaml)
    name: Annotated[str, short(200)]  # "Sở Công Thương": the name in sentences, normal case
    province: Annotated[str, Field(max_length=100)] | None = None  # "Hà Nam", for {province}
    head_title: Annotated[str, short(200)]  # "Giám đốc Sở Công Thương"
    competence: LegalTextSpec | None = None  # the text giving the agency its powers
    regulations: list[LegalTextSpec] = []  # quy chế thi đua, khen thưởng (tỉnh, cơ quan)
    proposer: Annotated[str, Field(max_length=200)] | None = None  # default: the profile's
    council: Annotated[str, Field(max_length=200)] | None = None  # default: the profile's
    decides: list[Annotated[str, short(60)]] | None = None  # default: the profile's
    executors: list[Annotated[str, short(200)]] | None = None  # Điều 3; default: the profile's

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data):
        return empty_lists(data, ("regulations",))


class Issuer(Strict):
    parent_agency: Annotated[str, Field(max_length=200)] | None = None
    agency: Annotated[str, short(200)]
    agency_code: Annotated[str, short(20)]
    authority: AuthoritySpec | None = None  # None: a Sở, named from `agency`


class DocumentSpec(Strict):
    kind: DocKind
    number: Annotated[str, Field(max_length=20)] | None = None  # blank on the draft
    symbol: Annotated[str, short(40)]
    place: Annotated[str, short(100)]
    date: str  # "2021-09-23", or "2022-03" / "2024" where the day is left blank
    summary: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _blank_number(cls, v):
        return None if v in ("", None) else v

    @field_validator("date")
    @classmethod
    def _partial_date(cls, v: str) -> str:
        if not PARTIAL_DATE.match(v):
            raise ValueError(
                "ngày không hợp lệ: viết YYYY-MM-DD, hoặc YYYY-MM / YYYY khi để trống ngày"
            )
        parts = [int(p) for p in v.split("-")]
        try:
            dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            raise ValueError(f"ngày không hợp lệ: {v} không có trong lịch") from None
        return v


class LegalBasisSpec(Strict):
    number: Annotated[str, short(60)]  # "34-CT/TW"
    date: dt.date | None = None
    issuer: Annotated[str, short(200)]
    title: Text  # the document's name, its kind first: "Chỉ thị về tiếp tục đổi mới …"


NUMBER_FORMS = re.compile(r"^([0-9]+(\.[0-9]+)*\.?|[a-zđ]\)|[IVXLC]+\.|[-+*•])$")


class ContentItem(Strict):
    """One numbered item or unnumbered paragraph of the directive, as written, with its
    sub-items (any depth) and the targets it lists, in the order the directive gives them."""

    number: Annotated[str, Field(max_length=10)] | None = None  # "1.", "1.1.", "a)", "-"; none
    text: Text  # several paragraphs: one per line (the first carries the number)
    items: list["ContentItem"] = []
    targets: list[Annotated[str, short(40)]] = []  # codes of targets listed here, in order

    @field_validator("number", mode="before")
    @classmethod
    def _blank_number(cls, v):
        return None if v in ("", None) else v

    @field_validator("number")
    @classmethod
    def _number_form(cls, v: str | None) -> str | None:
        if v is not None and not NUMBER_FORMS.match(v):
            raise ValueError(
                f"số thứ tự '{v}' không đúng dạng: viết như 1., 1.1., a), - hoặc bỏ trống"
            )
        return v

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data):
        return empty_lists(data, ("items", "targets"))

    def walk(self, depth: int = 0):
        """This item and its sub-items, in order, with their depth."""
        yield depth, self
        for sub in self.items:
            yield from sub.walk(depth + 1)


def empty_lists(data, names: tuple[str, ...]):
    """`targets:` with nothing after it is YAML null; read it as an empty list."""
    if isinstance(data, dict):
        return {k: [] if k in names and v is None else v for k, v in data.items()}
    return data


SPEC_LISTS = ("legal_bases", "targets", "quotas", "deadlines", "addressees", "copies", "criteria")


class SectionSpec(Strict):
    section: Annotated[str, Field(max_length=300)] | None = None  # "I. Nội dung…", or none
    items: list[ContentItem] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data):
        return empty_lists(data, ("items",))


# The comparison word as written, and which way a result is judged against it.
QUALIFIERS: dict[str, str] = {
    "khoảng": "at_least",
    "trên": "at_least",
    "ít nhất": "at_least",
    "tối thiểu": "at_least",
    "không dưới": "at_least",
    "không quá": "at_most",
    "dưới": "at_most",
    "tối đa": "at_most",
}
Qualifier = Literal[
    "khoảng", "trên", "ít nhất", "tối thiểu", "không dưới", "không quá", "dưới", "tối đa"
]  # fmt: skip


class TargetSpec(Strict):
    code: Annotated[str, short(40)]
    group: Annotated[str, Field(max_length=300)] | None = None  # default: the item listing it
    label: Text
    value: Decimal = Field(max_digits=20, decimal_places=4)
    value_text: Annotated[str, short(40)]  # "174.186,0" as written ("6492,8" is printed 6.492,8)
    unit: Annotated[str, short(40)]
    qualifier: Qualifier | None = None  # the word before the figure: "khoảng", "không quá"
    comparison: Literal["at_least", "at_most"] = "at_least"  # "không quá", "dưới": at_most
    basis: Annotated[str, Field(max_length=200)] | None = None  # "Giá SS2010"
    growth_pct: Decimal | None = Field(default=None, max_digits=8, decimal_places=2)  # -2: giảm
    growth_qualifier: Qualifier | None = None  # "tăng khoảng 10%"
    growth_basis: Annotated[str, Field(max_length=200)] | None = None  # "so với ước thực hiện…"
    parent: Annotated[str, short(40)] | None = None  # "trong đó": the code of the whole

    @model_validator(mode="before")
    @classmethod
    def _comparison_from_word(cls, data):
        # "không quá 3%" is judged at most unless the spec says otherwise
        if isinstance(data, dict) and "comparison" not in data and data.get("qualifier"):
            return {**data, "comparison": QUALIFIERS.get(data["qualifier"], "at_least")}
        return data

    @model_validator(mode="after")
    def _text_matches_value(self) -> "TargetSpec":
        try:
            written = parse_number(self.value_text)
        except ValueError:
            raise FieldError(
                "value_text", f"'{self.value_text}' không đọc được thành số (viết như 174.186,0)"
            ) from None
        if written != self.value:
            raise FieldError(
                "value_text", f"'{self.value_text}' đọc là {written}, khác value {self.value}"
            )
        if self.qualifier and QUALIFIERS[self.qualifier] != self.comparison:
            raise FieldError(
                "comparison",
                f"văn bản ghi '{self.qualifier}' nhưng comparison là '{self.comparison}'",
            )
        if self.growth_basis and self.growth_pct is None:
            raise FieldError("growth_pct", "có growth_basis nhưng thiếu mức tăng trưởng")
        return self


class QuotaSpec(Strict):
    subject: Literal["collective", "individual"]
    title: Annotated[str, short(60)]
    text: Text  # as written: "từ 15 đến 20% đạt Lao động xuất sắc"
    kind: Literal["percent", "count"]
    min: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    max: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)

    @model_validator(mode="after")
    def _bounds(self) -> "QuotaSpec":
        if self.title not in TITLES:
            raise FieldError(
                "title", f"danh hiệu '{self.title}' không có; dùng một trong: {', '.join(TITLES)}"
            )
        name, subjects = TITLES[self.title]
        if self.subject not in subjects:
            raise FieldError(
                "title", f"{name} ({self.title}) không dành cho {SUBJECT_LABELS[self.subject]}"
            )
        if self.min is None and self.max is None:
            raise FieldError("min", "chỉ tiêu phải có min hoặc max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise FieldError("min", f"min ({self.min}) lớn hơn max ({self.max})")
        top = self.max if self.max is not None else self.min
        if self.kind == "percent" and top is not None and top > 100:
            raise FieldError(
                "max" if self.max is not None else "min", "tỷ lệ phần trăm không được vượt quá 100"
            )
        if self.kind == "count" and any(
            v is not None and v != int(v) for v in (self.min, self.max)
        ):
            raise FieldError("min", "số lượng phải là số nguyên")
        _agrees_with_text(self)
        return self


_NUM = r"(\d+(?:,\d+)?)"
_RANGE = re.compile(rf"từ\s+{_NUM}\s*%?\s*đến\s+{_NUM}\s*(%)?", re.IGNORECASE)
_SINGLE = re.compile(rf"{_NUM}\s*(%)?")


def read_quota(text: str) -> tuple[str, Decimal, Decimal | None] | None:
    """What a quota's words say: "từ 15 đến 20%" → ("percent", 15, 20); "có từ 01 đến 02 đơn
    vị" → ("count", 1, 2); "ít nhất 15%" → ("percent", 15, None). None when the words hold no
    number, or more than one figure (then they cannot be read alone)."""
    numbers = re.findall(r"\d+", text)
    if len(numbers) == 2 and (m := _RANGE.search(text)):
        kind = "percent" if m.group(3) else "count"
        return kind, parse_number(m.group(1)), parse_number(m.group(2))
    if len(numbers) == 1 and (m := _SINGLE.search(text)):
        return ("percent" if m.group(2) else "count"), parse_number(m.group(1)), None
    return None


def _agrees_with_text(q: "QuotaSpec") -> None:
    read = read_quota(q.text)
    if read is None:
        return
    kind, low, high = read
    words = {"percent": "tỷ lệ phần trăm", "count": "số lượng"}
    if kind != q.kind:
        raise FieldError("kind", f"văn bản ghi {words[kind]} nhưng kind là '{q.kind}'")
    if q.min != low:
        raise FieldError("min", f"văn bản ghi mức thấp nhất {low}, min là {q.min}")
    if high is not None and q.max != high:
        raise FieldError("max", f"văn bản ghi mức cao nhất {high}, max là {q.max}")
    if high is None and q.max not in (None, low):
        raise FieldError("max", f"văn bản chỉ ghi mức thấp nhất {low}, không ghi max")


class PeriodSpec(Strict):
    number: int = Field(ge=1, le=2)
    name: Annotated[str, Field(max_length=60)] | None = None  # default "Đợt N"
    theme: str | None = None
    starts_on: dt.date
    ends_on: dt.date


class DeadlineSpec(Strict):
    kind: DeadlineKind
    due_on: dt.date
    label: Annotated[str, Field(max_length=200)] | None = None  # default from DEADLINE_LABELS


class SignerSpec(Strict):
    prefix: Annotated[str, Field(max_length=60)] | None = None  # "TM. ỦY BAN NHÂN DÂN"
    title: Annotated[str, short(100)]  # "GIÁM ĐỐC", "CHỦ TỊCH"
    name: Annotated[str, short(100)]


class ReminderPolicy(Strict):
    """Read by the reminder code from Movement.reminder_policy; keep this exact shape."""

    before_working_days: list[Annotated[int, Field(ge=1, le=60)]] = [7, 3, 1]
    on_day: bool = True
    overdue_every_working_days: int = Field(default=2, ge=1, le=30)
    escalate_after_working_days: int = Field(default=5, ge=1, le=60)


class CriterionSpec(Strict):
    code: Annotated[str, short(20)]
    text: Text
    max_points: Decimal = Field(gt=0, max_digits=8, decimal_places=2)
    evidence: str | None = None


class CriteriaTableSpec(Strict):
    block: Annotated[str, short(64)] | None = None  # None: the table of every block
    name: Annotated[str, short(300)]
    criteria: list[CriterionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> "CriteriaTableSpec":
        codes = [c.code for c in self.criteria]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"mã tiêu chí bị trùng: {', '.join(dup)}")
        return self


class MovementSpec(Strict):
    code: Code
    year: int = Field(ge=2000, le=2100)
    title: Annotated[str, short(500)]
    issuer: Issuer
    document: DocumentSpec
    theme: Text  # the slogan as written, without quotes
    theme_label: Annotated[str, short(40)] = "Chủ đề"  # "Phương châm", "Khẩu hiệu"
    preamble: str | None = None
    contents: list[SectionSpec] = Field(min_length=1)
    legal_bases: list[LegalBasisSpec] = []
    targets: list[TargetSpec] = []
    quotas: list[QuotaSpec] = []
    periods: list[PeriodSpec] | None = None  # None: one period covering the year
    deadlines: list[DeadlineSpec] = []
    addressees: list[Annotated[str, short(300)]] = []  # Kính gửi
    copies: list[Annotated[str, short(300)]] = []  # Nơi nhận, ending with "Lưu: VT"
    signer: SignerSpec
    closing: str | None = None
    auto_periods: bool = False  # true: the daily sweep opens/closes periods on their dates
    rule_set: Annotated[str, Field(max_length=100)] | None = None  # "nd152-2025" (rules/)
    reminders: ReminderPolicy = ReminderPolicy()
    criteria: list[CriteriaTableSpec] = []
    participants: list[UnitCode] | None = None  # None: every active unit but the root(s)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data):
        lists = (
            "legal_bases",
            "targets",
            "quotas",
            "deadlines",
            "addressees",
            "copies",
            "criteria",
        )
        return empty_lists(data, lists)

    @field_validator("periods")
    @classmethod
    def _periods_in_order(cls, v: list[PeriodSpec] | None) -> list[PeriodSpec] | None:
        if v is not None and [p.number for p in v] != list(range(1, len(v) + 1)):
            raise ValueError("các đợt phải đánh số 1, 2 theo thứ tự")
        return v

    def effective_periods(self) -> list[PeriodSpec]:
        if self.periods:
            return list(self.periods)
        return [
            PeriodSpec(
                number=1,
                name="Cả năm",
                theme=self.theme,
                starts_on=dt.date(self.year, 1, 1),
                ends_on=dt.date(self.year, 12, 31),
            )
        ]

    def content_count(self) -> int:
        return sum(1 for s in self.contents for i in s.items for _ in i.walk())


def placed_targets(contents: list[SectionSpec]) -> list[tuple[tuple, str]]:
    """(path of the item, target code) for every target an item lists, in text order."""
    out = []
    for si, sec in enumerate(contents):
        for ii, item in enumerate(sec.items):
            out += _placed(item, ("contents", si, "items", ii))
    return out


def _placed(item: ContentItem, path: tuple) -> list[tuple[tuple, str]]:
    out = [((*path, "targets", k), code) for k, code in enumerate(item.targets)]
    for j, sub in enumerate(item.items):
        out += _placed(sub, (*path, "items", j))
    return out
