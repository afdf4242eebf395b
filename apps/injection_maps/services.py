"""Writes of injection maps. A dose's map is replaced whole: the earlier points are
voided (kept, with their history), the new ones added, in one transaction."""

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.injection_maps.diagrams import Diagram, diagram_for_site
from apps.injection_maps.models import InjectionPoint
from apps.treatments.models import Dose, TreatmentSite, Visit
from exotrack.history import recorded_by

if TYPE_CHECKING:
    from apps.accounts.models import User

MAX_POINTS_PER_DOSE = 40
# The code of a refused list of points in the API's error body.
REFUSED_CODE = "injection_points_refused"


@dataclass(frozen=True)
class PointInput:
    x: Decimal
    y: Decimal
    share_percent: int | None = None


def _tenths(value: object) -> Decimal:
    # A tenth of a diagram unit is finer than a fingertip can tap.
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def points_from_data(raw: object) -> list[PointInput]:
    """Points as the map page or the API sends them: [{"x": .., "y": .., "share_percent": ..}]."""
    if not isinstance(raw, list):
        raise ValidationError("The points could not be read; tap them again.")
    points = []
    try:
        for item in raw:
            share = item.get("share_percent")
            points.append(
                PointInput(
                    x=_tenths(item["x"]),
                    y=_tenths(item["y"]),
                    share_percent=None if share in (None, "") else int(share),
                )
            )
    except (AttributeError, KeyError, TypeError, ValueError, InvalidOperation):
        raise ValidationError("The points could not be read; tap them again.") from None
    return points


# A map has tens of points: a longer text is not one (nor parsed to find out).
MAX_POINTS_TEXT = 20_000


def points_from_text(raw: str) -> list[PointInput]:
    """Points as a page's hidden field carries them, JSON text ("" for none)."""
    unreadable = ValidationError("The points could not be read; tap them again.")
    if not raw:
        return []
    if len(raw) > MAX_POINTS_TEXT:
        raise unreadable
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise unreadable from None
    return points_from_data(parsed)


def _refusal(diagram: Diagram, points: list[PointInput]) -> str | None:
    """Why these points cannot stand on this diagram, or None."""
    if len(points) > MAX_POINTS_PER_DOSE:
        return f"At most {MAX_POINTS_PER_DOSE} points per treated site."
    for point in points:
        if not (0 <= point.x <= diagram.width and 0 <= point.y <= diagram.height):
            return "A point lies outside the diagram; tap inside it."
        if point.share_percent is not None and not 1 <= point.share_percent <= 100:
            return "A point's share of the dose is from 1 to 100 %."
    total = sum(p.share_percent or 0 for p in points)
    if total > 100:
        return f"The shares add up to {total} %; at most 100 % of the dose."
    return None


def injection_map_save(*, dose: Dose, points: list[PointInput], by: "User") -> list[InjectionPoint]:
    if dose.visit.is_voided:
        raise ValidationError("This visit was voided; its map cannot change.")
    refused = _refusal(diagram_for_site(dose.site), points)
    if refused:
        raise ValidationError(refused)
    return _points_store(dose=dose, points=points, by=by)


def new_visit_points_check(*, sites: list[TreatmentSite], points: list[list[PointInput]]) -> None:
    """Before a visit is recorded with points for its doses (one list per dose, in the
    order of `sites`): ValidationError keyed `doses.<n>.injection_points` for each list
    that cannot stand on its site's diagram."""
    errors = {}
    for n, (site, dose_points) in enumerate(zip(sites, points, strict=True)):
        refused = _refusal(diagram_for_site(site), dose_points)
        if refused:
            errors[f"doses.{n}.injection_points"] = ValidationError(refused, code=REFUSED_CODE)
    if errors:
        raise ValidationError(errors)


def new_visit_points_record(*, visit: Visit, points: list[list[PointInput]], by: "User") -> None:
    """The points of a visit just recorded, one list per dose in the order the doses
    were given (their ids' order), checked by `new_visit_points_check`. Call it in the
    visit's transaction, so that the visit and its maps stand or fall together."""
    doses = visit.doses.select_related("site").order_by("id")
    for dose, dose_points in zip(doses, points, strict=True):
        if dose_points:
            _points_store(dose=dose, points=dose_points, by=by)


def _points_store(*, dose: Dose, points: list[PointInput], by: "User") -> list[InjectionPoint]:
    diagram = diagram_for_site(dose.site)
    with transaction.atomic(), recorded_by(by):
        InjectionPoint.objects.filter(dose=dose, voided_at__isnull=True).update(
            voided_at=timezone.now(),
            voided_by=by,
            void_reason="Map redrawn",
            updated_at=timezone.now(),
        )
        return InjectionPoint.objects.bulk_create(
            InjectionPoint(
                dose=dose,
                diagram=diagram.key,
                diagram_version=diagram.version,
                x=point.x,
                y=point.y,
                share_percent=point.share_percent,
                created_by=by,
            )
            for point in points
        )
