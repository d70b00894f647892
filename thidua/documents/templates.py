"""Finding, checking and caching the Word templates.

An office's own templates (THIDUA_TEMPLATE_DIR) win; kinds it lacks fall back to the shipped
templates/docx. A template is checked when it is loaded: every variable it uses must be a
field its kind declares, so a typo is refused with its name instead of printing a blank."""

import re
import threading
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError

from thidua import vn
from thidua.documents.kinds import get_kind, template_name
from thidua.documents.render import CompiledTemplate
from thidua.errors import InvalidInput, Problem
from thidua.settings import PROJECT_ROOT, get_settings

SHIPPED_DIR = PROJECT_ROOT / "templates" / "docx"

_cache: dict[tuple[str, str, float], CompiledTemplate] = {}
_lock = threading.Lock()


def make_env() -> Environment:
    """StrictUndefined: a missing value stops the render instead of leaving a blank.
    autoescape: user text such as "A & B <x>" is escaped, never read as XML."""
    env = Environment(undefined=StrictUndefined, autoescape=True)
    env.filters["vn_number"] = lambda v, d=0: vn.number(Decimal(str(v)), d)
    env.filters["vn_percent"] = lambda v, d=1: vn.percent(Decimal(str(v)), d)
    env.filters["vn_date"] = vn.long_date
    return env


def template_path(kind: str, doc_kind: str | None = None) -> Path:
    name = template_name(kind, doc_kind)
    office = get_settings().template_dir
    if office and (Path(office) / name).is_file():
        return Path(office) / name
    path = SHIPPED_DIR / name
    if not path.is_file():
        raise InvalidInput(
            f"Không tìm thấy mẫu văn bản {name}",
            [Problem("template", "không có trong thư mục mẫu của cơ quan lẫn mẫu có sẵn", name)],
        )
    return path


def load_template(kind: str, doc_kind: str | None = None) -> CompiledTemplate:
    """The compiled template of a kind, checked against the kind's fields, cached by file."""
    path = template_path(kind, doc_kind)
    key = (str(path), kind, path.stat().st_mtime)
    with _lock:
        if key in _cache:
            return _cache[key]
    compiled = compile_checked(path, kind)
    with _lock:
        _cache[key] = compiled
    return compiled


def compile_checked(path: Path, kind: str) -> CompiledTemplate:
    declared = get_kind(kind).declared
    try:
        compiled = CompiledTemplate(path, make_env())
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            f"Mẫu {path.name} có lỗi cú pháp",
            [Problem("template", f"dòng {exc.lineno}: {exc.message}", str(path))],
        ) from None
    except Exception as exc:  # not a .docx, a broken zip…
        raise InvalidInput(
            f"Không đọc được mẫu {path.name}", [Problem("template", str(exc), str(path))]
        ) from None
    unknown = sorted(compiled.variables - declared)
    if unknown:
        raise InvalidInput(
            f"Mẫu {path.name} dùng biến không có trong dữ liệu của loại văn bản '{kind}': "
            + ", ".join(unknown),
            [
                Problem(name, "biến không được khai báo cho loại văn bản này", str(path))
                for name in unknown
            ],
        )
    return compiled


def check_context(kind: str, context: dict) -> None:
    """Refuse a context that lacks a declared field, naming it (never a half-filled file)."""
    missing = sorted(get_kind(kind).declared - context.keys())
    if missing:
        raise InvalidInput(
            f"Thiếu dữ liệu cho văn bản '{kind}': " + ", ".join(missing),
            [Problem(name, "chưa có giá trị") for name in missing],
        )


_UNDEFINED = re.compile(r"'([^']+)' (?:is undefined|has no attribute '([^']+)')")


def undefined_name(message: str) -> str:
    """The variable a Jinja UndefinedError is about ("'x' is undefined")."""
    m = _UNDEFINED.search(message)
    if not m:
        return message
    return m.group(2) or m.group(1)
