"""Email bytes, built cheaply, with CRLF line ends (bare LF upsets aiosmtpd and some MTAs).

ARCHITECTURE.md measured EmailMessage (default policy) at ~2 ms a message, mostly header
folding. A plain-text message — every reminder — is written here directly: RFC 2047 base64
encoded-words for non-ASCII headers (cut between characters, each word ≤ 75 chars, folded),
a base64 UTF-8 body. A message with attachments goes through MIMEMultipart + compat32, also
cheap, with RFC 2231 file names so Vietnamese names survive."""

import base64
import mimetypes
import time
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate
from pathlib import Path

SMTP_COMPAT32 = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = BASE64
_WORD_BYTES = 45  # base64 of 45 bytes is 60 chars: "=?utf-8?b?" + 60 + "?=" = 72 ≤ 75
_SPECIALS = set('()<>[]:;@\\,."')


def encode_header(text: str) -> str:
    """ASCII text as is; otherwise RFC 2047 encoded-words, folded with CRLF + space."""
    if text.isascii():
        return text
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return "\r\n ".join(
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    )


def address(name: str | None, addr: str) -> str:
    if not name:
        return addr
    if name.isascii():
        if any(c in _SPECIALS for c in name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return f"{encode_header(name)} <{addr}>"


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    global _date_cache  # formatdate per second, not per message
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def build_email(
    *,
    from_addr: str,
    from_name: str | None,
    to_addr: str,
    to_name: str | None,
    subject: str,
    body: str,
    attachments: list[str] | None = None,
    message_id: str,
) -> bytes:
    if attachments:
        return _multipart(
            from_addr, from_name, to_addr, to_name, subject, body, attachments, message_id
        )
    head = (
        f"From: {address(from_name, from_addr)}\r\n"
        f"To: {address(to_name, to_addr)}\r\n"
        f"Subject: {encode_header(subject)}\r\n"
        f"Date: {_date()}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")


def _multipart(from_addr, from_name, to_addr, to_name, subject, body, attachments, message_id):
    msg = MIMEMultipart("mixed")
    # A Charset is accepted since Python 3.6 (its docs); typeshed still says str only.
    text = MIMEText(body, "plain", _UTF8)  # type: ignore[arg-type]
    del text["MIME-Version"]  # only the outer part carries it
    msg.attach(text)
    for path in map(Path, attachments):
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
        part = MIMEApplication(path.read_bytes(), subtype)
        if maintype != "application":
            part.replace_header("Content-Type", ctype or "application/octet-stream")
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", path.name))
        msg.attach(part)
    # compat32 folds headers itself: hand it Header objects, not pre-folded text
    msg["From"] = formataddr((from_name, from_addr), charset="utf-8") if from_name else from_addr
    msg["To"] = formataddr((to_name, to_addr), charset="utf-8") if to_name else to_addr
    msg["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]  # compat32 takes a Header
    msg["Date"] = _date()
    msg["Message-ID"] = message_id
    return msg.as_bytes(policy=SMTP_COMPAT32)
