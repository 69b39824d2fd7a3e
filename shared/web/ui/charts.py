"""Bar charts drawn on the server as inline SVG: no scripts, readable on an old PC.

Colours come from the stylesheet (`.chart .bar-<key>`); every chart has a title, a legend in
words and a `<title>` on each bar, and pages show the same numbers in a table, so nothing is
told by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = 22  # thickness of one bar, px
GAP = 8
LABEL_W = 150  # horizontal charts: room for the category names
PLOT = 520  # length of the longest bar / height of the plot


@dataclass(frozen=True)
class ChartSeries:
    """One stacked part of every bar: its words, its colour key and its numbers."""

    label: str
    key: str
    values: Sequence[int]


def _total(series: Sequence[ChartSeries], index: int) -> int:
    return sum(s.values[index] for s in series)


def _bar_title(category: str, series: Sequence[ChartSeries], index: int) -> str:
    parts = ", ".join(f"{s.label} {s.values[index]}" for s in series)
    return f"{category}: {parts}"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    # Every interpolated text above went through escape(); the rest is numbers.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def horizontal_bars(
    categories: Sequence[str], series: Sequence[ChartSeries], *, title: str
) -> Markup:
    """One stacked horizontal bar per category (e.g. departments), its total at the end."""
    top = max([_total(series, i) for i in range(len(categories))] or [0]) or 1
    height = max(1, len(categories)) * (BAR + GAP) + GAP
    body = []
    for row, category in enumerate(categories):
        y = GAP + row * (BAR + GAP)
        x = float(LABEL_W)
        name = category if len(category) <= 18 else category[:17] + "…"
        body.append(
            f'<text class="axis" x="{LABEL_W - 8}" y="{y + BAR * 0.7:.1f}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        body.append(f"<g><title>{escape(_bar_title(category, series, row))}</title>")
        for part in series:
            length = PLOT * part.values[row] / top
            if length > 0:
                body.append(
                    f'<rect class="bar-{escape(part.key)}" x="{x:.1f}" y="{y}" '
                    f'width="{length:.1f}" height="{BAR}"/>'
                )
            x += round(length, 1)
        body.append(
            f'<text class="value" x="{x + 6:.1f}" y="{y + BAR * 0.7:.1f}">'
            f"{_total(series, row)}</text></g>"
        )
    return _svg(LABEL_W + PLOT + 60, height, title, body)


def vertical_bars(
    categories: Sequence[str], series: Sequence[ChartSeries], *, title: str
) -> Markup:
    """One stacked column per category (e.g. days), labelled below, its total above."""
    top = max([_total(series, i) for i in range(len(categories))] or [0]) or 1
    step = BAR + GAP
    every = max(1, -(-len(categories) * 48 // 900))  # thin out labels on long periods
    width = max(320, GAP + len(categories) * step + 40)
    plot_h, base = 200, 230
    body = [f'<line class="axis-line" x1="0" y1="{base}" x2="{width}" y2="{base}"/>']
    for col, category in enumerate(categories):
        x = GAP + col * step
        y = float(base)
        body.append(f"<g><title>{escape(_bar_title(category, series, col))}</title>")
        for part in series:
            length = plot_h * part.values[col] / top
            if length > 0:
                y -= length
                body.append(
                    f'<rect class="bar-{escape(part.key)}" x="{x}" y="{y:.1f}" '
                    f'width="{BAR}" height="{length:.1f}"/>'
                )
        total = _total(series, col)
        if total:  # a row of zeros would only clutter the chart; the table has them
            body.append(
                f'<text class="value" x="{x + BAR / 2}" y="{y - 4:.1f}" '
                f'text-anchor="middle">{total}</text>'
            )
        body.append("</g>")
        if col % every == 0:
            body.append(
                f'<text class="axis" x="{x + BAR / 2}" y="{base + 16}" '
                f'text-anchor="middle">{escape(category)}</text>'
            )
    return _svg(width, base + 24, title, body)
