"""The channels in force, from settings: email = THIDUA_EMAIL_URL (mailto:// | mailtos://),
Zalo = THIDUA_ZALO_URL (zns://); either left empty (or set to outbox://) writes files to the
outbox instead. Each channel gives workers: a worker sends one ledger row at a time and is
used by one thread (an SMTP connection, an HTTP session). A worker hands the step that makes
the message taken (the SMTP end of data, the ZNS request, the outbox file) to `seal`, which
records the acceptance before any other thread's message can be taken."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from apprise.manager_plugins import NotificationManager

from thidua.files import sweep_folder
from thidua.notify import outbox, smtp_bulk, zns
from thidua.notify.ledger import Row
from thidua.notify.mime import build_email
from thidua.settings import get_settings

OUTBOX_FROM = "van-phong@thidua.local"

_mgr = NotificationManager()
for _plugin in (zns.NotifyZNS, outbox.NotifyOutbox):
    _mgr.add(_plugin)  # so apprise.Apprise().add("zns://…" / "outbox://…") works too


@dataclass(frozen=True)
class Answer:
    ok: bool
    permanent: bool
    text: str


Seal = Callable[[Callable[[], Answer]], Answer]


def unsealed(step: Callable[[], Answer]) -> Answer:
    return step()


class Worker(Protocol):
    def send(self, row: Row, seal: Seal = unsealed) -> Answer: ...
    def reset(self) -> None: ...
    def close(self) -> None: ...


class Channel(Protocol):
    medium: str  # email | zalo: the ledger's channel
    transport: str  # smtp | zns | outbox

    @property
    def threads(self) -> int: ...  # sending threads (an attribute or a property)

    def worker(self) -> Worker: ...


def _email_bytes(row: Row, from_addr: str, from_name: str | None) -> bytes:
    p = row.payload
    domain = from_addr.rpartition("@")[2] or "thidua.local"
    return build_email(
        from_addr=from_addr,
        from_name=from_name,
        to_addr=row.address,
        to_name=p.get("to_name"),
        subject=p["subject"],
        body=p["body"],
        attachments=p.get("attachments") or None,
        message_id=f"<thidua.{p.get('movement_id', 0)}.{row.id}@{domain}>",
    )


def _file_problem(row: Row) -> Answer | None:
    for f in row.payload.get("attachments") or []:
        if not Path(f).is_file():
            return Answer(False, True, f"không tìm thấy file đính kèm: {f}")
    return None


class _SmtpWorker:
    def __init__(self, cfg: smtp_bulk.SmtpConfig) -> None:
        self.cfg = cfg
        self.sender = smtp_bulk.SmtpSender(cfg)

    def send(self, row: Row, seal: Seal = unsealed) -> Answer:
        if problem := _file_problem(row):
            return problem
        data = _email_bytes(row, self.cfg.from_addr, self.cfg.from_name)

        def sealed(end: Callable[[], smtp_bulk.SmtpAnswer]) -> smtp_bulk.SmtpAnswer:
            out: list[smtp_bulk.SmtpAnswer] = []

            def step() -> Answer:
                out.append(end())
                return Answer(out[0].ok, out[0].permanent, out[0].text)

            seal(step)
            return out[0]

        a = self.sender.send(row.address, data, sealed)
        return Answer(a.ok, a.permanent, a.text)

    def reset(self) -> None:
        self.sender.reset()

    def close(self) -> None:
        self.sender.close()


@dataclass
class SmtpChannel:
    cfg: smtp_bulk.SmtpConfig
    medium: str = "email"
    transport: str = "smtp"

    @property
    def threads(self) -> int:
        return self.cfg.threads

    def worker(self) -> Worker:
        return _SmtpWorker(self.cfg)


class _ZnsWorker:
    def __init__(self, ch: "ZnsChannel") -> None:
        self.client = zns.ZnsClient(ch.cfg, ch.store, ch.limiter)

    def send(self, row: Row, seal: Seal = unsealed) -> Answer:
        p = row.payload

        def step() -> Answer:
            a = self.client.send(row.address, p["template_id"], p["params"], f"thidua-{row.id}")
            return Answer(a.ok, a.permanent, a.text)

        return seal(step)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        self.client.close()


class ZnsChannel:
    medium = "zalo"
    transport = "zns"

    def __init__(self, cfg: zns.ZnsConfig) -> None:
        self.cfg = cfg
        self.store = zns.TokenStore(cfg)
        self.limiter = zns.RateLimiter(cfg.rate)  # shared by this channel's threads
        self.threads = cfg.threads

    def worker(self) -> Worker:
        return _ZnsWorker(self)


_swept: set[Path] = set()  # outbox folders this process has cleared of killed writes


class _OutboxWorker:
    def __init__(self, directory: Path, medium: str) -> None:
        self.directory, self.medium = directory, medium
        # The folder cleared of killed writes once per process: what a process killed before
        # this one left. Not once per message (a listing of a 20,000-file outbox for each file
        # made sending quadratic), nor per deliver call (80,000 files: 85 ms per 500 messages).
        if directory not in _swept:
            sweep_folder(directory)
            _swept.add(directory)

    def send(self, row: Row, seal: Seal = unsealed) -> Answer:
        # Not sealed: a file named after its ledger row, written whole, is the same file when
        # a crashed run's successor writes it again — no duplicate to guard against, so no
        # commit per message; the batch marks the rows.
        del seal
        return self._write(row)

    def _write(self, row: Row) -> Answer:
        name = f"{row.payload.get('movement_id', 0)}-{row.id:08d}-{self.medium}"
        try:
            if self.medium == "email":
                if problem := _file_problem(row):
                    return problem
                path = outbox.write_email(
                    self.directory, name, _email_bytes(row, OUTBOX_FROM, "Văn phòng"), swept=True
                )
            else:
                p = row.payload
                body = {
                    "phone": row.address,
                    "template_id": p["template_id"],
                    "template_data": p["params"],
                    "tracking_id": f"thidua-{row.id}",
                }
                path = outbox.write_zns(self.directory, name, body, swept=True)
        except OSError as e:
            return Answer(False, False, f"không ghi được vào hộp thư đi: {e}")
        return Answer(True, False, f"outbox: {path}")

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class OutboxChannel:
    directory: Path
    medium: str
    transport: str = "outbox"
    threads: int = 1

    def worker(self) -> Worker:
        return _OutboxWorker(self.directory, self.medium)


def _outbox_dir(url: str) -> Path:
    rest = url.split("://", 1)[1].split("?", 1)[0] if "://" in url else ""
    return Path(rest) if rest else Path(get_settings().outbox_dir)


def channels_from_settings() -> dict[str, Channel]:
    """{"email": …, "zalo": …} as configured; a bad URL is refused with the reason."""
    from thidua.errors import InvalidInput, Problem

    s = get_settings()
    out: dict[str, Channel] = {}
    try:
        url = s.email_url.strip()
        if not url or url.startswith("outbox:"):
            out["email"] = OutboxChannel(_outbox_dir(url), "email")
        else:
            out["email"] = SmtpChannel(smtp_bulk.config_from_url(url))
        url = s.zalo_url.strip()
        if not url or url.startswith("outbox:"):
            out["zalo"] = OutboxChannel(_outbox_dir(url), "zalo")
        else:
            out["zalo"] = ZnsChannel(zns.config_from_url(url))
    except (ValueError, TypeError) as e:
        raise InvalidInput(
            "Cấu hình kênh gửi thông báo không hợp lệ",
            [Problem("THIDUA_EMAIL_URL / THIDUA_ZALO_URL", str(e))],
        ) from None
    return out
