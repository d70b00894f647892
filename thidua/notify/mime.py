"""Email bytes, built cheaply, with CRLF line ends (bare LF upsets aiosmtpd and some MTAs).

ARCHITECTURE.md measured EmailMessage (default policy) at ~2 ms a message, mostly header
folding. A plain-text message — every reminder — is written here directly: RFC 2047 base64
encoded-words for non-ASCII headers (cut between characters, each word ≤ 75 chars, folded),
a base64 UTF-8 body. A message with attachments is a multipart/mixed written the same way:
each attachment's part (headers with an RFC 2231 file name, so Vietnamese names survive, and
its base64 body) is encoded once per file and reused for every recipient — a decision sent to
4,000 people is read and encoded once, not 4,000 times."""

import base64
import hashlib
import mimetypes
import time
import urllib.parse
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path

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
    head = (
        f"From: {address(from_name, from_addr)}\r\n"
        f"To: {address(to_name, to_addr)}\r\n"
        f"Subject: {encode_header(subject)}\r\n"
        f"Date: {_date()}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
    )
    text = _base64(body.encode("utf-8"))
    if not attachments:
        return (
            head + 'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii") + text
    # base64 and these headers never hold "--=_thidua": the boundary cannot occur inside
    boundary = "=_thidua_" + hashlib.sha1(message_id.encode()).hexdigest()[:24]
    out = [
        (
            head + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii"),
        text,
    ]
    for path in map(Path, attachments):
        st = path.stat()
        out += [
            f"\r\n--{boundary}\r\n".encode("ascii"),
            _part(str(path), st.st_mtime_ns, st.st_size),
        ]
    out.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
    return b"".join(out)


def _base64(data: bytes) -> bytes:
    """base64 in 76-character lines ending CRLF."""
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


@lru_cache(maxsize=16)
def _part(path: str, mtime_ns: int, size: int) -> bytes:
    """An attachment's MIME part, headers and body, encoded once per file version."""
    del mtime_ns, size  # the cache key: a file rewritten is encoded again
    name = Path(path).name
    ctype, _ = mimetypes.guess_type(name)
    quoted = urllib.parse.quote(name, safe="")
    head = (
        f"Content-Type: {ctype or 'application/octet-stream'}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''{quoted}\r\n\r\n"
    )
    return head.encode("ascii") + _base64(Path(path).read_bytes()).rstrip(b"\r\n")
