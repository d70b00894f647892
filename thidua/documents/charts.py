"""Charts for the reports: progress against each target, the ranking of a block.

matplotlib with the Agg backend (no display); DejaVu Sans, which ships with matplotlib, has
every Vietnamese diacritic. Each chart is a PNG wrapped as an Image for the templates."""

import io
import textwrap
from decimal import Decimal
from functools import cache

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
    """Scores of a block's units in rank order; the flag proposal in a darker colour.

    Drawn directly (Pillow, the same DejaVu Sans), not through matplotlib: a province's final
    report has a chart for each of its 40 blocks, and matplotlib's text layout made them most
    of the tally's time. Same layout as the progress chart: labels left, bars, value at the
    bar's end, an axis of whole steps below."""
    if not ranks:
        return None
    from PIL import Image as Pil
    from PIL import ImageDraw

    ranks = ranks[:_MAX_BARS]
    px = DPI / 72  # pixels per point
    body, small, head = _font(9 * px), _font(8 * px), _font(10 * px)
    labels = [_wrap(name, 34).split("\n") for name, _, _ in ranks]
    line_h = round(11 * px)
    row_h = max(round(0.42 * DPI), line_h * max(len(lines) for lines in labels) + 4)
    title = _wrap(block_name, 70).split("\n")
    width = round(6.3 * DPI)
    left = 8 + max(round(body.getlength(line)) for lines in labels for line in lines) + 8
    top = 10 + line_h * len(title) + 10
    height = top + row_h * len(ranks) + round(3.2 * line_h)
    right = width - round(1.0 * DPI)  # room for the value after the longest bar
    values = [float(v) for _, v, _ in ranks]
    scale = _axis_top(max(values))
    img = Pil.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    ink = (0, 0, 0)
    for k, line in enumerate(title):
        draw.text((width / 2, 10 + k * line_h), line, font=head, fill=ink, anchor="ma")
    for row, ((_, value, flag), lines) in enumerate(zip(ranks, labels, strict=True)):
        y = top + row * row_h
        mid = y + row_h / 2
        for k, line in enumerate(lines):
            ly = mid + (k - (len(lines) - 1) / 2) * line_h
            draw.text((left - 8, ly), line, font=body, fill=ink, anchor="rm")
        end = left + (right - left) * float(value) / scale
        color = "#b71c1c" if flag else "#1565c0"
        draw.rectangle((left, mid - row_h * 0.3, max(left + 1, end), mid + row_h * 0.3), fill=color)
        draw.text((end + 4, mid), vn.number(value, 1), font=small, fill=ink, anchor="lm")
    base = top + row_h * len(ranks)
    draw.line((left, top - 4, left, base), fill=ink, width=1)
    draw.line((left, base, right, base), fill=ink, width=1)
    step = _step(scale)
    tick = 0.0
    while tick <= scale + 1e-9:
        x = left + (right - left) * tick / scale
        draw.line((x, base, x, base + 4), fill=ink, width=1)
        draw.text((x, base + 6), vn.number(Decimal(str(tick)), 0), font=body, fill=ink, anchor="ma")
        tick += step
    draw.text(((left + right) / 2, base + 6 + line_h * 1.4), "Tổng điểm", font=body, fill=ink,
              anchor="ma")  # fmt: skip
    out = io.BytesIO()
    img.quantize(colors=64).save(out, format="PNG")
    return Image(out.getvalue(), width_mm)


def _axis_top(largest: float) -> float:
    """The axis's end: 15% past the largest score, at a whole step."""
    if largest <= 0:
        return 1.0
    step = _step(largest * 1.15)
    return step * -(-largest * 1.15 // step)


def _step(span: float) -> float:
    """A round tick step giving four to ten ticks over `span` (1, 2 or 5 × a power of ten)."""
    import math

    raw = span / 6
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


@cache
def _font(size: float):
    """DejaVu Sans as matplotlib ships it (every Vietnamese diacritic), at `size` pixels."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), round(size))
