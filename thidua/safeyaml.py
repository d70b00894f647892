"""Bounds on a YAML text, checked on the parser's event stream before anything is built.

A few hundred bytes of anchors and aliases can stand for billions of nodes (an "alias bomb"),
and thousands of nested brackets exhaust the recursion of the loaders. The event stream is
read without building anything (the parser keeps an explicit stack, no recursion), counting
the nodes each alias stands for, so such a text is refused in milliseconds with the line
where the limit was crossed. A spec or a rule set of a real office is far inside the bounds.
"""

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)

from thidua.errors import InvalidInput, Problem

MAX_DEPTH = 40  # nested groups and lists; the deepest shipped spec uses 6
MAX_NODES = 200_000  # values once every alias is expanded; a large spec has ~3,000
MAX_ALIASES = 1_000


def problem(text: str, where: str) -> Problem | None:
    """Why `text` is refused before it is loaded, or None. Syntax errors are left to the
    loader, which reports them with its own wording."""
    if deep := _bracket_depth(text):  # the scanner reads a run of '[' whole, in O(n²)
        return Problem("(tệp)", f"lồng nhau quá {MAX_DEPTH} cấp", f"{where}:{deep}")
    sizes: dict[str, int] = {}
    stack: list[list] = []  # [anchor, nodes so far, is a group, children] of each open one
    aliases = 0
    try:
        for ev in YAML(typ="rt").parse(text):
            line = f"{where}:{ev.start_mark.line + 1}" if ev.start_mark else where
            at_key = bool(stack) and stack[-1][2] and stack[-1][3] % 2 == 0
            if isinstance(ev, CollectionStartEvent):
                if at_key:
                    return Problem("(tệp)", "tên trường phải là một chữ, không phải nhóm", line)
                if len(stack) >= MAX_DEPTH:
                    return Problem(
                        "(tệp)", f"lồng nhau quá {MAX_DEPTH} cấp: tệp không thể là một kế hoạch "
                        "hay bộ quy tắc", line,
                    )  # fmt: skip
                stack.append([ev.anchor, 1, isinstance(ev, MappingStartEvent), 0])
                continue
            if isinstance(ev, CollectionEndEvent):
                anchor, size = stack.pop()[:2]
            elif isinstance(ev, ScalarEvent):
                anchor, size = ev.anchor, 1
            elif isinstance(ev, AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    return Problem("(tệp)", f"dùng quá {MAX_ALIASES} tham chiếu (*bí-danh)", line)
                anchor, size = None, sizes.get(ev.anchor, 1)
                if at_key and size > 1:
                    return Problem("(tệp)", "tên trường phải là một chữ, không phải nhóm", line)
            else:
                continue
            if anchor:
                sizes[anchor] = size
            if stack:
                stack[-1][1] += size
                stack[-1][3] += 1
            if size > MAX_NODES or (stack and stack[-1][1] > MAX_NODES):
                return Problem(
                    "(tệp)", f"các tham chiếu (&neo / *bí-danh) bung ra quá {MAX_NODES:,} giá "
                    "trị".replace(",", "."), line,
                )  # fmt: skip
    except YAMLError:
        return None  # the loader says what is wrong, and where
    except RecursionError:
        return Problem("(tệp)", f"lồng nhau quá {MAX_DEPTH} cấp", where)
    return None


def _bracket_depth(text: str) -> int:
    """The line where '[' and '{' nest deeper than MAX_DEPTH, or 0. Counts brackets inside
    quotes too: an office's text never nests forty of them."""
    depth, line = 0, 1
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "\n":
            line += 1
    return 0


def checked(text: str, where: str, title: str) -> str:
    """`text` if within bounds; otherwise InvalidInput(title) naming the line and the limit."""
    if p := problem(text, where):
        raise InvalidInput(title, [p])
    return text
