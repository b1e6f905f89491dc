"""Charts for the HTML report: matplotlib figures rendered to inline SVG text (offline, deterministic)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "conduct-check", "font.size": 9,
                            "axes.spines.top": False, "axes.spines.right": False})
COLORS = {"block": "#c0392b", "review": "#e67e22", "advisory": "#2980b9"}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return _PROLOGUE.sub("", buf.getvalue())


def bar_chart(data: dict[str, int], title: str, colors: dict[str, str] | None = None, limit: int = 15) -> str:
    """A horizontal bar chart of counts (largest first), as SVG."""
    items = list(data.items())[:limit]
    fig, ax = plt.subplots(figsize=(5.2, 0.35 * max(len(items), 2) + 0.9))
    labels = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(labels, values, color=[(colors or {}).get(k, "#34495e") for k in labels])
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,}", va="center")
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_xlabel("findings")
    if not items:
        ax.text(0.5, 0.5, "no findings", ha="center", va="center", transform=ax.transAxes)
    return _svg(fig)


def time_chart(by_month: dict[str, int], title: str) -> str:
    """Findings per month by the records' own dates, as SVG."""
    fig, ax = plt.subplots(figsize=(10.4, 2.6))
    months = list(by_month)
    ax.bar(range(len(months)), list(by_month.values()), color="#16a085")
    step = max(1, len(months) // 18)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right")
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("findings")
    if not months:
        ax.text(0.5, 0.5, "no findings", ha="center", va="center", transform=ax.transAxes)
    return _svg(fig)
