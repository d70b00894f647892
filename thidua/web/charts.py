"""PNG charts for the admin's dashboard, rendered on the server (matplotlib, Agg): progress
by target (the reports' own chart) and progress by unit."""

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

MAX_BARS = 30  # the table beside the chart has every row


def units_chart(rows: list[tuple[str, float]]) -> bytes:
    """Horizontal bars: the share of targets each unit has reported (%), lowest first."""
    rows = sorted(rows, key=lambda r: r[1])[:MAX_BARS]
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6.3, 0.38 * max(len(rows), 1) + 1.0))
        if rows:
            labels = ["\n".join(textwrap.wrap(name, 40)[:2]) for name, _ in rows][::-1]
            values = [v for _, v in rows][::-1]
            colors = ["#2e7d32" if v >= 100 else "#ef6c00" if v > 0 else "#c62828" for v in values]
            bars = ax.barh(labels, values, color=colors, height=0.6)
            for bar, v in zip(bars, values, strict=True):
                ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                        f"{v:.0f}%", va="center", fontsize=8)  # fmt: skip
        else:
            ax.text(0.5, 0.5, "Chưa có đơn vị nào", ha="center", va="center")
        ax.set_xlim(0, 118)
        ax.set_xlabel("Tỷ lệ chỉ tiêu đã báo cáo (%) — đơn vị chậm nhất ở trên")
        ax.spines[["top", "right"]].set_visible(False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()


def empty_chart(text: str) -> bytes:
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6.3, 1.2))
        ax.text(0.5, 0.5, text, ha="center", va="center")
        ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()
