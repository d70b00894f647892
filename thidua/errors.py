"""Errors a user sees: each names where (file, line, sheet, row, field) and why, in Vietnamese."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where it is and why it is wrong."""

    field: str
    reason: str
    where: str = ""  # "examples/hanam.yaml:12" or "Sheet Đơn vị, dòng 7"

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.field}: {self.reason}"


class ThiduaError(Exception):
    """A refusal with a reason a user can act on. The CLI and the portal print it, never a
    traceback."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


class InvalidInput(ThiduaError):
    """Input (a spec, a workbook, a form, an argument) that cannot be accepted as it is."""


class NotFound(ThiduaError):
    pass


class TransitionRefused(ThiduaError):
    """A lifecycle step that is not allowed now; the message says why."""


@dataclass
class Problems:
    """Collects every problem before refusing, so the user fixes them all in one go."""

    items: list[Problem] = field(default_factory=list)

    def add(self, field_name: str, reason: str, where: str = "") -> None:
        self.items.append(Problem(field_name, reason, where))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, message: str) -> None:
        if self.items:
            raise InvalidInput(message, list(self.items))
