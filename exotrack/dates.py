"""The dates a clinic can mean, for every date field and date filter of the pages and the
API: one validator and one field per kind (form, filter, serializer) that all use it.

Python's calendar runs from year 1 to 9999: a filter "to 9999-12-31" overflows as soon as
a day is added to make it an end of day, and a lot "received in year 1" is a typing slip.
Every date lies between CLINIC_EARLIEST and CLINIC_LATEST, far from the calendar's ends;
some fields narrow it further (a birth date lies in the last BIRTH_YEARS_BACK years and
not in the future; a medication starts at most STARTS_YEARS_AHEAD years ahead)."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from rest_framework import serializers

CLINIC_EARLIEST = datetime.date(1900, 1, 1)
CLINIC_LATEST = datetime.date(2199, 12, 31)
BIRTH_YEARS_BACK = 120
STARTS_YEARS_AHEAD = 1


def day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of a clinic's day (not a UTC day). A filter on a range of
    instants reads from a timestamp index; one on the instant's date cannot."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def day_after_start(day: datetime.date) -> datetime.datetime:
    """The first instant after a clinic's day: the exclusive end of "up to `day`"."""
    return day_start(day + datetime.timedelta(days=1))


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


@deconstructible
class ClinicDateRange:
    """Refuses a date outside the clinic's range, narrowed to `years_back` years before
    today and `years_ahead` years after it (0: not after today) when given. One error
    code, which the published API schema lists for every field that has the validator."""

    code = "date_out_of_range"

    def __init__(self, *, years_back: int | None = None, years_ahead: int | None = None):
        self.years_back = years_back
        self.years_ahead = years_ahead

    def bounds(self) -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        earliest, latest = CLINIC_EARLIEST, CLINIC_LATEST
        if self.years_back is not None:
            earliest = max(earliest, _years_from(today, -self.years_back))
        if self.years_ahead is not None:
            latest = min(latest, _years_from(today, self.years_ahead))
        return earliest, latest

    def __call__(self, value: datetime.date) -> None:
        earliest, latest = self.bounds()
        if value < earliest:
            raise ValidationError(f"Give a date from {earliest:%Y-%m-%d} on.", code=self.code)
        if value > latest:
            raise ValidationError(
                "The date cannot be in the future."
                if latest == timezone.localdate()
                else f"Give a date up to {latest:%Y-%m-%d}.",
                code=self.code,
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClinicDateRange) and (self.years_back, self.years_ahead) == (
            other.years_back,
            other.years_ahead,
        )


ANY_CLINIC_DATE = ClinicDateRange()
BIRTH_DATE = ClinicDateRange(years_back=BIRTH_YEARS_BACK, years_ahead=0)
START_DATE = ClinicDateRange(years_ahead=STARTS_YEARS_AHEAD)


class ClinicDateField(forms.DateField):
    """A form's date, within the clinic's range (or the narrower `within`)."""

    def __init__(self, *, within: ClinicDateRange = ANY_CLINIC_DATE, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(within)


class ClinicDateFilter(django_filters.DateFilter):
    """An API filter's date, within the clinic's range."""

    field_class = ClinicDateField


class ClinicDateSerializerField(serializers.DateField):
    """An API body's date, within the clinic's range (or the narrower `within`)."""

    def __init__(self, *, within: ClinicDateRange = ANY_CLINIC_DATE, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(within)
