"""The statuses of a nomination (hồ sơ đề nghị), a period report and a council sitting, and the
moves allowed between them: the one place that says which status may follow which.

Each is a str Enum whose values are the strings stored in the database, so a row reads the same
as before and a status compares equal to its string. Nothing is ever "draft": a dossier or a
report exists from the moment a unit sends it."""

from enum import StrEnum

from thidua.errors import TransitionRefused


class NominationStatus(StrEnum):
    SUBMITTED = "submitted"  # sent by its unit, before the office and the council
    RETURNED = "returned"  # back with its unit for correction (the office, or the appraisal)
    WITHDRAWN = "withdrawn"  # taken back by its unit
    ACCEPTED = "accepted"  # passed by the council, in a drafted decision or memo
    REJECTED = "rejected"  # not passed by the council, or failing the rules at drafting
    AWARDED = "awarded"  # in a decision the head approved
    REVOKED = "revoked"  # an award taken back (obtained by fraud)

    @property
    def label(self) -> str:
        return NOMINATION_LABELS[self]


NOMINATION_LABELS = {
    NominationStatus.SUBMITTED: "đã gửi, chờ xét",
    NominationStatus.RETURNED: "đã trả lại đơn vị",
    NominationStatus.WITHDRAWN: "đơn vị đã rút",
    NominationStatus.ACCEPTED: "Hội đồng đã thông qua",
    NominationStatus.REJECTED: "không được khen thưởng",
    NominationStatus.AWARDED: "đã được khen thưởng",
    NominationStatus.REVOKED: "đã thu hồi khen thưởng",
}

N = NominationStatus
NOMINATION_MOVES: dict[NominationStatus, frozenset[NominationStatus]] = {
    N.SUBMITTED: frozenset({N.RETURNED, N.WITHDRAWN, N.ACCEPTED, N.REJECTED}),
    N.RETURNED: frozenset({N.SUBMITTED, N.WITHDRAWN}),
    N.ACCEPTED: frozenset({N.RETURNED, N.AWARDED, N.REJECTED}),
    N.AWARDED: frozenset({N.REVOKED}),
    N.WITHDRAWN: frozenset(),
    N.REJECTED: frozenset(),
    N.REVOKED: frozenset(),
}
# Counted towards a quota and a collective's ratio (thidua.rules.engine) and towards the
# directive's own title targets (thidua.targets): the dossiers before the office or awarded. A
# returned one is back with its unit until it is sent again.
COUNTED = frozenset({N.SUBMITTED, N.ACCEPTED, N.AWARDED})
# Still the office's business: a unit's priority stays taken, an exception can be recorded.
OPEN = frozenset({N.SUBMITTED, N.RETURNED, N.ACCEPTED})
# What the council votes on by default.
ON_AGENDA = (N.SUBMITTED, N.ACCEPTED)
del N


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"  # sent back by the office with its reason; the unit sends it again

    @property
    def label(self) -> str:
        return {"submitted": "đã nộp", "returned": "đã trả lại đơn vị"}[self.value]


REPORT_MOVES: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.SUBMITTED: frozenset({ReportStatus.SUBMITTED, ReportStatus.RETURNED}),
    ReportStatus.RETURNED: frozenset({ReportStatus.SUBMITTED}),
}


class MeetingStatus(StrEnum):
    OPEN = "open"  # voting
    CLOSED = "closed"  # counted; the box opened and its key destroyed

    @property
    def label(self) -> str:
        return {"open": "đang bỏ phiếu", "closed": "đã kết thúc bỏ phiếu"}[self.value]


MEETING_MOVES: dict[MeetingStatus, frozenset[MeetingStatus]] = {
    MeetingStatus.OPEN: frozenset({MeetingStatus.CLOSED}),
    MeetingStatus.CLOSED: frozenset(),
}

_MOVES: dict[type[StrEnum], dict] = {
    NominationStatus: NOMINATION_MOVES,
    ReportStatus: REPORT_MOVES,
    MeetingStatus: MEETING_MOVES,
}
_WHAT = {NominationStatus: "hồ sơ", ReportStatus: "báo cáo", MeetingStatus: "phiên họp"}


def may_move(current: StrEnum | str, target: StrEnum) -> bool:
    kind = type(target)
    return target in _MOVES[kind][kind(current)]


def check_move(current: StrEnum | str, target: StrEnum, *, doing: str) -> None:
    """TransitionRefused, in words, unless `target` may follow `current`. `doing` is the step
    as a user says it ("trả lại hồ sơ số 12")."""
    if not may_move(current, target):
        kind = type(target)
        now = kind(current)
        label = getattr(now, "label", now.value)
        raise TransitionRefused(f"Không thể {doing}: {_WHAT[kind]} đang ở trạng thái '{label}'.")
