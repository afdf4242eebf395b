"""Timepoints of an episode, derived from the days since its visit.

The one table of the schedule DOMAIN.md names (2 and 6 weeks, 3, 6 and 12 months), each
with a tolerance window either side (settings OUTCOME_WINDOW_*_DAYS):

| timepoint | target day | default window      |
|-----------|-----------:|---------------------|
| baseline  |          0 | the visit day only  |
| 2 weeks   |         14 | +/- 7  (days 7-21)  |
| 6 weeks   |         42 | +/- 14 (days 28-56) |
| 3 months  |         91 | +/- 30 (days 61-121)|
| 6 months  |        182 | +/- 45 (137-227)    |
| 12 months |        365 | +/- 45 (320-410)    |

Any other day is "other". Should settings make two windows overlap, the earlier
timepoint wins: the table is read in order.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings

from apps.outcomes.models import Timepoint


@dataclass(frozen=True)
class Window:
    timepoint: str
    target_day: int
    tolerance_days: int

    @property
    def first_day(self) -> int:
        return self.target_day - self.tolerance_days

    @property
    def last_day(self) -> int:
        return self.target_day + self.tolerance_days


def windows() -> list[Window]:
    """Read at call time, so a changed setting (or a test's override) takes effect."""
    late = settings.OUTCOME_WINDOW_LATE_MONTHS_DAYS
    return [
        Window(Timepoint.WEEK_2, 14, settings.OUTCOME_WINDOW_TWO_WEEKS_DAYS),
        Window(Timepoint.WEEK_6, 42, settings.OUTCOME_WINDOW_SIX_WEEKS_DAYS),
        Window(Timepoint.MONTH_3, 91, settings.OUTCOME_WINDOW_THREE_MONTHS_DAYS),
        Window(Timepoint.MONTH_6, 182, late),
        Window(Timepoint.MONTH_12, 365, late),
    ]


def timepoint_for(*, visit_day: datetime.date, assessed_on: datetime.date) -> str:
    """The timepoint an assessment on `assessed_on` belongs to (never before the visit)."""
    days = (assessed_on - visit_day).days
    if days == 0:
        return Timepoint.BASELINE
    for window in windows():
        if window.first_day <= days <= window.last_day:
            return window.timepoint
    return Timepoint.OTHER
