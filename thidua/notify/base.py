"""What the stage flows hand to `deliver` and what they get back."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class OutgoingMessage:
    """One message to one person, on every channel the person has.

    event: the idempotency key within the movement ("launch", "reminder:registration:before:3:
    2022-03-31"); the same event is never sent twice to the same person on the same channel.
    kind: the template (templates/messages/KIND.yaml). context: the template's variables (the
    recipient's name and unit and the movement's title are added). attachments: files to
    attach to the email, besides those the template names."""

    event: str
    kind: str
    person_id: int
    context: dict[str, Any]
    attachments: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class PermanentFailure:
    person_id: int | None
    person_name: str
    channel: str
    address: str
    event: str
    reason: str  # Vietnamese

    def __str__(self) -> str:
        where = f" ({self.address})" if self.address else ""
        return f"{self.person_name} – {self.channel}{where}: {self.reason}"


@dataclass
class DeliveryReport:
    """What one call did. `pending`: rows another worker holds or whose retry time has not come;
    `deferred`: held back by quiet hours; `cancelled`: reminders that became moot."""

    sent: int = 0
    skipped_already_sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    skipped_failed_before: int = 0
    deferred: int = 0
    pending: int = 0
    cancelled: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    transports: dict[str, str] = field(default_factory=dict)  # {"email": "smtp", "zalo": …}
    permanent_failures: list[PermanentFailure] = field(default_factory=list)

    def count(self, channel: str, what: str, n: int = 1) -> None:
        if n:
            ch = self.by_channel.setdefault(channel, {})
            ch[what] = ch.get(what, 0) + n

    def merge(self, other: "DeliveryReport") -> None:
        for name in (
            "sent",
            "skipped_already_sent",
            "failed_temporary",
            "failed_permanent",
            "skipped_failed_before",
            "deferred",
            "pending",
            "cancelled",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for ch, counts in other.by_channel.items():
            for what, n in counts.items():
                self.count(ch, what, n)
        self.permanent_failures += other.permanent_failures
        self.transports.update(other.transports)

    def summary(self) -> str:
        """One paragraph in Vietnamese for an artifact or the CLI."""
        lines = [
            f"Đã gửi: {self.sent}; đã gửi từ trước (bỏ qua): {self.skipped_already_sent}; "
            f"lỗi tạm thời (sẽ gửi lại): {self.failed_temporary}; lỗi không gửi được: "
            f"{self.failed_permanent}; chờ hết giờ yên lặng: {self.deferred}; đang chờ / do "
            f"tiến trình khác giữ: {self.pending}; đã hủy (đơn vị đã nộp): {self.cancelled}.",
        ]
        for ch, counts in sorted(self.by_channel.items()):
            parts = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            via = f" (qua {self.transports[ch]})" if ch in self.transports else ""
            lines.append(f"- Kênh {ch}{via}: {parts}")
        if self.permanent_failures:
            lines.append("Không gửi được:")
            lines += [f"- {f}" for f in self.permanent_failures]
        return "\n".join(lines)
