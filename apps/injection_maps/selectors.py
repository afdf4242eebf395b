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


def _standing_points() -> Prefetch:
    return Prefetch(
        "injection_points",
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
