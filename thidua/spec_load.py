"""Reading a movement spec file: YAML with line numbers → NFC → MovementSpec, or every problem.

Each problem names the file and line, the field path (`targets[2].value`) and the reason in
Vietnamese. Field errors, per-item checks and cross-field checks are all collected before
refusing, so the office fixes a file in one go.
"""

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from thidua import safeyaml
from thidua.errors import InvalidInput, Problem
from thidua.spec_checks import Loc, cross_checks, valid_parts
from thidua.spec_schema import DEADLINE_LABELS, MovementSpec
from thidua.vn import nfc, text_problems


class _Constructor(RoundTripConstructor):
    """Dates and decimals stay as the text written, so pydantic reports a bad one with its
    field and line (ruamel would abort the whole file), and 174186.0 becomes an exact Decimal."""


def _as_text(constructor, node):
    return constructor.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_Constructor.add_constructor("tag:yaml.org,2002:float", _as_text)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.allow_duplicate_keys = False
    return y


# --- Vietnamese reasons for pydantic's error types -------------------------------------------

_REASONS = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép (viết sai tên trường?)",
    "date_parsing": "ngày không hợp lệ: viết theo dạng YYYY-MM-DD, ví dụ 2022-03-31",
    "date_from_datetime_parsing": "ngày không hợp lệ: viết theo dạng YYYY-MM-DD, ví dụ 2022-03-31",
    "date_from_datetime_inexact": "ngày không hợp lệ: chỉ ghi ngày, không ghi giờ",
    "date_type": "ngày không hợp lệ: viết theo dạng YYYY-MM-DD",
    "decimal_parsing": "không phải là số (viết như 174186.0, dấu chấm thập phân)",
    "decimal_type": "không phải là số",
    "float_parsing": "không phải là số",
    "int_parsing": "không phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "int_type": "không phải là số nguyên",
    "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false",
    "string_type": "phải là một đoạn văn bản",
    "list_type": "phải là một danh sách (các dòng bắt đầu bằng '- ')",
    "dict_type": "phải là một nhóm trường (khóa: giá trị)",
    "model_type": "phải là một nhóm trường (khóa: giá trị)",
    "model_attributes_type": "phải là một nhóm trường (khóa: giá trị)",
    "finite_number": "phải là một số hữu hạn",
}


def reason_vi(err: Mapping[str, Any]) -> str:
    """The Vietnamese reason for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in _REASONS:
        return _REASONS[kind]
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"giá trị không hợp lệ, phải là một trong: {expected}"
    if kind == "string_too_short":
        return "không được để trống"
    if kind == "string_too_long":
        return f"dài quá {ctx.get('max_length')} ký tự"
    if kind == "string_pattern_mismatch" and "\\s" in str(ctx.get("pattern", "")):
        return "mã không được có khoảng trắng, dấu phẩy hay chấm phẩy"
    if kind == "string_pattern_mismatch":
        return "mã chỉ gồm chữ không dấu, chữ số và các dấu . _ - (không có khoảng trắng)"
    if kind == "too_short":
        return f"phải có ít nhất {ctx.get('min_length')} mục"
    if kind == "too_long":
        return f"có nhiều nhất {ctx.get('max_length')} mục"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        limit = next(iter(ctx.values()), "")
        return f"phải {sign} {limit}"
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return "số quá lớn hoặc quá nhiều chữ số thập phân"
    return f"giá trị không hợp lệ ({err.get('msg', kind)})"


# --- where a field is in the file -------------------------------------------------------------


def field_path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(tệp)"


def _clean_loc(err: Mapping[str, Any]) -> Loc:
    # pydantic inserts validator/union tags ("function-after[...]"); they are no field.
    loc = tuple(p for p in err["loc"] if isinstance(p, int) or p.isidentifier())
    field = getattr((err.get("ctx") or {}).get("error"), "field", None)
    return (*loc, field) if field else loc


def line_of(root: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the parsed YAML."""
    node, line = root, getattr(getattr(root, "lc", None), "line", None)
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0]
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0]
            node = node[part]
        else:
            break
    return None if line is None else line + 1


# --- plain, NFC data --------------------------------------------------------------------------


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalars → plain Python, every string NFC."""
    if isinstance(node, dict):
        return {str(nfc(k)): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return nfc(str(node))
    return node


# --- the entry points -------------------------------------------------------------------------


_YAML_HINTS = {
    "found character '\\t'": "có ký tự Tab; thụt lề bằng dấu cách",
    "mapping values are not allowed": "dấu ':' không đúng chỗ; đặt giá trị có ':' trong ngoặc kép",
    "could not find expected ':'": "thiếu dấu ':' sau tên trường",
    "found duplicate key": "một trường được khai hai lần",
    "expected ',' or ']'": "thiếu dấu ']' đóng danh sách",
    "expected ',' or '}'": "thiếu dấu '}' đóng nhóm",
    "found unexpected end of stream": "thiếu dấu ngoặc kép đóng",
    "did not find expected key": "thụt lề không đều",
    "expected <block end>": "thụt lề không đều",
    "did not find expected '-' indicator": "thụt lề của danh sách không đều",
}


def _read(path: Path) -> tuple[Any, list[Problem]]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Problem("(tệp)", "không tìm thấy tệp", where)]
    except IsADirectoryError:
        return None, [Problem("(tệp)", "đây là một thư mục, không phải tệp YAML", where)]
    except UnicodeDecodeError:
        return None, [Problem("(tệp)", "tệp không phải văn bản UTF-8", where)]
    except OSError as e:
        return None, [Problem("(tệp)", f"không đọc được tệp ({e.strerror})", where)]
    if bound := safeyaml.problem(text, where):  # alias bombs, deep nesting: before loading
        return None, [bound]
    try:
        root = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        what = "khóa bị trùng" if "duplicate" in str(e).lower() else "cú pháp YAML sai"
        detail = (e.problem or "").strip()
        hint = next((vi for en, vi in _YAML_HINTS.items() if en in detail), detail)
        if m := re.search(r'duplicate key "([^"]*)"', detail):
            hint = f"trường '{m.group(1)}' được khai hai lần"
        return None, [Problem("(tệp)", f"{what}: {hint}", f"{where}{line}")]
    except YAMLError as e:
        detail = str(e).splitlines()[0]
        return None, [Problem("(tệp)", f"tệp không phải YAML hợp lệ ({detail})", where)]
    if root is None:
        return None, [Problem("(tệp)", "tệp rỗng", where)]
    if not isinstance(root, dict):
        return None, [
            Problem("(tệp)", "tệp phải là một nhóm trường (code:, year:, …), không phải "
                    "một danh sách hay một dòng chữ", f"{where}:1")
        ]  # fmt: skip
    return root, []


def parse_spec(path: str | Path) -> tuple[MovementSpec | None, list[Problem]]:
    """The spec and no problems, or None and every problem found."""
    path = Path(path)
    root, problems = _read(path)
    if problems:
        return None, problems

    def problem(loc: Sequence[str | int], reason: str) -> Problem:
        line = line_of(root, loc)
        return Problem(field_path(loc), reason, f"{path}:{line}" if line else str(path))

    data = plain(root)
    if bad := [problem(loc, why) for loc, why in text_problems(data)]:  # NUL, U+200B only…
        return None, _sorted(bad)
    try:
        spec = MovementSpec.model_validate(data)
    except ValidationError as e:
        found = [problem(_clean_loc(err), reason_vi(err)) for err in e.errors()]
        found += [problem(loc, reason) for loc, reason in cross_checks(*valid_parts(data))]
        return None, _sorted(found)
    found = [problem(loc, reason) for loc, reason in cross_checks(spec)]
    return (None, _sorted(found)) if found else (spec, [])


def _sorted(problems: list[Problem]) -> list[Problem]:
    def key(p: Problem) -> tuple[int, str]:
        tail = p.where.rpartition(":")[2]
        return (int(tail) if tail.isdigit() else 0, p.field)

    return sorted(problems, key=key)


def load_spec(path: str | Path) -> MovementSpec:
    """Read and validate a spec file; InvalidInput listing every problem if it is not right."""
    spec, problems = parse_spec(path)
    if spec is None:
        raise InvalidInput(f"Tệp đặc tả phong trào {path} có {len(problems)} lỗi", problems)
    return spec


def check_spec(path: str | Path) -> list[Problem]:
    """Every problem of a spec file; empty when it is fine."""
    return parse_spec(path)[1]


def locate(path: str | Path, problems: list[Problem]) -> list[Problem]:
    """Problems found later (store_spec: an unknown block, a code already used) with the
    file and line of their field, like those of check_spec."""
    root, unreadable = _read(Path(path))
    if unreadable:
        return problems
    out = []
    for p in problems:
        loc = [int(x) if x.isdigit() else x for x in re.findall(r"[^.\[\]]+", p.field)]
        line = None if p.where else line_of(root, loc)
        out.append(Problem(p.field, p.reason, f"{path}:{line}") if line else p)
    return out


def deadline_label(kind: str, label: str | None, one_period_year: int | None = None) -> str:
    """The label given, else the kind's; a one-period movement's report is the year's."""
    if label:
        return label
    if one_period_year and kind == "period_1_report":
        return f"Hạn gửi báo cáo kết quả năm {one_period_year}"
    return DEADLINE_LABELS[kind]
