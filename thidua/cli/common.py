"""What the step commands share: the actor option, KEY=VALUE options, printing a step's answer.
Only typer at the top, as every command module (thidua --help stays fast)."""

from pathlib import Path
from typing import Annotated

import typer

By = Annotated[
    str,
    typer.Option("--by", help="Người thực hiện: tên đăng nhập hoặc mã cán bộ (ghi vào nhật ký)"),
]


def pairs(items: list[str] | None, option: str) -> dict[str, str]:
    """ "KEY=VALUE" options as a dict; a malformed one is a Vietnamese refusal naming it."""
    from thidua.errors import InvalidInput, Problem

    out: dict[str, str] = {}
    bad = []
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            bad.append(Problem(option, f"'{item}' phải viết dạng MÃ=GIÁ_TRỊ"))
        else:
            out[key.strip()] = value.strip()
    if bad:
        raise InvalidInput("Tham số không hợp lệ", bad)
    return out


def say(done) -> None:
    """A step's answer: its sentence (yellow when it changed nothing, as it was done before)."""
    typer.secho(str(done), fg=None if getattr(done, "changed", True) else typer.colors.YELLOW)


def xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        from thidua.errors import InvalidInput, Problem

        raise InvalidInput("Tệp không hợp lệ", [Problem(str(path), "tên tệp phải có đuôi .xlsx")])
    return path
