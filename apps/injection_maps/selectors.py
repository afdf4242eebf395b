"""Reads of injection maps: each dose of a visit with its diagram and standing points."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from apps.injection_maps.diagrams import Diagram, diagram_for_site
from apps.injection_maps.models import InjectionPoint
from apps.treatments.models import Dose, Visit
from apps.treatments.selectors import visits_visible_to

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.patients.models import Patient

# The patient page draws the maps of this many of the latest visits that have one; the
# rest are a link away on their visit pages.
PATIENT_PAGE_VISITS = 5


@dataclass(frozen=True)
class VisitMaps:
    visit: Visit
    maps: list["DoseMap"]


@dataclass(frozen=True)
class DoseMap:
    dose: Dose
    diagram: Diagram
    points: list[InjectionPoint]

    @property
    def points_json(self) -> str:
        """The points as the map editor's hidden field carries them."""
        return json.dumps(
            [
                {"x": float(p.x), "y": float(p.y), "share_percent": p.share_percent}
                for p in self.points
            ]
        )


def _standing_points(lookup: str = "injection_points") -> Prefetch:
    return Prefetch(
        lookup,
        queryset=InjectionPoint.objects.filter(voided_at__isnull=True).order_by("id"),
        to_attr="standing_points",
    )


def dose_maps(doses: Iterable[Dose]) -> list[DoseMap]:
    """Maps of doses fetched with `with_standing_points`."""
    return [
        # standing_points is set by the prefetch's to_attr, which the stubs cannot see.
        DoseMap(dose, diagram_for_site(dose.site), dose.standing_points)  # type: ignore[attr-defined]
        for dose in doses
    ]


def with_standing_points(doses: QuerySet[Dose]) -> QuerySet[Dose]:
    return doses.prefetch_related(_standing_points())


def with_doses_standing_points(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """Visits whose doses (prefetched) each carry `standing_points`: one query more."""
    return visits.prefetch_related(_standing_points("doses__injection_points"))


def visit_injection_maps(*, visit: Visit) -> list[DoseMap]:
    """One query for the doses and one for their points, whatever their number."""
    doses = (
        visit.doses.select_related("site", "lot__product")
        .prefetch_related(_standing_points())
        .order_by("id")
    )
    return dose_maps(doses)


def doses_visible_to(user: "User") -> QuerySet[Dose]:
    """Doses of the visits this user may open, none without clinical access."""
    if not user.has_perm("patients.view_clinical"):
        return Dose.objects.none()
    return (
        Dose.objects.filter(visit__in=visits_visible_to(user).values("pk"))
        .select_related("site", "visit")
        .order_by("id")
    )


def dose_injection_map(*, dose: Dose) -> DoseMap:
    points = list(dose.injection_points.filter(voided_at__isnull=True).order_by("id"))
    return DoseMap(dose, diagram_for_site(dose.site), points)


def patient_injection_maps(*, patient: "Patient") -> list[VisitMaps]:
    """The latest standing visits of the patient with points marked, newest first, each
    with the maps of all its doses. Two queries: doses (with the visit filter as a
    subquery) and their points."""
    marked = InjectionPoint.objects.filter(
        voided_at__isnull=True, dose__visit__patient=patient, dose__visit__voided_at__isnull=True
    )
    latest = (
        Visit.objects.filter(pk__in=marked.values("dose__visit_id"))
        .order_by("-visited_at", "-id")
        .values("pk")[:PATIENT_PAGE_VISITS]
    )
    doses = with_standing_points(
        Dose.objects.filter(visit__in=latest)
        .select_related("site", "visit")
        .order_by("-visit__visited_at", "-visit_id", "id")
    )
    grouped: list[VisitMaps] = []
    for dose_map in dose_maps(doses):
        if not grouped or grouped[-1].visit.pk != dose_map.dose.visit_id:
            grouped.append(VisitMaps(dose_map.dose.visit, []))
        grouped[-1].maps.append(dose_map)
    return grouped
