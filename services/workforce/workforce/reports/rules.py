"""The headcount reports' computations: the bars of the chart by monitoring category, and the year of the
multi-employer workers' list (décret n° 2023-547: the list at 31 January, returned by 28 February)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_common.vocabulary import MonitoringCategory

from ..employees.rules import CATEGORIES
from ..employees.rules.labels import CATEGORY_LABELS

# Colours of the bars, each with a contrast of at least 3:1 on white (WCAG 1.4.11); the numbers are also
# written beside each bar and given in the table, so colour never carries the information alone.
BAR_COLOURS = {MonitoringCategory.SI: "#1f5f8b", MonitoringCategory.SIA: "#8a5a00", MonitoringCategory.SIR: "#a0232f"}
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH, GAP = 640, 30, 60, 14
MULTI_EMPLOYER_REFERENCE = (1, 31)  # the list is the one at 31 January
RETURN_DEADLINE = (2, 28)


@dataclass(frozen=True)
class Bar:
    category: MonitoringCategory
    label: str
    count: int
    multi_employer: int
    share: float  # 0..100
    y: int
    width: int


def headcount_bars(counts: dict[str, tuple[int, int]]) -> list[Bar]:
    """The bars of the chart: `counts` is category → (employees, of whom multi-employer)."""
    total = sum(count for count, _ in counts.values())
    largest = max((count for count, _ in counts.values()), default=0)
    usable = CHART_WIDTH - LABEL_WIDTH - 150  # room for the number written after the bar
    bars = []
    for index, category in enumerate(CATEGORIES):
        count, multi = counts.get(category, (0, 0))
        bars.append(
            Bar(
                category,
                CATEGORY_LABELS[category],
                count,
                multi,
                100 * count / total if total else 0.0,
                y=index * (BAR_HEIGHT + GAP),
                width=round(usable * count / largest) if largest else 0,
            )
        )
    return bars


def latest_reference_year(today: date) -> int:
    """The year of the latest 31 January already passed."""
    return today.year if today >= date(today.year, *MULTI_EMPLOYER_REFERENCE) else today.year - 1


def reference_year(raw: str | None, today: date) -> int:
    """The year of the list: the one asked for — from 2023 (the décret) to the next 31 January to come, whose
    list an employer prepares in December —, else the latest 31 January already passed."""
    latest = latest_reference_year(today)
    if raw and raw.isdigit() and len(raw) == 4 and 2023 <= int(raw) <= latest + 1:
        return int(raw)
    return latest


def is_forecast(year: int, today: date) -> bool:
    """A list at a 31 January still to come is a forecast from the employees known today."""
    return year > latest_reference_year(today)
