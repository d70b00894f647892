"""Bulk email over one SMTP connection per sending thread.

The channel is still an apprise URL (mailto:// or mailtos://, read by apprise's own email
plugin, so its provider shortcuts and modes apply), but the loop is ours: apprise opens a
connection and builds an SSL context per message (~26 msg/s measured); here a connection is
opened once, reused for every message, and reopened only when the server drops it.
"""

import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qs, urlsplit

import apprise
from apprise.plugins.email import NotifyEmail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mode: str  # insecure | starttls | ssl
    user: str | None
    password: str | None
    from_addr: str
    from_name: str | None
    threads: int = 2
    timeout: float = 30.0
    verify: bool = True  # verify=no in the URL: accept the server's self-signed certificate


@dataclass(frozen=True)
class SmtpAnswer:
    ok: bool
    permanent: bool
    text: str


def config_from_url(url: str) -> SmtpConfig:
    plugin = apprise.Apprise.instantiate(url)
    if not isinstance(plugin, NotifyEmail) or plugin.port is None:
        raise ValueError("THIDUA_EMAIL_URL phải là URL mailto:// hoặc mailtos:// hợp lệ")
    q = parse_qs(urlsplit(url).query)
    name, addr = plugin.from_addr  # [display name or False, address]
    return SmtpConfig(
        host=plugin.smtp_host,
        port=int(plugin.port),
        mode=str(plugin.secure_mode) if plugin.secure else "insecure",
        user=plugin.user,
        password=plugin.password,
        from_addr=str(addr),
        from_name=str(name) if name else None,
        threads=max(1, int(q.get("threads", ["2"])[0])),
        timeout=float(q.get("timeout", ["30"])[0]),
        verify=bool(plugin.verify_certificate),
    )


_contexts: dict[bool, ssl.SSLContext] = {}


def _context(verify: bool) -> ssl.SSLContext:
    """One context per process: building one loads the CA bundle (~28 ms)."""
    if verify not in _contexts:
        ctx = ssl.create_default_context()
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        _contexts[verify] = ctx
    return _contexts[verify]


class SmtpSender:
    """One connection, many messages. Not thread-safe: one sender per thread."""

    def __init__(self, cfg: SmtpConfig) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None
        self.down: str | None = None  # set after a failed connect: fail fast until reset()

    def reset(self) -> None:
        self.down = None

    def _connect(self) -> smtplib.SMTP:
        c = self.cfg
        conn: smtplib.SMTP
        if c.mode == "ssl":
            conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=_context(c.verify))
        else:
            conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            # the end-of-data line goes alone (see send): without this, Nagle's algorithm
            # holds it until the server's delayed ACK, ~40 ms a message
            if conn.sock is not None:  # connected by the constructor, given a host
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if c.mode == "starttls":
                conn.starttls(context=_context(c.verify))
                conn.ehlo()
            if c.user and c.password:
                conn.login(c.user, c.password)
        except BaseException:
            conn.close()  # a half-open session would hold the server's slot
            raise
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, to_addr: str, data: bytes, seal: "Seal | None" = None) -> SmtpAnswer:
        """Send one message. `seal` runs the last step — the end-of-data mark and the server's
        answer to it, the moment the message is taken — so that the caller can record the
        acceptance before any other message is taken (see delivery._Recorder)."""
        if self.down:
            return SmtpAnswer(False, False, self.down)
        for attempt in (1, 2):
            if self.conn is None:
                try:
                    self.conn = self._connect()
                except (smtplib.SMTPException, OSError, ValueError) as e:
                    # ValueError: smtplib cannot send a non-ASCII login (UnicodeEncodeError)
                    self.down = (
                        f"không kết nối được máy chủ thư {self.cfg.host}:{self.cfg.port}: {e}"
                    )
                    self._drop()
                    return SmtpAnswer(False, False, self.down)
            conn = self.conn
            try:
                code, resp = conn.mail(self.cfg.from_addr)
            except (smtplib.SMTPServerDisconnected, OSError):
                # an idle connection the server closed: nothing was sent, try a fresh one
                self._drop()
                if attempt == 2:
                    return SmtpAnswer(False, False, "máy chủ thư đóng kết nối")
                continue
            try:
                if code != 250:
                    conn.rset()
                    return _answer(code, resp, "MAIL FROM", sender=True)
                code, resp = conn.rcpt(to_addr)
                if code not in (250, 251):
                    conn.rset()
                    return _answer(code, resp, "RCPT TO")
                code, resp = conn.docmd("data")
                if code != 354:
                    conn.rset()
                    return _answer(code, resp, "DATA")
                conn.send(_dotted(data))
                end = partial(_end_of_data, conn)
                a = seal(end) if seal else end()
                if not a.ok:
                    conn.rset()
                return a
            except (smtplib.SMTPException, OSError) as e:
                # cut during the transaction: we cannot know whether it was taken (DATA may
                # have been accepted); a later retry may duplicate it (at-least-once).
                self._drop()
                return SmtpAnswer(False, False, f"mất kết nối khi gửi: {e.__class__.__name__}")
        return SmtpAnswer(False, False, "máy chủ thư đóng kết nối")


Seal = Callable[[Callable[[], SmtpAnswer]], SmtpAnswer]


def _end_of_data(conn: smtplib.SMTP) -> SmtpAnswer:
    """The final '.' line: the server takes the message (or not) when it reads it."""
    conn.send(b".\r\n")
    code, resp = conn.getreply()
    if code != 250:
        return _answer(code, resp, "DATA")
    return SmtpAnswer(True, False, f"{code} {resp.decode(errors='replace')[:200]}")


def _dotted(data: bytes) -> bytes:
    """The message body as DATA carries it, without the final '.' line (RFC 5321 4.5.2)."""
    q = re.sub(rb"(?m)^\.", b"..", data)
    return q if q.endswith(b"\r\n") else q + b"\r\n"


def _answer(code: int, resp: bytes, step: str, sender: bool = False) -> SmtpAnswer:
    text = f"{step}: {code} {resp.decode(errors='replace')[:200]}"
    # 5xx on the recipient or the content is final; a refused sender is our configuration,
    # so it stays temporary (retried) rather than dropping everyone's messages.
    return SmtpAnswer(False, 500 <= code < 600 and not sender, text)
