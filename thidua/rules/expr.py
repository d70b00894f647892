"""A small, safe expression language for rule criteria and messages.

An expression is parsed with Python's `ast` and checked node by node against a short list of
what is allowed: literals, lists, names of declared facts, calls of known functions with
literal arguments of the right kind, comparisons, `and`/`or`/`not`, arithmetic and
`a if cond else b`. Anything else (attributes, subscripts, lambdas, comprehensions, keyword
arguments, unknown names…) is refused when the rule set is loaded, naming it. The checked tree
is compiled into nested closures: nothing is ever passed to `eval`.
"""

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# What a function's literal argument must be: a title code, a discipline level, an initiative
# level, a fact name, or a positive whole number.
ARG_TITLE, ARG_DISCIPLINE, ARG_LEVEL, ARG_FACT, ARG_INT, ARG_ANY = (
    "title",
    "discipline",
    "level",
    "fact",
    "int",
    "any",
)


@dataclass(frozen=True)
class FunctionSpec:
    args: tuple[str, ...]
    doc: str


# The functions a criterion may call. Their meaning is implemented in thidua.rules.context.
FUNCTIONS: dict[str, FunctionSpec] = {
    "consecutive_years": FunctionSpec(
        (ARG_TITLE,),
        "số năm liên tục gần nhất đạt danh hiệu (tính cả năm xét nếu cùng được đề nghị)",
    ),
    "streak_years": FunctionSpec((ARG_TITLE,), "các năm liên tục gần nhất đạt danh hiệu"),
    "years_with": FunctionSpec((ARG_TITLE,), "mọi năm đã đạt danh hiệu"),
    "times_in_last": FunctionSpec(
        (ARG_TITLE, ARG_INT), "số lần đạt danh hiệu trong n năm gần nhất"
    ),
    "meets": FunctionSpec((ARG_TITLE,), "đối tượng đạt các tiêu chuẩn của danh hiệu khác"),
    "why": FunctionSpec((ARG_TITLE,), "lý do đối tượng chưa đạt tiêu chuẩn của danh hiệu khác"),
    "initiatives": FunctionSpec((ARG_LEVEL,), "số sáng kiến được công nhận từ cấp này trở lên"),
    "discipline_at_least": FunctionSpec((ARG_DISCIPLINE,), "bị kỷ luật từ mức này trở lên"),
    "members": FunctionSpec((), "số thành viên của tập thể"),
    "member_count": FunctionSpec((ARG_TITLE,), "số thành viên đạt danh hiệu trong năm"),
    "member_ratio": FunctionSpec((ARG_TITLE,), "tỷ lệ thành viên đạt danh hiệu (0..1)"),
    "members_disciplined": FunctionSpec((ARG_DISCIPLINE,), "số thành viên bị kỷ luật từ mức này"),
    "block_rank": FunctionSpec((), "thứ hạng của tập thể trong khối thi đua (không có: 0)"),
    "label": FunctionSpec((ARG_ANY,), "tên tiếng Việt của một mã (danh hiệu, xếp loại…)"),
    "pct": FunctionSpec((ARG_ANY,), "viết một tỷ lệ 0..1 thành phần trăm: 0,455 → 45,5%"),
    "years": FunctionSpec((ARG_ANY,), "viết danh sách năm: 2023, 2024 (không có: 'không năm nào')"),
    "count": FunctionSpec((ARG_ANY,), "số phần tử của một danh sách"),
}

BUILTIN_NAMES = {"year": "năm xét khen thưởng", "subject_kind": "individual | collective"}


def _numeric(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Arithmetic on numbers only: no list or text repetition ("a" * 10**9) at run time."""

    def run(a: Any, b: Any) -> Any:
        for x in (a, b):
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise TypeError(f"phép tính chỉ dùng với số, không dùng với {x!r}")
        return op(a, b)

    return run


_BIN = {
    ast.Add: _numeric(operator.add),
    ast.Sub: _numeric(operator.sub),
    ast.Mult: _numeric(operator.mul),
    ast.Div: _numeric(operator.truediv),
}
MAX_LENGTH = 1000  # characters in one expression
_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_NODE_NAMES = {
    "Attribute": "truy cập thuộc tính (dấu chấm)",
    "Subscript": "lấy phần tử bằng [ ]",
    "Lambda": "lambda",
    "ListComp": "list comprehension",
    "GeneratorExp": "generator",
    "DictComp": "dict comprehension",
    "SetComp": "set comprehension",
    "Dict": "dict",
    "Set": "set",
    "NamedExpr": "phép gán :=",
    "Starred": "toán tử *",
    "JoinedStr": "f-string",
    "Await": "await",
    "Yield": "yield",
}

Evaluator = Callable[[Any], Any]


class ExprError(ValueError):
    """An expression that is not allowed; the message (Vietnamese) names what and why."""


@dataclass(frozen=True)
class Vocabulary:
    """What names and literal arguments an expression of this rule set may use."""

    facts: frozenset[str]
    titles: frozenset[str]
    disciplines: frozenset[str]
    levels: frozenset[str]


@dataclass(frozen=True)
class Compiled:
    source: str
    run: Evaluator  # run(ctx) -> value; ctx provides .fact(name) and .call(name, args)
    facts: frozenset[str]  # facts it reads
    titles: frozenset[str]  # titles its functions refer to
    calls: frozenset[str] = frozenset()  # functions it calls


def compile_expr(source: str, vocab: Vocabulary) -> Compiled:
    if len(source) > MAX_LENGTH:
        raise ExprError(f"biểu thức dài quá {MAX_LENGTH} ký tự")
    facts: set[str] = set()
    titles: set[str] = set()
    try:
        tree = ast.parse(source.strip(), mode="eval")
        run = _compile(tree.body, vocab, facts, titles)
    except SyntaxError as e:
        raise ExprError(f"biểu thức sai cú pháp: {e.msg} (cột {e.offset})") from None
    except (RecursionError, MemoryError):
        raise ExprError("biểu thức lồng nhau quá sâu") from None
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return Compiled(source, run, frozenset(facts), frozenset(titles), frozenset(calls))


def any_of(parts: list[Compiled]) -> Compiled:
    """A criterion met when any one of its alternatives is ("đạt một trong các tiêu chuẩn").

    An alternative that cannot be checked (a fact missing or malformed) counts as not met, so
    another alternative can still carry the criterion; when none is met and one could not be
    checked, that first error is raised, since supplying the fact may change the answer."""

    def run(ctx: Any) -> bool:
        error: Exception | None = None
        for part in parts:
            try:
                if part.run(ctx):
                    return True
            except Exception as e:  # re-raised below when no alternative is met
                error = error or e
        if error is not None:
            raise error
        return False

    return Compiled(
        source=" hoặc ".join(f"({p.source})" for p in parts),
        run=run,
        facts=frozenset().union(*(p.facts for p in parts)),
        titles=frozenset().union(*(p.titles for p in parts)),
        calls=frozenset().union(*(p.calls for p in parts)),
    )


def _refuse(node: ast.AST) -> ExprError:
    kind = type(node).__name__
    what = _NODE_NAMES.get(kind, kind)
    return ExprError(f"không được dùng {what} trong biểu thức")


def _compile(node: ast.AST, vocab: Vocabulary, facts: set[str], titles: set[str]) -> Evaluator:
    def sub(n: ast.AST) -> Evaluator:
        return _compile(n, vocab, facts, titles)

    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool | type(None)):
            raise _refuse(node)
        value = node.value
        return lambda ctx: value
    if isinstance(node, ast.List | ast.Tuple):
        items = [sub(e) for e in node.elts]
        return lambda ctx: [f(ctx) for f in items]
    if isinstance(node, ast.Name):
        name = node.id
        if name in {"true", "false"}:  # YAML's spelling, which offices will type
            flag = name == "true"
            return lambda ctx: flag
        if name in BUILTIN_NAMES:
            return lambda ctx: ctx.builtin(name)
        if name not in vocab.facts:
            known = ", ".join(sorted(vocab.facts | set(BUILTIN_NAMES)))
            raise ExprError(f"tên '{name}' không phải là dữ kiện đã khai báo (có: {known})")
        facts.add(name)
        return lambda ctx: ctx.fact(name)
    if isinstance(node, ast.BoolOp):
        parts = [sub(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda ctx: all(p(ctx) for p in parts)
        return lambda ctx: any(p(ctx) for p in parts)
    if isinstance(node, ast.UnaryOp):
        operand = sub(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda ctx: not operand(ctx)
        if isinstance(node.op, ast.USub):
            negate = _numeric(lambda _, b: -b)
            return lambda ctx: negate(0, operand(ctx))
        if isinstance(node.op, ast.UAdd):
            return operand
        raise _refuse(node.op)
    if isinstance(node, ast.BinOp):
        op = _BIN.get(type(node.op))
        if op is None:
            raise ExprError(f"không được dùng phép toán {type(node.op).__name__} trong biểu thức")
        left, right = sub(node.left), sub(node.right)
        return lambda ctx: op(left(ctx), right(ctx))
    if isinstance(node, ast.Compare):
        first = sub(node.left)
        ops = [_CMP[type(o)] for o in node.ops if type(o) in _CMP]
        if len(ops) != len(node.ops):
            raise ExprError("chỉ được so sánh bằng ==, !=, <, <=, >, >=, in, not in")
        rest = [sub(c) for c in node.comparators]

        def compare(ctx: Any) -> bool:
            a = first(ctx)
            for o, f in zip(ops, rest, strict=True):
                b = f(ctx)
                if not o(a, b):
                    return False
                a = b
            return True

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = sub(node.test), sub(node.body), sub(node.orelse)
        return lambda ctx: body(ctx) if test(ctx) else orelse(ctx)
    if isinstance(node, ast.Call):
        return _compile_call(node, vocab, facts, titles, sub)
    raise _refuse(node)


def _compile_call(
    node: ast.Call,
    vocab: Vocabulary,
    facts: set[str],
    titles: set[str],
    sub: Callable[[ast.AST], Evaluator],
) -> Evaluator:
    if not isinstance(node.func, ast.Name):
        raise ExprError('chỉ được gọi hàm bằng tên, ví dụ consecutive_years("CSTDCS")')
    name = node.func.id
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise ExprError(f"hàm '{name}' không có (có: {', '.join(sorted(FUNCTIONS))})")
    if node.keywords:
        raise ExprError(f"hàm '{name}' không nhận tham số có tên")
    if len(node.args) != len(spec.args):
        raise ExprError(f"hàm '{name}' cần {len(spec.args)} tham số, có {len(node.args)}")
    literal: list[Any] = []
    for kind, arg in zip(spec.args, node.args, strict=True):
        if kind == ARG_ANY:
            literal.append(sub(arg))
            continue
        if not isinstance(arg, ast.Constant):
            raise ExprError(f"tham số của hàm '{name}' phải là một giá trị viết sẵn")
        value = arg.value
        _check_literal(name, kind, value, vocab)
        if kind == ARG_TITLE and isinstance(value, str):  # a title code, checked just above
            titles.add(value)
        literal.append(value)
    if spec.args and spec.args[0] == ARG_ANY:
        arg_fn = literal[0]
        return lambda ctx: ctx.call(name, (arg_fn(ctx),))
    args = tuple(literal)
    return lambda ctx: ctx.call(name, args)


def _check_literal(fname: str, kind: str, value: Any, vocab: Vocabulary) -> None:
    allowed: frozenset[str] | None = {
        ARG_TITLE: vocab.titles,
        ARG_DISCIPLINE: vocab.disciplines,
        ARG_LEVEL: vocab.levels,
        ARG_FACT: vocab.facts,
    }.get(kind)
    if kind == ARG_INT:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ExprError(f"tham số của hàm '{fname}' phải là số nguyên dương")
        return
    if allowed is not None and value not in allowed:
        what = {
            ARG_TITLE: "mã danh hiệu",
            ARG_DISCIPLINE: "mức kỷ luật",
            ARG_LEVEL: "cấp sáng kiến",
            ARG_FACT: "dữ kiện",
        }[kind]
        raise ExprError(
            f"hàm '{fname}': {what} '{value}' không có (có: {', '.join(sorted(allowed))})"
        )
