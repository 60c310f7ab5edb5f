"""Server-rendered SVG charts for the dashboard: the geometry here, the markup in the template.

Bars are drawn in a fixed coordinate space that the SVG stretches to its box (no text inside
it, so nothing is distorted); labels, titles and the numbers as a table are HTML around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

HEIGHT = 100
SLOT = 10  # each day's width in the chart's coordinates; the bar leaves a gap on each side
GAP = 1.5


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    total: int
    maximum: int
    first_day: date
    last_day: date


def bar_chart(*, key: str, title: str, series: Sequence[tuple[date, int]]) -> BarChart:
    """One bar a day, scaled to the busiest day; a day with anything shows at least a sliver."""
    maximum = max((value for _day, value in series), default=0)
    bars = []
    for index, (day, value) in enumerate(series):
        height = 0.0 if not maximum else max(value / maximum * (HEIGHT - 2), 2.0 if value else 0)
        bars.append(
            Bar(
                x=index * SLOT + GAP,
                y=round(HEIGHT - height, 2),
                width=SLOT - 2 * GAP,
                height=round(height, 2),
                day=day,
                value=value,
            )
        )
    return BarChart(
        key=key,
        title=title,
        bars=tuple(bars),
        width=max(len(series), 1) * SLOT,
        height=HEIGHT,
        total=sum(value for _day, value in series),
        maximum=maximum,
        first_day=series[0][0],
        last_day=series[-1][0],
    )
