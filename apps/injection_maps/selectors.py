"""Reads of injection maps: each dose of a visit with its diagram and standing points."""

import json
from dataclasses import dataclass

from django.db.models import Prefetch

from apps.injection_maps.diagrams import Diagram, diagram_for_site
from apps.injection_maps.models import InjectionPoint


@dataclass(frozen=True)
class DoseMap:
    dose: object
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


def visit_injection_maps(*, visit) -> list[DoseMap]:
    """One query for the doses and one for their points, whatever their number."""
    doses = (
        visit.doses.select_related("site", "lot__product")
        .prefetch_related(
            Prefetch(
                "injection_points",
                queryset=InjectionPoint.objects.filter(voided_at__isnull=True).order_by("id"),
                to_attr="standing_points",
            )
        )
        .order_by("id")
    )
    return [DoseMap(dose, diagram_for_site(dose.site), dose.standing_points) for dose in doses]
