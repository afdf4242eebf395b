"""Where on the body each dose went: points tapped on the site's diagram, in the
diagram's own units and with its version, optionally with the share of the dose."""

import pghistory
from django.db import models
from django.db.models import Q

from exotrack.models import Recorded, Voidable


@pghistory.track()
class InjectionPoint(Recorded, Voidable):
    dose = models.ForeignKey(
        "treatments.Dose", on_delete=models.PROTECT, related_name="injection_points"
    )
    diagram = models.CharField(max_length=20)
    diagram_version = models.PositiveSmallIntegerField()
    x = models.DecimalField(max_digits=6, decimal_places=1)
    y = models.DecimalField(max_digits=6, decimal_places=1)
    share_percent = models.PositiveSmallIntegerField("share of the dose (%)", null=True, blank=True)

    class Meta:
        ordering = ["dose_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0) & Q(y__gte=0), name="injection_point_on_diagram"
            ),
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True)
                | (Q(share_percent__gte=1) & Q(share_percent__lte=100)),
                name="injection_point_share_1_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Point ({self.x}, {self.y}) on {self.diagram} for dose {self.dose_id}"
