"""Charts for the reports: progress against each target, the ranking of a block.

matplotlib with the Agg backend (no display); DejaVu Sans, which ships with matplotlib, has
every Vietnamese diacritic. Each chart is a PNG wrapped as an Image for the templates."""

import io
import textwrap
from decimal import Decimal

from thidua import vn
from thidua.documents.render import Image

_STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "thidua"}
_MAX_BARS = 30  # beyond this a chart stops being readable; the table has every row


def _plt():
    """matplotlib on first use: importing it takes a second, and most stage runs draw nothing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


DPI = 110  # sharp when printed at the width the documents give them (150–155 mm)


def _png(fig) -> bytes:
    """The figure as a palette PNG: bars and text need a few dozen colours, and a full-colour
    PNG is four times the size — a report of 40 blocks goes by email to every unit head."""
    from PIL import Image as Pil

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    image = Pil.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=64)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _wrap(label: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(label, width)[:3])


def progress_chart(
    items: list[tuple[str, Decimal]], expected: Decimal | None = None, width_mm: float = 155
) -> Image | None:
    """Horizontal bars: % of plan reached per target, with the 100% line, and before the end
    the share of time gone by (a bar short of it is behind schedule)."""
    if not items:
        return None
    items = items[:_MAX_BARS]
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.3, 0.55 * len(items) + 0.9))
        labels = [_wrap(label) for label, _ in items][::-1]
        values = [float(v) for _, v in items][::-1]
        goal = float(expected) if expected is not None else 100.0
        colors = ["#2e7d32" if v >= goal else "#c62828" for v in values]
        bars = ax.barh(labels, values, color=colors, height=0.6)
        ax.axvline(100, color="#333333", linewidth=1, linestyle="--")
        if expected is not None:
            ax.axvline(goal, color="#ef6c00", linewidth=1.2, linestyle=":")
            ax.text(
                goal,
                len(values) - 0.45,
                f" tiến độ {vn.percent(expected, 1)}",
                color="#ef6c00",
                fontsize=7,
                va="bottom",
            )
        top = max([*values, 100.0]) * 1.18
        ax.set_xlim(0, top)
        for bar, v in zip(bars, values, strict=True):
            ax.text(
                bar.get_width() + top * 0.01,
                bar.get_y() + bar.get_height() / 2,
                vn.percent(Decimal(str(v)), 1),
                va="center",
                fontsize=8,
            )
        ax.set_xlabel("Tỷ lệ thực hiện so với kế hoạch (%)")
        ax.spines[["top", "right"]].set_visible(False)
        return Image(_png(fig), width_mm)


def ranking_chart(
    block_name: str, ranks: list[tuple[str, Decimal, bool]], width_mm: float = 150
) -> Image | None:
    """Scores of a block's units in rank order; the flag proposal in a darker colour."""
    if not ranks:
        return None
    ranks = ranks[:_MAX_BARS]
    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.3, 0.42 * len(ranks) + 1.0))
        labels = [_wrap(name, 34) for name, _, _ in ranks][::-1]
        values = [float(v) for _, v, _ in ranks][::-1]
        colors = ["#b71c1c" if flag else "#1565c0" for _, _, flag in ranks][::-1]
        bars = ax.barh(labels, values, color=colors, height=0.6)
        top = max(values) * 1.15 if max(values) > 0 else 1
        ax.set_xlim(0, top)
        for bar, v in zip(bars, values, strict=True):
            ax.text(
                bar.get_width() + top * 0.01,
                bar.get_y() + bar.get_height() / 2,
                vn.number(Decimal(str(v)), 1),
                va="center",
                fontsize=8,
            )
        ax.set_title(_wrap(block_name, 70), fontsize=10)
        ax.set_xlabel("Tổng điểm")
        ax.spines[["top", "right"]].set_visible(False)
        return Image(_png(fig), width_mm)
