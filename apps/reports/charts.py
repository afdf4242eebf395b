"""Charts of the reports page, drawn on the server as SVG with matplotlib (no script, no
CDN), in shades and marker shapes that stay readable when printed in black and white.

Nothing to draw is no chart (None): empty axes read as a broken page or as zero, so the
page says in words that nothing was recorded.

matplotlib is imported when a chart is drawn, not when the site starts: a web process
that only serves exports and other pages never carries it (about 25 MiB)."""

import io
import itertools
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from apps.reports.selectors import TIMEPOINT_LABELS, TIMEPOINTS, MeanPain, Rate

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

# Text stays text (selectable, sharp in print); fixed ids make the same data draw the same SVG.
_STYLE: "dict[RcKeyType, Any]" = {
    "svg.fonttype": "none",
    # Product and lot names are drawn as typed: "$5$" is not mathtext, nor "\alpha" a symbol.
    "text.parse_math": False,
    "svg.hashsalt": "exotrack-reports",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_SHADES = ("#1f1f1f", "#5a5a5a", "#8c8c8c", "#3b6ea5", "#b35c1e", "#2e7d4f", "#7b4f9d")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_LINES = ("-", "--", ":", "-.")
MOST_LOTS = 15


def _style() -> AbstractContextManager:
    from matplotlib import rc_context

    return rc_context(_STYLE)


def _svg(figure: "Figure") -> str:
    buffer = io.StringIO()
    with _style():
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    # Inline in the page: drop the XML prolog and doctype, keep the <svg> element.
    return text[text.index("<svg") :]


def _figure(height: float) -> "Figure":
    from matplotlib.figure import Figure

    with _style():
        return Figure(figsize=(7.5, height), layout="constrained")


def mean_pain_chart(points: list[MeanPain]) -> str | None:
    """Mean pain (0-10) at each timepoint, one line per site category, 95 % intervals."""
    if not points:
        return None
    with _style():
        figure = _figure(3.6)
        axes = figure.subplots()
        categories = sorted({p.category for p in points})
        styles = zip(itertools.cycle(_SHADES), itertools.cycle(_MARKERS), itertools.cycle(_LINES))
        for category, (shade, marker, line) in zip(categories, styles, strict=False):
            own = [p for p in points if p.category == category]
            xs = [TIMEPOINTS.index(p.timepoint) for p in own]
            means = [p.mean for p in own]
            below = [p.mean - p.low if p.low is not None else 0 for p in own]
            above = [p.high - p.mean if p.high is not None else 0 for p in own]
            axes.errorbar(
                xs,
                means,
                yerr=[below, above],
                label=category,
                color=shade,
                marker=marker,
                linestyle=line,
                capsize=3,
            )
        axes.set_xticks(range(len(TIMEPOINTS)), [TIMEPOINT_LABELS[t] for t in TIMEPOINTS])
        axes.set_ylim(0, 10)
        axes.set_ylabel("Mean pain (0-10)")
        axes.legend(title="Site category", frameon=False)
        return _svg(figure)


def rate_chart(rates: list[Rate], *, axis_label: str) -> str | None:
    """Horizontal bars of a rate (percent) with their 95 % intervals."""
    if not rates:
        return None
    with _style():
        figure = _figure(0.8 + 0.32 * len(rates))
        axes = figure.subplots()
        labels = [f"{r.label} (n={r.n})" for r in rates]
        percents = [100 * r.rate for r in rates]
        errors = [
            [100 * (r.rate - r.low) for r in rates],
            [100 * (r.high - r.rate) for r in rates],
        ]
        axes.barh(labels, percents, xerr=errors, color="#8c8c8c", edgecolor="#1f1f1f", capsize=3)
        axes.invert_yaxis()
        # Adverse-event rates are a few percent: the scale follows the widest interval.
        axes.set_xlim(0, min(100.0, 1.1 * max(100 * r.high for r in rates)))
        axes.set_xlabel(axis_label)
        return _svg(figure)


def lots_to_chart(rates: list[Rate]) -> list[Rate]:
    """The lots with the highest adverse-event rates (ties: the most doses first)."""
    return sorted(rates, key=lambda r: (-r.rate, -r.n, r.label))[:MOST_LOTS]
