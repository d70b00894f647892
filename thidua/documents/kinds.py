"""The kinds of document the lifecycle issues: template, number series, declared fields.

A template may use only the fields its kind declares (checked when it is loaded), and a
context must provide every one of them (checked before rendering)."""

from dataclasses import dataclass

# Provided by issue_document itself: the number, its symbol and the place-and-date line.
ISSUED = frozenset({"number", "symbol", "date_line", "date_text"})
# Every official document: the two-column header and the signature block with "Nơi nhận".
HEADER = frozenset(
    {
        "parent_agency",
        "agency",
        "summary",
        "place",
        "issued_on",
        "signer_prefix",
        "signer_title",
        "signer_name",
        "copies",
    }
)
_PROGRESS = {"progress_rows", "progress_basis", "progress_chart", "reported_count"}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # Vietnamese, for titles and messages
    series: str | None  # the type code of the number; None: the document carries no number
    fields: frozenset[str]

    @property
    def numbered(self) -> bool:
        return self.series is not None

    @property
    def declared(self) -> frozenset[str]:
        return self.fields | HEADER | ISSUED


def _kind(name: str, label: str, series: str | None, *fields: str) -> Kind:
    return Kind(name, label, series, frozenset(fields))


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        _kind(
            "launch",
            "Văn bản phát động",
            "launch",  # CT, KH or CV: from Movement.doc_kind
            "doc_type",
            "addressees",
            "preamble",
            "theme",
            "theme_label",
            "legal_bases",
            "body",
            "closing",
        ),
        _kind(
            "registration_summary",
            "Báo cáo tổng hợp đăng ký thi đua",
            "BC",
            "intro",
            "rows",
            "totals",
            "participant_count",
            "registered_count",
            "missing_units",
            "closing",
        ),
        _kind(
            "period_report",
            "Báo cáo sơ kết",
            "BC",
            "intro",
            "period_name",
            "period_range",
            "participant_count",
            "missing_units",
            "next_steps",
            "closing",
            *_PROGRESS,
        ),
        _kind(
            "final_report",
            "Báo cáo tổng kết",
            "BC",
            "intro",
            "participant_count",
            "blocks",
            "closing",
            *_PROGRESS,
        ),
        _kind(
            "unit_report",
            "Báo cáo của đơn vị",
            None,
            "unit_name",
            "period_name",
            "period_range",
            "rows",
            "growth_head",
            "report_summary",
            "status_text",
            "submitted_line",
        ),
        _kind(
            "achievement_individual",
            "Báo cáo thành tích cá nhân",
            None,
            "title_name",
            "full_name",
            "position",
            "unit_name",
            "achievement",
            "facts",
            "history",
        ),
        _kind(
            "achievement_collective",
            "Báo cáo thành tích tập thể",
            None,
            "title_name",
            "collective_name",
            "headcount_text",
            "unit_name",
            "achievement",
            "facts",
            "history",
        ),
        _kind("nominee_list", "Danh sách đề nghị khen thưởng", None, "intro", "rows", "count_text"),
        _kind(
            "minutes",
            "Biên bản họp Hội đồng Thi đua - Khen thưởng",
            "BB-HĐTĐKT",
            "council_name",
            "meeting_line",
            "members_total",
            "members_present",
            "chair_name",
            "secretary_name",
            "chair_line",
            "secretary_line",
            "present_line",
            "present_people",
            "absent_line",
            "absent_people",
            "quorum_line",
            "recusal_lines",
            "exceptions",
            "intro",
            "denominator_line",
            "rows",
            "passed_count",
            "closing",
        ),
        _kind(
            "proposal_memo",
            "Tờ trình đề nghị khen thưởng",
            "TTr",
            "addressee",
            "legal_bases",
            "intro",
            "groups",
            "rows",
            "closing",
        ),
        _kind(
            "decision",
            "Quyết định khen thưởng",
            "QĐ",
            "issuer_title",
            "legal_bases",
            "proposal_line",
            "movement_name",
            "groups",
            "rows",
            "total_amount",
            "executors",
        ),
        _kind(
            "certificates",
            "Giấy khen, Bằng chứng nhận",
            None,
            "issuer_title",
            "decision_line",
            "certificates",
        ),
    ]
}

LAUNCH_SERIES = {"chi_thi": "CT", "ke_hoach": "KH", "cong_van": "CV"}
LAUNCH_TYPE = {"chi_thi": "CHỈ THỊ", "ke_hoach": "KẾ HOẠCH", "cong_van": "CÔNG VĂN"}


def get_kind(name: str) -> Kind:
    from thidua.errors import InvalidInput, Problem

    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput(
            f"Không có loại văn bản '{name}'",
            [Problem("kind", f"phải là một trong: {', '.join(KINDS)}")],
        ) from None


def template_name(kind: str, doc_kind: str | None = None) -> str:
    """The file of a kind's template; the launch document has one per Movement.doc_kind."""
    if kind == "launch":
        return f"launch_{doc_kind or 'ke_hoach'}.docx"
    return f"{kind}.docx"
