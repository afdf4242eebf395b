"""Reads of visits, doses and the site catalogue, with the joins their pages need."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.inventory.models import Lot, StockMovement
from apps.patients.models import Patient
from apps.patients.selectors import of_visible_patients
from apps.treatments.models import Dose, TreatmentSite, VialsOpened, Visit, VisitWarning
from exotrack.dates import day_after_start, day_start
from exotrack.roles import CLINICIAN


def _doses_prefetch() -> Prefetch:
    return Prefetch(
        "doses",
        queryset=Dose.objects.select_related("site", "lot__product__manufacturer").order_by("id"),
    )


def _warnings_prefetch() -> Prefetch:
    return Prefetch(
        "warnings",
        queryset=VisitWarning.objects.select_related("acknowledged_by").order_by("id"),
    )


def visits_with_details() -> QuerySet[Visit]:
    """Visits with everything a visit line shows: a fixed number of queries for any
    number of visits (one for the visits, one each for doses and warnings)."""
    return (
        Visit.objects.select_related("patient", "location", "clinician", "voided_by")
        .prefetch_related(_doses_prefetch(), _warnings_prefetch())
        .order_by("-visited_at", "-id")
    )


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """Visits of patients this user may open (voided patients included: their visits
    stay readable by link), none without the visit permission."""
    if not user.has_perm("treatments.view_visit"):
        return Visit.objects.none()
    return of_visible_patients(visits_with_details(), user)


def visit_search(
    *,
    user: User,
    patient_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    clinician_id: int | None = None,
    location_id: int | None = None,
    lot_id: int | None = None,
) -> QuerySet[Visit]:
    """Recent visits, newest first, narrowed by what the filters name. Dates are days
    in the clinic's zone, given as ranges of instants so the newest-first index serves
    them."""
    visits = visits_visible_to(user)
    if patient_id is not None:
        visits = visits.filter(patient_id=patient_id)
    if date_from is not None:
        visits = visits.filter(visited_at__gte=day_start(date_from))
    if date_to is not None:
        visits = visits.filter(visited_at__lt=day_after_start(date_to))
    if clinician_id is not None:
        visits = visits.filter(clinician_id=clinician_id)
    if location_id is not None:
        visits = visits.filter(location_id=location_id)
    if lot_id is not None:
        visits = visits.filter(pk__in=Dose.objects.filter(lot_id=lot_id).values("visit_id"))
    return visits


def visits_in_sign_off_state(visits: QuerySet[Visit], state: str) -> QuerySet[Visit]:
    """`visits` in one sign-off state; a voided visit no longer awaits anyone."""
    visits = visits.filter(sign_off=state)
    if state == Visit.SignOff.AWAITING:
        visits = visits.filter(voided_at__isnull=True)
    return visits


def visits_awaiting_sign_off(*, user: User) -> QuerySet[Visit]:
    """The sign-off list: visits waiting for a clinician, oldest first."""
    return (
        visits_in_sign_off_state(visits_visible_to(user), Visit.SignOff.AWAITING)
        .select_related("created_by")
        .order_by("created_at", "id")
    )


def sign_off_counts(*, user: User) -> dict:
    """How many visits await sign-off and since when: one query."""
    return visits_in_sign_off_state(
        of_visible_patients(Visit.objects.all(), user, include_voided=False),
        Visit.SignOff.AWAITING,
    ).aggregate(waiting=Count("id"), oldest=Min("created_at"))


def visits_today_counts(*, user: User) -> dict:
    """Visits of today (clinic day), those this user recorded, and those of them still
    awaiting sign-off: one query."""
    today = timezone.localdate()
    mine = Q(created_by=user)
    return (
        of_visible_patients(Visit.objects.all(), user, include_voided=False)
        .filter(
            visited_at__gte=day_start(today),
            visited_at__lt=day_after_start(today),
            voided_at__isnull=True,
        )
        .aggregate(
            visits=Count("id"),
            mine=Count("id", filter=mine),
            mine_awaiting=Count("id", filter=mine & Q(sign_off=Visit.SignOff.AWAITING)),
        )
    )


def visit_detail(*, user: User, pk: int) -> Visit:
    """One visit with doses, warnings and the vials opened (Visit.DoesNotExist if the
    user may not see it)."""
    return (
        visits_visible_to(user)
        .select_related("created_by", "signed_off_by")
        .prefetch_related(
            Prefetch(
                "vials_opened",
                queryset=VialsOpened.objects.select_related("lot__product", "returned"),
            )
        )
        .get(pk=pk)
    )


def patient_visits(*, patient: Patient) -> QuerySet[Visit]:
    """The patient's visits, newest first; voided ones included (the page marks them)."""
    return visits_with_details().filter(patient=patient)


def patient_lots(*, patient: Patient) -> QuerySet[Lot]:
    """Every lot the patient received (voided visits not counted), with the first and
    last time and how many doses: the patient -> lot half of traceability."""
    given = Q(doses__visit__patient=patient, doses__visit__voided_at__isnull=True)
    return (
        Lot.objects.filter(given)
        .select_related("product__manufacturer")
        .annotate(
            first_given_at=Min("doses__visit__visited_at"),
            last_given_at=Max("doses__visit__visited_at"),
            doses_count=Count("doses"),
            billions_given=Sum("doses__billions"),
        )
        .order_by("-last_given_at", "id")
    )


def movement_patients(*, movements: QuerySet[StockMovement] | list[int]) -> list[int]:
    """The patients whose visits took the vials of these stock movements (or their ids)
    or gave them back (a voided visit): the patients a stock ledger names. One query."""
    opened = VialsOpened.objects.filter(Q(movement__in=movements) | Q(returned__in=movements))
    return sorted(set(opened.values_list("visit__patient_id", flat=True)))


def billions_by_visit(
    *, patient_ids: set[int], start: datetime.datetime, end: datetime.datetime
) -> list[tuple[int, datetime.datetime, Decimal]]:
    """(patient id, visit time, billions) of each visit (not voided) of these patients in
    [start, end]: one query, for one visit's 30-day total or many visits' at once."""
    return list(
        Dose.objects.filter(
            visit__patient_id__in=patient_ids,
            visit__voided_at__isnull=True,
            visit__visited_at__gte=start,
            visit__visited_at__lte=end,
        )
        .values("visit__patient_id", "visit__visited_at")
        .annotate(total=Sum("billions"))
        .values_list("visit__patient_id", "visit__visited_at", "total")
        .order_by()
    )


def treatment_sites(*, active_only: bool = False) -> QuerySet[TreatmentSite]:
    sites = TreatmentSite.objects.order_by("category", "name")
    if active_only:
        sites = sites.filter(active=True)
    return sites


def clinicians() -> QuerySet:
    """Active staff with the clinician role: who can be responsible for a visit."""
    return (
        get_user_model()
        .objects.filter(groups__name=CLINICIAN, is_active=True)
        .order_by("first_name", "last_name", "username")
    )
