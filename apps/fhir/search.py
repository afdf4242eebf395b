"""FHIR search parameters (the subset in the CapabilityStatement) turned into filters.

A parameter we do not know is refused (400), so a consumer never takes an unfiltered
answer for a filtered one."""

import calendar
import datetime
import re
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db.models import DateTimeField, Model, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.fhir.errors import FhirError
from apps.fhir.resources import ResourceType
from exotrack.query_ids import parse_id

# Parameters that shape the answer rather than filter it; _format may only ask for JSON.
_RESULT_PARAMETERS = {"_count", "_include", "_format", "_after"}
_JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass
class Search:
    filters: Q = field(default_factory=Q)
    ids: set[str] = field(default_factory=set)
    count: int = 0
    after: tuple[int, int] | None = None
    include_patients: bool = False
    patient_ids: set[int] = field(default_factory=set)


def _day_range(text: str) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of a FHIR date or dateTime, in the clinic's zone when none is given."""
    zone = timezone.get_default_timezone()
    partial = _PARTIAL_DATE.match(text)
    if partial:
        year_text, month_text, day_text = partial.groups()
        year = int(year_text)
        try:
            if day_text:
                start = datetime.date(year, int(month_text), int(day_text))
                end = start + datetime.timedelta(days=1)
            elif month_text:
                month = int(month_text)
                start = datetime.date(year, month, 1)
                end = start + datetime.timedelta(days=calendar.monthrange(year, month)[1])
            else:
                start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
        except ValueError as error:
            raise FhirError(f"Not a date: {text!r}.") from error
        return (
            datetime.datetime.combine(start, datetime.time(), tzinfo=zone),
            datetime.datetime.combine(end, datetime.time(), tzinfo=zone),
        )
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise FhirError(f"Not a date or dateTime: {text!r} (e.g. 2026-03-01 or 2026-03).")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment, moment + datetime.timedelta(seconds=1)


def date_filter(lookup: str, value: str, *, is_datetime: bool) -> Q:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    text = value[2:] if value[:2] in _PREFIXES else value
    first, after = _day_range(text)
    start: datetime.date = first
    end: datetime.date = after
    if not is_datetime:
        # A date column: compare calendar days in the clinic's zone.
        start = timezone.localtime(first).date()
        end = timezone.localtime(after - datetime.timedelta(microseconds=1)).date()
        end += datetime.timedelta(days=1)
    within = Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end})
    return {
        "eq": within,
        "ne": ~within,
        "gt": Q(**{f"{lookup}__gte": end}),
        "sa": Q(**{f"{lookup}__gte": end}),
        "ge": Q(**{f"{lookup}__gte": start}),
        "lt": Q(**{f"{lookup}__lt": start}),
        "eb": Q(**{f"{lookup}__lt": start}),
        "le": Q(**{f"{lookup}__lt": end}),
    }[prefix]


def _is_datetime(model: type[Model], lookup: str) -> bool:
    *relations, name = lookup.split("__")
    for relation in relations:
        # The table's lookups follow foreign keys, whose related model is known once the
        # apps are loaded.
        model = cast("type[Model]", model._meta.get_field(relation).related_model)
    return isinstance(model._meta.get_field(name), DateTimeField)


def _patient_ids(values: list[str]) -> set[int]:
    ids = set()
    for value in values:
        for one in value.split(","):
            pk = parse_id(one.removeprefix("Patient/"))
            if pk is None:
                raise FhirError(f"patient must be a Patient id or Patient/<id>, not {one!r}.")
            ids.add(pk)
    return ids


def parse_search(
    resource_type: ResourceType[Any], params: QueryDict, *, model: type[Model]
) -> Search:
    search = Search(count=settings.FHIR_PAGE_SIZE)
    allowed = set(resource_type.search_parameters()) | _RESULT_PARAMETERS
    for name in params:
        base = name.split(":", 1)[0]
        if base not in allowed or (":" in name and base != "_include"):
            raise FhirError(
                f"{resource_type.name} has no search parameter {name!r}; it has "
                f"{', '.join(sorted(resource_type.search_parameters()))}.",
                code="not-supported",
            )
    for value in params.getlist("_format"):
        if value not in _JSON_FORMATS:
            raise FhirError("Only JSON is served (_format=json).", code="not-supported")
    for value in params.getlist("_id"):
        for one in value.split(","):
            if resource_type.position(one) is None:
                raise FhirError(f"No {resource_type.name} has the id {one!r}.")
            search.ids.add(one)
    if search.ids:
        # Every id passed the check above, so each has a position.
        positions = [resource_type.position(one) for one in search.ids]
        pks = {position[0] for position in positions if position is not None}
        search.filters &= Q(pk__in=pks)
    if "patient" in params:
        search.patient_ids = _patient_ids(params.getlist("patient"))
        search.filters &= Q(**{f"{resource_type.patient}__in": search.patient_ids})
    for name, lookup in (
        ("date", resource_type.date),
        ("_lastUpdated", resource_type.last_updated),
    ):
        for value in params.getlist(name):
            search.filters &= date_filter(lookup, value, is_datetime=_is_datetime(model, lookup))
    if "_count" in params:
        text = params.get("_count") or ""
        if (
            not (text.isascii() and text.isdigit())
            or not 1 <= int(text) <= settings.FHIR_PAGE_SIZE_MAX
        ):
            raise FhirError(
                f"_count must be a whole number from 1 to {settings.FHIR_PAGE_SIZE_MAX}."
            )
        search.count = int(text)
    if "_after" in params:
        search.after = resource_type.position(params.get("_after") or "")
        if search.after is None:
            raise FhirError("_after must be the id of the last resource of the previous page.")
    for value in params.getlist("_include"):
        if (
            not resource_type.patient
            or resource_type.name == "Patient"
            or value
            not in (
                f"{resource_type.name}:patient",
                f"{resource_type.name}:subject",
            )
        ):
            raise FhirError(
                f"{resource_type.name} can include only its patient "
                f"(_include={resource_type.name}:patient).",
                code="not-supported",
            )
        search.include_patients = True
    return search
