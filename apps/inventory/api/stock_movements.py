"""The stock ledger over REST, read only: movements are written by the stock services."""

from collections.abc import Sequence

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from apps.audit.api_mixins import AccessLoggedReadsMixin
from apps.inventory import selectors
from apps.inventory.api.serializers import StockMovementSerializer
from apps.inventory.models import StockMovement
from apps.treatments.selectors import movement_patients


class StockMovementFilter(django_filters.FilterSet):
    """The ledger's query parameters, validated and documented here (the field names give
    their documented types) and answered by selectors.stock_movement_search."""

    lot = django_filters.NumberFilter(field_name="lot_id")
    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices)

    def filter_queryset(self, queryset):
        given = self.form.cleaned_data
        return selectors.stock_movement_search(lot_id=given["lot"], kind=given["kind"])


@extend_schema_view(
    list=extend_schema(summary="The stock ledger", description="Newest first."),
    retrieve=extend_schema(summary="One stock movement"),
)
class StockMovementViewSet(AccessLoggedReadsMixin, viewsets.ReadOnlyModelViewSet):
    """Reads are access-logged with the patients they name: the reason of a movement at
    a visit names the visit's patient."""

    access_log_list_subject = "stock-movements"
    access_log_subject = "stock-movement"
    queryset = selectors.stock_movements()
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter

    def access_log_page_patients(self, page: Sequence[StockMovement]) -> list[int]:
        return movement_patients(movements=[movement.pk for movement in page])

    def access_log_patient_id(self, movement: StockMovement) -> int | None:
        patients = movement_patients(movements=[movement.pk])
        return patients[0] if patients else None
