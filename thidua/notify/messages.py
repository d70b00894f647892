"""Message templates (templates/messages/KIND.yaml): an email form and a ZNS form per kind,
in Vietnamese, edited by the office, rendered with Jinja's StrictUndefined so that a missing
variable is an error naming the file, never a blank in a message sent to 500 people.

ZNS limits we apply (Zalo checks each template parameter against the type it was registered
with; most text types allow 30 characters, some 50/100/200): a parameter is at most 30
characters unless its template says `max: N` (1–400). A longer value is cut at a word
boundary and ends with "…" (one character, counted), so it is never rejected for length.
A template id is the one Zalo approved for the OA; the office writes it in the file.
"""

import time
import weakref
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from ruamel.yaml import YAML

from thidua import vn
from thidua.errors import InvalidInput, Problem
from thidua.settings import PROJECT_ROOT, get_settings

ZNS_DEFAULT_MAX = 30
ZNS_HARD_MAX = 400
ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """text if it fits in `limit` characters, else its head cut at a word boundary + "…".

    Without a space in the last third of the allowed head, the cut is mid-word (a long
    unbroken name still fits)."""
    text = " ".join(vn.nfc(str(text)).split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    if text[limit - 1] != " ":  # the cut falls inside a word: go back to its start
        space = head.rfind(" ")
        if space >= (limit - 1) * 2 // 3:
            head = head[:space]
    return head.rstrip(" ,;:-–") + ELLIPSIS


@dataclass(frozen=True)
class EmailForm:
    subject: str
    body: str
    attachments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ZnsForm:
    template_id: str
    params: dict[str, str]


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters.update(
        long_date=vn.long_date,
        short_date=vn.short_date,
        number=vn.number,
        percent=vn.percent,
    )
    return env


@dataclass
class _Compiled:
    path: Path
    subject: jinja2.Template
    body: jinja2.Template
    attachments: list[jinja2.Template]
    zns_id: jinja2.Template | None
    zns_params: dict[str, tuple[jinja2.Template, int]]


def message_dirs() -> list[Path]:
    own = get_settings().template_dir
    shipped = PROJECT_ROOT / "templates" / "messages"
    return [own / "messages", shipped] if own else [shipped]


def template_path(kind: str) -> Path:
    for d in message_dirs():
        p = d / f"{kind}.yaml"
        if p.is_file():
            return p
    raise InvalidInput(
        f"Không có mẫu tin nhắn cho loại '{kind}'",
        [Problem("kind", f"thiếu file {kind}.yaml", ", ".join(map(str, message_dirs())))],
    )


_NAMES: "weakref.WeakKeyDictionary[jinja2.Template, tuple[str, ...]]" = weakref.WeakKeyDictionary()


def _template(env: jinja2.Environment, source: str) -> jinja2.Template:
    """The compiled template; the variables it reads are noted for _render's cache."""
    t = env.from_string(source)
    _NAMES[t] = tuple(sorted(jinja2.meta.find_undeclared_variables(env.parse(source))))
    return t


@cache
def _compile(path: Path, mtime: float) -> _Compiled:
    del mtime  # cache key: an edited file is compiled again
    where = str(path)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        env = _env()
        email = data.get("email") or {}
        if not email.get("subject") or not email.get("body"):
            raise InvalidInput(
                "Mẫu tin nhắn thiếu phần email",
                [Problem("email", "phải có subject và body", where)],
            )
        zns = data.get("zns") or None
        params: dict[str, tuple[jinja2.Template, int]] = {}
        for name, spec in ((zns or {}).get("params") or {}).items():
            value, limit = (
                (spec, ZNS_DEFAULT_MAX)
                if isinstance(spec, str)
                else (
                    spec.get("value", ""),
                    int(spec.get("max", ZNS_DEFAULT_MAX)),
                )
            )
            if not 1 <= limit <= ZNS_HARD_MAX:
                raise InvalidInput(
                    "Mẫu tin nhắn có giới hạn độ dài không hợp lệ",
                    [Problem(f"zns.params.{name}.max", f"phải từ 1 đến {ZNS_HARD_MAX}", where)],
                )
            params[str(name)] = (_template(env, str(value)), limit)
        return _Compiled(
            path=path,
            subject=_template(env, str(email["subject"])),
            body=_template(env, str(email["body"])),
            attachments=[_template(env, str(a)) for a in email.get("attachments") or []],
            zns_id=_template(env, str(zns["template_id"])) if zns else None,
            zns_params=params,
        )
    except jinja2.TemplateSyntaxError as e:
        raise InvalidInput(
            "Mẫu tin nhắn sai cú pháp", [Problem(f"dòng {e.lineno}", e.message or "", where)]
        ) from None
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as e:
        if isinstance(e, InvalidInput):
            raise
        raise InvalidInput(
            "Không đọc được mẫu tin nhắn", [Problem("file", str(e), where)]
        ) from None


_recent: dict[tuple[str, str], tuple[float, _Compiled]] = {}


def compiled(kind: str) -> _Compiled:
    """The compiled template; the file is looked up again at most once a second, so an edit
    takes effect at once without a stat() per message of a 20,000-message batch."""
    key = (kind, str(get_settings().template_dir))
    hit = _recent.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < 1.0:
        return hit[1]
    path = template_path(kind)
    c = _compile(path, path.stat().st_mtime)
    _recent[key] = (now, c)
    return c


_MISSING = object()
_rendered: dict[tuple, str] = {}  # (template, the values it reads) → text
_RENDERED_MAX = 20_000


def _render(t: jinja2.Template, ctx: dict[str, Any], where: Path, part: str) -> str:
    """The template rendered with ctx. A template's text depends only on the variables it
    reads, so a text made once for a batch is reused: a subject naming the movement is
    rendered once for 4,000 recipients, a body naming each recipient once per recipient."""
    key: tuple | None = (t, *(ctx.get(name, _MISSING) for name in _NAMES[t]))
    try:
        hit = _rendered.get(key) if key is not None else None
    except TypeError:  # a list or a dict among the values: rendered each time
        key, hit = None, None
    if hit is not None:
        return hit
    text = _render_now(t, ctx, where, part)
    if key is not None:
        if len(_rendered) >= _RENDERED_MAX:
            _rendered.clear()
        _rendered[key] = text
    return text


def _render_now(t: jinja2.Template, ctx: dict[str, Any], where: Path, part: str) -> str:
    try:
        return vn.nfc(t.render(ctx))
    except jinja2.UndefinedError as e:
        raise InvalidInput(
            "Thiếu dữ liệu để điền mẫu tin nhắn",
            [Problem(part, f"thiếu biến: {e.message}", str(where))],
        ) from None


def render_email(kind: str, ctx: dict[str, Any]) -> EmailForm:
    c = compiled(kind)
    subject = " ".join(_render(c.subject, ctx, c.path, "email.subject").split())  # one line
    body = _render(c.body, ctx, c.path, "email.body")
    files = [_render(a, ctx, c.path, "email.attachments") for a in c.attachments]
    return EmailForm(subject, body.strip() + "\n", [f for f in files if f])


def has_zns(kind: str) -> bool:
    return compiled(kind).zns_id is not None


def render_zns(kind: str, ctx: dict[str, Any]) -> ZnsForm | None:
    """The ZNS form, or None when the kind has none (then it goes by email only)."""
    c = compiled(kind)
    if c.zns_id is None:
        return None
    params = {
        name: shorten(_render(t, ctx, c.path, f"zns.params.{name}"), limit)
        for name, (t, limit) in c.zns_params.items()
    }
    return ZnsForm(_render(c.zns_id, ctx, c.path, "zns.template_id"), params)
