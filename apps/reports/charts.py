"""Charts of the reports page, written as SVG on the server (no script, no CDN), in
shades, marker shapes and dash patterns that stay readable when printed in black and
white.

The SVG is written directly rather than drawn with matplotlib: the four charts took
matplotlib about a second of CPU per page (text measured, layout solved twice), more
than the figures themselves; here they take about a millisecond. Labels are escaped
text, drawn as typed ("$5$" is no formula). Label widths are estimated from their
length, which is all a bar label needs.

Nothing to draw is no chart (None): empty axes read as a broken page or as zero, so the
page says in words that nothing was recorded."""

import itertools
import math
from html import escape

from apps.reports.selectors import TIMEPOINT_LABELS, TIMEPOINTS, MeanPain, Rate

_SHADES = ("#1f1f1f", "#5a5a5a", "#8c8c8c", "#3b6ea5", "#b35c1e", "#2e7d4f", "#7b4f9d")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_DASHES = ("", "6 3", "2 2", "6 2 2 2")
MOST_LOTS = 15
WIDTH = 720
FONT_PX = 12
# Average advance of a character of a sans-serif face, in ems: label widths from length.
_CHAR_EM = 0.56
_GREY_TEXT = "#1f1f1f"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_number(height)}" '
        f'width="{WIDTH}" height="{_number(height)}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="{FONT_PX}" fill="{_GREY_TEXT}">'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = _GREY_TEXT) -> str:
    return (
        f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}" '
        f'stroke="{stroke}"/>'
    )


def _marker(shape: str, x: float, y: float, shade: str) -> str:
    r = 4.0
    points = {
        "^": [(x, y - r), (x + r, y + r), (x - r, y + r)],
        "v": [(x - r, y - r), (x + r, y - r), (x, y + r)],
        "D": [(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
    }
    if shape == "o":
        return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{r}" fill="{shade}"/>'
    if shape == "s":
        return (
            f'<rect x="{_number(x - r)}" y="{_number(y - r)}" width="{2 * r}" '
            f'height="{2 * r}" fill="{shade}"/>'
        )
    if shape in points:
        corners = " ".join(f"{_number(px)},{_number(py)}" for px, py in points[shape])
        return f'<polygon points="{corners}" fill="{shade}"/>'
    # "P" (plus) and "X" (cross): two strokes.
    d = r if shape == "P" else r * 0.8
    strokes = [(-d, 0, d, 0), (0, -d, 0, d)] if shape == "P" else [(-d, -d, d, d), (-d, d, d, -d)]
    return "".join(
        f'<line x1="{_number(x + a)}" y1="{_number(y + b)}" x2="{_number(x + c)}" '
        f'y2="{_number(y + e)}" stroke="{shade}" stroke-width="2.5"/>'
        for a, b, c, e in strokes
    )


def _text_width(text: str) -> float:
    return len(text) * _CHAR_EM * FONT_PX


def _ticks(most: float) -> list[float]:
    """About five round ticks from 0 to at least `most`."""
    raw = most / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * f for f in (1, 2, 2.5, 5, 10) if power * f >= raw)
    return [step * i for i in range(math.ceil(most / step - 1e-9) + 1)]


def mean_pain_chart(points: list[MeanPain]) -> str | None:
    """Mean pain (0-10) at each timepoint, one line per site category, 95 % intervals."""
    if not points:
        return None
    categories = sorted({p.category for p in points})
    legend_width = 30 + max(_text_width(c) for c in [*categories, "Site category"])
    height, left, top, bottom = 346.0, 56.0, 12.0, 300.0
    right = WIDTH - legend_width - 16

    def x_of(position: int) -> float:
        return left + 24 + position * (right - left - 48) / (len(TIMEPOINTS) - 1)

    def y_of(pain: float) -> float:
        return bottom - pain / 10 * (bottom - top)

    body = [_line(left, top, left, bottom), _line(left, bottom, right, bottom)]
    for pain in range(0, 11, 2):
        body += [
            _line(left - 4, y_of(pain), left, y_of(pain)),
            _text(left - 7, y_of(pain) + 4, str(pain), anchor="end"),
        ]
    for position, timepoint in enumerate(TIMEPOINTS):
        body += [
            _line(x_of(position), bottom, x_of(position), bottom + 4),
            _text(x_of(position), bottom + 17, TIMEPOINT_LABELS[timepoint], anchor="middle"),
        ]
    body.append(
        _text(
            14,
            (top + bottom) / 2,
            "Mean pain (0-10)",
            anchor="middle",
            extra=f' transform="rotate(-90 14 {_number((top + bottom) / 2)})"',
        )
    )
    legend_x = right + 16
    body.append(_text(legend_x, top + 12, "Site category", extra=' font-weight="bold"'))
    styles = zip(itertools.cycle(_SHADES), itertools.cycle(_MARKERS), itertools.cycle(_DASHES))
    for row, (category, (shade, marker, dash)) in enumerate(zip(categories, styles, strict=False)):
        own = sorted(
            (p for p in points if p.category == category),
            key=lambda p: TIMEPOINTS.index(p.timepoint),
        )
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        corners = " ".join(
            f"{_number(x_of(TIMEPOINTS.index(p.timepoint)))},{_number(y_of(p.mean))}" for p in own
        )
        body.append(
            f'<polyline points="{corners}" fill="none" stroke="{shade}" '
            f'stroke-width="1.5"{dashes}/>'
        )
        for p in own:
            x = x_of(TIMEPOINTS.index(p.timepoint))
            if p.low is not None and p.high is not None:
                low, high = y_of(max(p.low, 0)), y_of(min(p.high, 10))
                body += [
                    _line(x, low, x, high, stroke=shade),
                    _line(x - 3, low, x + 3, low, stroke=shade),
                    _line(x - 3, high, x + 3, high, stroke=shade),
                ]
            body.append(_marker(marker, x, y_of(p.mean), shade))
        y = top + 30 + row * 18
        body += [
            f'<line x1="{_number(legend_x)}" y1="{y - 4}" x2="{_number(legend_x + 20)}" '
            f'y2="{y - 4}" stroke="{shade}" stroke-width="1.5"{dashes}/>',
            _marker(marker, legend_x + 10, y - 4, shade),
            _text(legend_x + 26, y, category),
        ]
    return _svg(height, "Mean pain by timepoint and site category", body)


def rate_chart(rates: list[Rate], *, axis_label: str) -> str | None:
    """Horizontal bars of a rate (percent) with their 95 % intervals."""
    if not rates:
        return None
    labels = [f"{r.label} (n={r.n})" for r in rates]
    row_height, top = 30.0, 8.0
    left = min(WIDTH / 2, 12 + max(_text_width(label) for label in labels))
    right = WIDTH - 20
    bottom = top + row_height * len(rates)
    height = bottom + 44
    # Adverse-event rates are a few percent: the scale follows the widest interval.
    most = min(100.0, 1.1 * max(100 * r.high for r in rates)) or 1.0
    ticks = [t for t in _ticks(most) if t <= 100]
    most = max(most, ticks[-1])

    def x_of(percent: float) -> float:
        return left + percent / most * (right - left)

    body = [_line(left, top, left, bottom), _line(left, bottom, right, bottom)]
    for tick in ticks:
        body += [
            _line(x_of(tick), bottom, x_of(tick), bottom + 4),
            _text(x_of(tick), bottom + 17, _number(tick), anchor="middle"),
        ]
    body.append(_text((left + right) / 2, bottom + 36, axis_label, anchor="middle"))
    for row, (rate, label) in enumerate(zip(rates, labels, strict=True)):
        middle = top + row_height * (row + 0.5)
        low, high = x_of(100 * rate.low), x_of(100 * rate.high)
        body += [
            _text(left - 6, middle + 4, label, anchor="end"),
            f'<rect x="{_number(left)}" y="{_number(middle - row_height * 0.4)}" '
            f'width="{_number(x_of(100 * rate.rate) - left)}" '
            f'height="{_number(row_height * 0.8)}" fill="#8c8c8c" stroke="#1f1f1f">'
            f"<title>{escape(label)}: {100 * rate.rate:.1f} % "
            f"({100 * rate.low:.1f} to {100 * rate.high:.1f})</title></rect>",
            _line(low, middle, high, middle),
            _line(low, middle - 3, low, middle + 3),
            _line(high, middle - 3, high, middle + 3),
        ]
    return _svg(height, axis_label, body)


def lots_to_chart(rates: list[Rate]) -> list[Rate]:
    """The lots with the highest adverse-event rates (ties: the most doses first)."""
    return sorted(rates, key=lambda r: (-r.rate, -r.n, r.label))[:MOST_LOTS]
