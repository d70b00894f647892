"""Click's and Typer's own words (Usage, Options, Missing argument…) in Vietnamese.

The catalogue is a gettext one, shipped in the package: thidua/locale/vi/LC_MESSAGES/click.po,
compiled to click.mo beside it (`msgfmt -o click.mo click.po` after editing). Click wraps its
words in gettext, and the modules that still do (typer.core) get the catalogue's gettext. Typer
0.29 carries its own copy of Click (typer._click) whose messages are plain f-strings; for those
the catalogue's msgids are templates ("Missing argument {param_hint}.") matched against the
finished English message, and the few places that print them are wrapped here.

Vietnamese whatever the machine's locale, as the rest of the interface is."""

import gettext
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_FIELD = re.compile(r"\{(\w+)(?:![rs])?\}")


@cache
def catalogue() -> gettext.NullTranslations:
    return gettext.translation("click", LOCALE_DIR, languages=["vi"], fallback=True)


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Every msgid with fields, as a pattern; the longest first so that the most specific
    template wins."""
    entries = getattr(catalogue(), "_catalog", {})
    out = []
    for msgid, msgstr in entries.items():
        if not isinstance(msgid, str) or not msgid or not _FIELD.search(msgid):
            continue
        pattern, pos = "", 0
        for m in _FIELD.finditer(msgid):
            pattern += re.escape(msgid[pos : m.start()]) + f"(?P<{m.group(1)}>.+?)"
            pos = m.end()
        pattern += re.escape(msgid[pos:])
        out.append((re.compile(pattern, re.DOTALL), _FIELD.sub(r"{\1}", msgstr)))
    return sorted(out, key=lambda t: -len(t[0].pattern))


def vi(text: str) -> str:
    """The Vietnamese of one of Click's finished messages; the message itself if unknown."""
    direct = catalogue().gettext(text)
    if direct != text:
        return direct
    for pattern, msgstr in _templates():
        m = pattern.fullmatch(text)
        if m:
            return msgstr.format(**{k: vi(v) for k, v in m.groupdict().items()})
    return text


def install() -> None:
    t = catalogue()
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("click", "typer")):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module.__dict__["_"] = t.gettext
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.__dict__["ngettext"] = t.ngettext
    _wrap_typer_click()


def _wrap_typer_click() -> None:
    try:
        from typer._click import core, exceptions, formatting
        from typer._click.utils import echo
    except ImportError:  # another Typer: Click's gettext above is all there is
        return
    if getattr(formatting.HelpFormatter, "_thidua_vi", False):
        return

    write_usage = formatting.HelpFormatter.write_usage

    def usage_vi(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, f"{vi('Usage:')} " if prefix is None else prefix)

    def show_vi(self, file: Any = None) -> None:
        from typer._click._compat import get_text_stderr

        file = file or get_text_stderr()
        ctx = getattr(self, "ctx", None)
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = vi(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.") + "\n"
            echo(f"{ctx.get_usage()}\n{hint}", file=file, color=ctx.color)
        echo(vi(f"Error: {vi(self.format_message())}"), file=file)

    get_help_option = core.Command.get_help_option

    def help_option_vi(self, ctx):
        option = get_help_option(self, ctx)
        if option is not None and option.help:
            option.help = vi(option.help)
        return option

    # Click's own methods replaced in place, which a type checker rightly does not expect
    for owner, name, value in (
        (formatting.HelpFormatter, "write_usage", usage_vi),
        (formatting.HelpFormatter, "_thidua_vi", True),
        (exceptions.ClickException, "show", show_vi),
        (exceptions.UsageError, "show", show_vi),
        (core.Command, "get_help_option", help_option_vi),
    ):
        setattr(owner, name, value)
