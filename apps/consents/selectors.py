"""Reads of consent forms and signed consents."""

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max, OuterRef, QuerySet, Subquery

from apps.consents.models import (
    PHOTO_USE_ORDER,
    ConsentForm,
    ConsentRequest,
    ConsentVersion,
    PhotoUse,
    SignedConsent,
    VisitConsent,
)

if TYPE_CHECKING:
    from apps.patients.models import Patient
    from apps.treatments.models import Visit


def consent_forms() -> QuerySet[ConsentForm]:
    """Every form with its latest version number, for the managers' list."""
    return ConsentForm.objects.annotate(latest_number=Max("versions__number")).order_by("title")


def consent_form_versions(*, form: ConsentForm) -> QuerySet[ConsentVersion]:
    return form.versions.select_related("published_by").order_by("-number")


def current_versions() -> QuerySet[ConsentVersion]:
    """The latest version of each form: the only ones a patient may sign."""
    latest = (
        ConsentVersion.objects.filter(form=OuterRef("form")).order_by("-number").values("pk")[:1]
    )
    return (
        ConsentVersion.objects.filter(pk=Subquery(latest)).select_related("form").order_by("title")
    )


def version_is_current(version: ConsentVersion) -> bool:
    return not ConsentVersion.objects.filter(
        form_id=version.form_id, number__gt=version.number
    ).exists()


def patient_consents(*, patient: "Patient") -> QuerySet[SignedConsent]:
    return (
        SignedConsent.objects.filter(patient=patient)
        .select_related("version", "witness", "withdrawn_by", "product")
        .defer("signature_png")
        .order_by("-signed_at", "-id")
    )


def patient_consent_requests(*, patient: "Patient") -> QuerySet[ConsentRequest]:
    """Signing links sent and not yet used, newest first."""
    return (
        ConsentRequest.objects.filter(patient=patient, used_at__isnull=True)
        .select_related("version", "requested_by")
        .order_by("-requested_at")
    )


def consents_in_force(*, patient: "Patient", on: datetime.date) -> QuerySet[SignedConsent]:
    """Signed, not withdrawn, and signed within CONSENT_VALID_DAYS before `on`."""
    earliest = on - datetime.timedelta(days=settings.CONSENT_VALID_DAYS)
    return patient_consents(patient=patient).filter(
        withdrawn_at__isnull=True, signed_at__date__gte=earliest, signed_at__date__lte=on
    )


def consent_covering(
    *, patient: "Patient", site_categories: set[str], on: datetime.date
) -> SignedConsent | None:
    """The newest consent in force whose version covers every one of these site
    categories, or None."""
    for consent in consents_in_force(patient=patient, on=on):
        if site_categories <= set(consent.version.site_categories):
            return consent
    return None


def categories_with_forms() -> set[str]:
    """Site categories some current consent form covers: where the clinic takes signed
    consents. Elsewhere visits go on with the paper consent noted on the visit."""
    covered: set[str] = set()
    for categories in current_versions().values_list("site_categories", flat=True):
        covered.update(categories)
    return covered


def patients_with_signed_consents(*, patient_ids: set[int]) -> set[int]:
    """Which of these patients ever signed a consent not withdrawn since: for many visits
    at once (an import), one read that spares the others' lookups."""
    return set(
        SignedConsent.objects.filter(patient_id__in=patient_ids, withdrawn_at__isnull=True)
        .values_list("patient_id", flat=True)
        .order_by()
        .distinct()
    )


def consents_relied_on(
    *,
    patient: "Patient",
    site_categories: set[str],
    on: datetime.date,
    with_forms: set[str] | None = None,
    signed_any: bool = True,
) -> tuple[list[SignedConsent], set[str]]:
    """For a visit on `on` treating these categories: the consents it relies on (the
    newest in force for each category that has a form) and the categories none covers.

    Callers checking many visits pass what they read once for all: `with_forms`
    (categories_with_forms) and `signed_any` (False: patients_with_signed_consents says
    the patient has none)."""
    needed = site_categories & (categories_with_forms() if with_forms is None else with_forms)
    relied: list[SignedConsent] = []
    uncovered = set(needed)
    if not needed or not signed_any:
        return relied, uncovered  # no form for these sites, or nothing signed to look for
    for consent in consents_in_force(patient=patient, on=on):
        covers = uncovered & set(consent.version.site_categories)
        if covers:
            relied.append(consent)
            uncovered -= covers
    return relied, uncovered


def visit_consents(*, visit: "Visit") -> list[SignedConsent]:
    return [
        row.consent
        for row in VisitConsent.objects.filter(visit=visit)
        .select_related("consent__version")
        .order_by("consent__signed_at")
    ]


def patient_photo_use(*, patient: "Patient", on: datetime.date) -> str:
    """What the patient's consents in force allow photos to be used for: the widest use
    of the newest consent (a newer signature replaces an older choice)."""
    newest = consents_in_force(patient=patient, on=on).values_list("photo_use", flat=True)
    return newest.first() or PhotoUse.NONE


def photo_use_allows(granted: str, use: str) -> bool:
    return PHOTO_USE_ORDER.index(PhotoUse(granted)) >= PHOTO_USE_ORDER.index(PhotoUse(use))
