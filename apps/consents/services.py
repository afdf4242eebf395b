"""Writes of consents: publishing form versions, signing, remote-signing links, withdrawal.

Every write runs in one transaction and raises ValidationError with field-level messages;
`by` is the staff member acting (None only for a patient signing through their link)."""

import datetime
import functools
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.clinic.selectors import clinic_profile
from apps.consents import rendering
from apps.consents.models import (
    ConsentForm,
    ConsentRequest,
    ConsentVersion,
    PhotoUse,
    SignedConsent,
    VisitConsent,
)
from apps.consents.pdf import ConsentPage, consent_pdf
from apps.consents.selectors import (
    categories_with_forms,
    consents_relied_on,
    patients_with_signed_consents,
    version_is_current,
)
from apps.consents.signatures import signature_png
from apps.consents.tokens import signing_token
from apps.treatments.models import TreatmentSite
from exotrack.emails import email_message
from exotrack.history import recorded_by
from exotrack.private_files import private_storage

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.inventory.models import Product
    from apps.patients.models import Patient
    from apps.treatments.models import Dose, Visit

logger = logging.getLogger(__name__)

Params = ParamSpec("Params")
Result = TypeVar("Result")


def _recorded(service: Callable[Params, Result]) -> Callable[Params, Result]:
    """Run `service` in one transaction, its history rows naming its `by` as the actor."""

    @functools.wraps(service)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        # Every service wrapped here takes `by`, a staff member or None, as a required keyword.
        by = cast("User | None", kwargs["by"])
        with transaction.atomic(), recorded_by(by):
            return service(*args, **kwargs)

    return run


def _check_text(*, title: str, body: str, site_categories: list[str]) -> dict[str, str]:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the form a title."
    if not body.strip():
        errors["body"] = "Write the text the patient reads."
    elif unknown := rendering.unknown_placeholders(body):
        known = ", ".join(f"{{{name}}}" for name in rendering.PLACEHOLDERS)
        errors["body"] = (
            f"Unknown placeholder {', '.join(f'{{{n}}}' for n in unknown)}; use {known}."
        )
    valid = set(TreatmentSite.Category.values)
    if not site_categories:
        errors["site_categories"] = "Choose the treatment-site categories this form covers."
    elif not set(site_categories) <= valid:
        errors["site_categories"] = "Choose categories from the list."
    return errors


@_recorded
def consent_form_create(
    *, title: str, body: str, site_categories: list[str], by: "User"
) -> ConsentVersion:
    """A new consent form with its first version, published at once."""
    errors = _check_text(title=title, body=body, site_categories=site_categories)
    if not errors and ConsentForm.objects.filter(title__iexact=title.strip()).exists():
        errors["title"] = "A consent form with this title exists; publish a new version of it."
    if errors:
        raise ValidationError(errors)
    form = ConsentForm.objects.create(title=title.strip(), created_by=by)
    return ConsentVersion.objects.create(
        form=form,
        number=1,
        title=title.strip(),
        body=body.strip(),
        site_categories=sorted(set(site_categories)),
        published_by=by,
    )


@_recorded
def consent_version_publish(
    *,
    form: ConsentForm,
    title: str,
    body: str,
    site_categories: list[str],
    by: "User",
) -> ConsentVersion:
    """The next version of a form. Published versions stay as they were."""
    errors = _check_text(title=title, body=body, site_categories=site_categories)
    if errors:
        raise ValidationError(errors)
    # Locking the form numbers two managers' versions one after the other.
    form = ConsentForm.objects.select_for_update().get(pk=form.pk)
    latest = form.versions.order_by("-number").first()
    if (
        latest
        and latest.title == title.strip()
        and latest.body == body.strip()
        and latest.site_categories == sorted(set(site_categories))
    ):
        raise ValidationError("Nothing changed: this text is already the latest version.")
    return ConsentVersion.objects.create(
        form=form,
        number=(latest.number if latest else 0) + 1,
        title=title.strip(),
        body=body.strip(),
        site_categories=sorted(set(site_categories)),
        published_by=by,
    )


def consent_text(
    *,
    version: ConsentVersion,
    patient: "Patient",
    product: "Product | None",
    on: datetime.date,
) -> tuple[str, str]:
    """The version's title and body as this patient reads them today (placeholders filled)."""
    values = rendering.placeholder_values(
        clinic=clinic_profile().name, patient=patient.full_name, on=on, product=product
    )
    return (
        rendering.fill_placeholders(version.title, values, markdown=False),
        rendering.fill_placeholders(version.body, values),
    )


def _check_signing(
    *, version: ConsentVersion, signed_name: str, signature: str, photo_use: str
) -> bytes:
    errors = {}
    png = b""
    if not version_is_current(version):
        errors["version"] = (
            "A newer version of this form has been published; open the form again to sign it."
        )
    if not signed_name.strip():
        errors["signed_name"] = "Type your full name."
    if photo_use not in PhotoUse.values:
        errors["photo_use"] = "Choose what photos of you may be used for."
    try:
        png = signature_png(signature)
    except ValidationError as problem:
        errors["signature"] = problem.messages[0]
    if errors:
        raise ValidationError(errors)
    return png


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d %B %Y, %H:%M %Z")


@_recorded
def consent_sign(
    *,
    patient: "Patient",
    version: ConsentVersion,
    product: "Product | None",
    signed_name: str,
    signature: str,
    photo_use: str,
    by: "User | None",
    request: ConsentRequest | None = None,
) -> SignedConsent:
    """Record the patient's signature on `version` and archive the PDF of what they read.

    In the clinic `by` is the signed-in staff member, who witnesses it; through an e-mailed
    link `request` is the consent request and there is no witness."""
    png = _check_signing(
        version=version, signed_name=signed_name, signature=signature, photo_use=photo_use
    )
    signed_at = timezone.now()
    title, text = consent_text(
        version=version, patient=patient, product=product, on=timezone.localdate(signed_at)
    )
    witness = (
        by.get_full_name() or by.get_username()
        if by
        else "None: signed remotely through a personal link e-mailed to "
        f"{request.email if request else 'the patient'}"
    )
    pdf = consent_pdf(
        ConsentPage(
            clinic=clinic_profile().name,
            title=title,
            version=f"Consent form version {version.number}",
            patient=f"{patient.full_name} ({patient.mrn}), born {patient.date_of_birth:%d %B %Y}",
            body_html=rendering.consent_html(text),
            photo_use=PhotoUse(photo_use).label,
            signed_name=signed_name.strip(),
            signature_png=png,
            signed_at=_local(signed_at),
            witness=witness,
        )
    )
    name = f"consents/{patient.pk}/{signed_at:%Y%m%d%H%M%S}-{version.pk}.pdf"
    consent = SignedConsent(
        patient=patient,
        version=version,
        product=product,
        shown_title=title,
        shown_text=text,
        photo_use=photo_use,
        signed_name=signed_name.strip(),
        signature_png=png,
        signed_at=signed_at,
        witness=by,
        request=request,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_bytes=len(pdf),
    )
    # Stored before the row commits; a failed commit leaves an unreferenced file, never a
    # consent without its PDF.
    consent.pdf_name = private_storage().save(name, ContentFile(pdf))
    consent.save()
    return consent


def consent_pdf_bytes(consent: SignedConsent) -> bytes:
    """The archived PDF, checked against the SHA-256 stored when it was signed."""
    with private_storage().open(consent.pdf_name, "rb") as stored:
        pdf = stored.read()
    if hashlib.sha256(pdf).hexdigest() != consent.pdf_sha256:
        logger.error("Consent %s: the archived PDF no longer matches its SHA-256", consent.pk)
        raise ValidationError("The archived PDF does not match its fingerprint; tell the manager.")
    return pdf


@_recorded
def consent_withdraw(*, consent: SignedConsent, reason: str, by: "User") -> SignedConsent:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the consent is withdrawn."})
    consent = SignedConsent.objects.select_for_update().get(pk=consent.pk)
    if consent.is_withdrawn:
        raise ValidationError("This consent was already withdrawn.")
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.withdraw_reason = reason.strip()
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    return consent


@_recorded
def consent_request_send(
    *, patient: "Patient", version: ConsentVersion, product: "Product | None", by: "User"
) -> ConsentRequest:
    """E-mail the patient a personal link to read and sign `version` on their own device."""
    errors = {}
    if not patient.email:
        errors["patient"] = "The patient has no e-mail address; add one or sign in the clinic."
    if not version_is_current(version):
        errors["version"] = "Choose the latest version of the form."
    if errors:
        raise ValidationError(errors)
    request = ConsentRequest.objects.create(
        patient=patient, version=version, product=product, email=patient.email, requested_by=by
    )
    # Imported here: the tasks module imports this one.
    from apps.consents.tasks import consent_request_email

    consent_request_email.delay_on_commit(request.pk)
    return request


def consent_request_email_send(*, request_id: int) -> None:
    """Send the signing link once; a retry after a sent e-mail does nothing."""
    with transaction.atomic():
        request = (
            ConsentRequest.objects.select_for_update()
            .select_related("patient", "version")
            .get(pk=request_id)
        )
        if request.emailed_at or request.used_at:
            return
        clinic = clinic_profile()
        message = email_message(
            template="consents/email/signing_link",
            context={
                "clinic": clinic,
                "first_name": request.patient.first_name,
                "title": request.version.title,
                "link": f"{settings.SITE_URL}/p/consent/{signing_token(request.pk)}/",
                "days": settings.CONSENT_SIGNING_LINK_DAYS,
            },
            to=[request.email],
        )
        # Sent inside the lock and marked after the server accepted it: an SMTP error
        # rolls back and the task retries.
        message.send()
        request.emailed_at = timezone.now()
        request.save(update_fields=["emailed_at"])


class SigningUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def consent_request_open(request_id: int) -> ConsentRequest:
    """The request behind a patient's link, if it can still be signed."""
    request = (
        ConsentRequest.objects.select_related("patient", "version", "product")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.patient.voided_at is not None:
        raise SigningUnavailable("unknown")
    if request.used_at is not None:
        raise SigningUnavailable("used")
    if not version_is_current(request.version):
        raise SigningUnavailable("replaced")
    return request


@transaction.atomic
def consent_sign_remotely(
    *, request_id: int, signed_name: str, signature: str, photo_use: str
) -> SignedConsent:
    """The patient signs through their link; the link is used up in the same transaction."""
    request = ConsentRequest.objects.select_for_update().get(pk=request_id)
    request = consent_request_open(request.pk)
    consent = consent_sign(
        patient=request.patient,
        version=request.version,
        product=request.product,
        signed_name=signed_name,
        signature=signature,
        photo_use=photo_use,
        by=None,
        request=request,
    )
    request.used_at = consent.signed_at
    request.save(update_fields=["used_at"])
    return consent


def visit_consent_gap(
    *,
    patient: "Patient",
    site_categories: set[str],
    on: datetime.date,
    with_forms: set[str] | None = None,
    signed_any: bool = True,
) -> str | None:
    """What the visit form says when no signed consent covers a treated site: None when
    one does for every category the clinic keeps a form for. (`with_forms`, `signed_any`:
    read once for many visits, see consents_relied_on.)"""
    _, uncovered = consents_relied_on(
        patient=patient,
        site_categories=site_categories,
        on=on,
        with_forms=with_forms,
        signed_any=signed_any,
    )
    if not uncovered:
        return None
    labels = dict(TreatmentSite.Category.choices)
    names = ", ".join(sorted(labels[code].lower() for code in uncovered))
    return (
        f"No signed consent covers the {names} treatment: none in force signed in the "
        f"{settings.CONSENT_VALID_DAYS} days up to the visit. Take the consent now, or "
        "give the reason for going ahead without it."
    )


def visit_consent_unrecorded(
    *, site_categories: set[str], with_forms: set[str] | None = None
) -> str | None:
    """What the visit form says when "Consent recorded" is unticked for treatment that
    no consent form of the clinic covers: nothing would show that the patient agreed.
    (Categories with a form are the signed-consent check's, visit_consent_gap.)"""
    without_forms = site_categories - (
        categories_with_forms() if with_forms is None else with_forms
    )
    if not without_forms:
        return None
    labels = dict(TreatmentSite.Category.choices)
    names = ", ".join(sorted(labels[code].lower() for code in without_forms))
    return (
        f'No consent is recorded for the {names} treatment. Tick "Consent recorded" and '
        "give the form's version, or give the reason for going ahead without it."
    )


def visit_consents_link(*, visit: "Visit") -> list[VisitConsent]:
    """Record which signed consents the newly recorded visit relied on."""
    relied, _ = consents_relied_on(
        patient=visit.patient,
        site_categories={dose.site.category for dose in visit.doses.select_related("site")},
        on=timezone.localdate(visit.visited_at),
    )
    return VisitConsent.objects.bulk_create(
        VisitConsent(visit=visit, consent=consent) for consent in relied
    )


def past_visits_consents_link(*, visits: list["Visit"], doses: list["Dose"]) -> None:
    """visit_consents_link for many visits recorded at once (an import), given their
    doses: the forms and who signed anything read once, one insert for all the links."""
    categories: dict[int, set[str]] = {}
    for dose in doses:
        categories.setdefault(dose.visit_id, set()).add(dose.site.category)
    with_forms = categories_with_forms()
    needing = [visit for visit in visits if categories.get(visit.pk, set()) & with_forms]
    if not needing:
        return
    signed = patients_with_signed_consents(patient_ids={visit.patient_id for visit in needing})
    links = []
    for visit in needing:
        relied, _ = consents_relied_on(
            patient=visit.patient,
            site_categories=categories[visit.pk],
            on=timezone.localdate(visit.visited_at),
            with_forms=with_forms,
            signed_any=visit.patient_id in signed,
        )
        links += [VisitConsent(visit=visit, consent=consent) for consent in relied]
    VisitConsent.objects.bulk_create(links)
