"""Shared parts of the notification tests: a real SMTP server (aiosmtpd on a free loopback
port) that can go down and come back, and a small organisation to send to."""

import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlmodel import Session

from models import Movement, Person, Unit
from models.db import engine_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Records every message; refuses RCPT for addresses in `refuse` with 550."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.tempfail: set[str] = set()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope: Envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Hộp thư không tồn tại"
        if address in self.tempfail:
            return "451 4.3.0 Tạm thời không nhận"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope):
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=van-phong@sct.hanam.gov.vn&mode=insecure"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(c, policy=policy.default) for _, _, c in self.received]

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        out: dict[str, list[EmailMessage]] = {}
        for (_, rcpts, _), m in zip(self.received, self.messages(), strict=True):
            for r in rcpts:
                out.setdefault(r, []).append(m)
        return out


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    sink = SmtpSink()
    sink.start()
    monkeypatch.setenv("THIDUA_EMAIL_URL", sink.url())
    from thidua.settings import reset_settings

    reset_settings()
    yield sink
    sink.stop()


@dataclass
class Org:
    movement: Movement
    units: list[Unit]
    people: list[Person] = field(default_factory=list)


def make_org(
    url: str,
    n_units: int = 2,
    per_unit: int = 2,
    state: str = "draft",
    zalo: bool = False,
    reminder_policy: dict | None = None,
) -> Org:
    """A movement, n units each with a focal point (and more) and a head; committed."""
    with Session(engine_for(url), expire_on_commit=False) as s:
        m = Movement(
            code=f"pt-{free_port()}",
            year=2026,
            title="Phong trào thi đua năm 2026",
            doc_kind="ke_hoach",
            doc_symbol="KH-SCT",
            agency="Sở Công Thương",
            agency_code="SCT",
            place="Hà Nam",
            issued_date="2026-03-05",
            theme="Đoàn kết, kỷ cương, sáng tạo, về đích",
            signer_title="GIÁM ĐỐC",
            signer_name="Lê Nguyên Ngọc",
            state=state,
            reminder_policy=reminder_policy or {},
        )
        s.add(m)
        s.flush()
        units = []
        for i in range(n_units):
            u = Unit(code=f"{m.code}-U{i}", name=f"Phòng Quản lý Công nghiệp số {i}")
            s.add(u)
            s.flush()
            units.append(u)
        org = Org(m, units)
        for u in units:
            for j in range(per_unit):
                roles = ["focal_point"] if j < per_unit - 1 else ["unit_head"]
                p = Person(
                    code=f"{u.code}-P{j}",
                    full_name=f"Nguyễn Thị Ánh {u.id}.{j}",
                    unit_id=u.id,
                    email=f"u{u.id}.p{j}@sct.hanam.gov.vn",
                    zalo_phone=f"0912{u.id:03d}{j:03d}" if zalo else None,
                    roles=roles,
                )
                s.add(p)
                org.people.append(p)
        s.commit()
        return org
