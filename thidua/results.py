"""Results that pass between the rules engine, the stage flows and the documents.

Plain frozen dataclasses: the rules engine (thidua.rules, thidua.scoring, thidua.ballots)
produces them, the documents render them, the flows carry them from one to the other."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class UnitRank:
    unit_id: int
    unit_code: str
    unit_name: str
    total: Decimal  # the score that counts: council's, else the block leader's, else self
    self_total: Decimal
    max_total: Decimal
    rank: int  # 1 = first; tied units share a rank ("1, 1, 3")
    flag: bool = False  # proposed for the block's flag (Cờ thi đua)
    note: str = ""


@dataclass(frozen=True)
class BlockRanking:
    block_id: int
    block_code: str
    block_name: str
    ranks: list[UnitRank]
    tie_rule: str  # stated in Vietnamese in the report
    scored: bool = True  # False: no criteria table for the block, so no ranking and no flag
    members: list[str] = field(default_factory=list)  # an unscored block's units, by name


@dataclass(frozen=True)
class RuleFailure:
    rule_id: str
    legal_basis: str
    reason: str  # Vietnamese, e.g. "Chưa đủ 03 năm liên tục đạt Chiến sĩ thi đua cơ sở: …"
    nomination_id: int | None = None


@dataclass(frozen=True)
class CheckResult:
    nomination_id: int
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class VoteResult:
    """One nomination's count, as the minutes state it."""

    nomination_id: int
    subject_name: str
    title: str
    members: int  # the council's whole membership
    present: int  # members at the sitting
    recused: int  # members who stood aside from this nomination
    issued: int  # ballots issued: members present and not recused
    returned: int
    valid: int
    yes: int
    no: int
    yes_pct: Decimal  # yes / denominator, to two places (the documents print one)
    threshold_pct: Decimal
    denominator: int  # the members, as the law counts, unless the rule set says otherwise
    quorum_met: bool
    passed: bool
    threshold_strict: bool = False  # "> 50%" (more than) rather than ">= 90%" (at least)


@dataclass(frozen=True)
class Roll:
    """Who sat: the members present and absent (with the reason given), and the quorum."""

    members: int
    present: list[int]  # person ids
    absent: list[tuple[int, str]]  # person id, reason ("" when none was given)
    quorum: str  # the rule set's quorum, e.g. ">= 2/3"
    quorum_required: int  # the fewest members present that meet it
    quorum_met: bool
