"""The timeline chart: the linked `Site` -> bar geometry for an inline SVG, computed at build time.

`by_month` and `by_year` return a frozen `Chart` that templates/_chart.html
draws; the numbers are the same that its table lists for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import routes
from .link import Site

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")
TOP, BOTTOM, LEFT, RIGHT = 22, 40, 32, 8  # margins around the plot, in SVG units
PLOT_HEIGHT = 120
LABEL_EVERY_BAR = 24  # up to this many bars each gets its own label and count


@dataclass(frozen=True)
class Bar:
    label: str  # "January 2022", "2022"
    count: int
    x: float
    y: float
    width: float
    height: float
    target: str  # output path the bar links to
    anchor: str  # fragment on that page ("" for none)
    tick: str  # short label under the bar ("" for none)
    group: str  # label of a new group (the year) starting at this bar, "" otherwise


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    unit: str  # "Month" or "Year", the table's first column
    bars: tuple[Bar, ...]
    width: float
    height: float
    baseline: float
    top_count: int  # the count the gridline at the top of the plot stands for
    labelled: bool  # every bar carries its count and tick


def by_month(site: Site) -> Chart:
    """Launches in each month from the first launch to the last, empty months included."""
    counts = {(year, month): count for year, month, count in routes.chart_months(site)}
    months = _month_range(min(counts), max(counts)) if counts else []
    pages = routes.month_paths(site)
    items = [(f"{MONTH_NAMES[m - 1]} {y}", counts.get((y, m), 0), pages.get((y, m), ""), routes.month_anchor(y, m),
              MONTH_NAMES[m - 1][:3], str(y) if m == 1 or (y, m) == months[0] else "") for y, m in months]
    span = f"from {items[0][0]} to {items[-1][0]}" if items else "none yet"
    busiest = max(items, key=lambda item: item[1]) if items else None
    description = f"Bar chart of the number of launches in each month, {span}" + (
        f"; the most in one month was {busiest[1]}, in {busiest[0]}." if busiest else ".")
    return _chart("chart-months", "Launches per month", description, "Month", items)


def by_year(site: Site) -> Chart:
    """Launches in each year from the first launch's year to the last's."""
    years = list(range(min(site.years), max(site.years) + 1)) if site.years else []
    items = [(str(y), len(site.years.get(y, ())), routes.year_path(y), "", str(y), "") for y in years]
    span = f"from {years[0]} to {years[-1]}" if years else "none yet"
    description = f"Bar chart of the number of launches in each year, {span}."
    return _chart("chart-years", "Launches per year", description, "Year", items)


def _month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months, (year, month) = [], first
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _chart(ident: str, title: str, description: str, unit: str, items: list) -> Chart:
    """Lay out one bar per (label, count, target, anchor, tick, group) item."""
    labelled = len(items) <= LABEL_EVERY_BAR
    slot = 28.0 if labelled else max(4.0, 640.0 / max(len(items), 1))
    top_count = max([count for _, count, *_ in items] + [1])
    baseline = TOP + PLOT_HEIGHT
    bars = []
    for i, (label, count, target, anchor, tick, group) in enumerate(items):
        height = round(PLOT_HEIGHT * count / top_count, 2)
        bars.append(Bar(label, count, LEFT + i * slot + slot * 0.15, round(baseline - height, 2),
                        round(slot * 0.7, 2), height, target, anchor, tick if labelled else "", group))
    width = LEFT + slot * len(items) + RIGHT
    return Chart(ident, title, description, unit, tuple(bars), round(max(width, 160.0), 2),
                 baseline + BOTTOM, baseline, top_count, labelled)
