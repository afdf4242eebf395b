"""Staff pages of consents: managers keep the forms; clinical staff have patients sign
(witnessing it), send remote-signing links, open, print and withdraw signed consents.
Every read of a signed consent is written to the access log."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.requests import StaffRequest
from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.consents import rendering
from apps.consents.forms import (
    ConsentVersionForm,
    SignatureForm,
    SigningChoiceForm,
    WithdrawForm,
)
from apps.consents.models import ConsentForm, ConsentVersion, SignedConsent
from apps.consents.selectors import consent_form_versions, consent_forms, current_versions
from apps.consents.services import (
    consent_form_create,
    consent_pdf_bytes,
    consent_request_send,
    consent_sign,
    consent_text,
    consent_version_publish,
    consent_withdraw,
)
from apps.inventory.models import Product
from apps.patients.models import Patient
from apps.patients.selectors import patients_visible_to
from exotrack.forms import add_service_errors


def _clinical_patients(user: User, *, include_voided: bool = False) -> QuerySet[Patient]:
    # Consents are clinical records: without clinical access no patient is found here.
    patients = patients_visible_to(user, include_voided=include_voided)
    return patients if user.has_perm("patients.view_clinical") else patients.none()


def _clinical_patient(request: StaffRequest, pk: int) -> Patient:
    return get_object_or_404(_clinical_patients(request.user), pk=pk)


def _visible_consent(request: StaffRequest, pk: int) -> SignedConsent:
    consent = get_object_or_404(
        SignedConsent.objects.select_related("version", "patient", "witness", "withdrawn_by"),
        pk=pk,
    )
    # A consent of a voided patient stays readable (e.g. from the access log).
    get_object_or_404(_clinical_patients(request.user, include_voided=True), pk=consent.patient_id)
    return consent


# Managers: the consent forms and their versions.


@login_required
@permission_required("consents.view_consentform", raise_exception=True)
def form_list(request: StaffRequest) -> HttpResponse:
    return render(request, "consents/form_list.html", {"forms": consent_forms()})


@login_required
@permission_required("consents.add_consentform", raise_exception=True)
def form_create(request: StaffRequest) -> HttpResponse:
    form = ConsentVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = consent_form_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{version.title}” published as version 1.")
            return redirect("consents:form-detail", pk=version.form_id)
    return render(
        request, "consents/version_form.html", {"form": form, "heading": "New consent form"}
    )


@login_required
@permission_required("consents.view_consentform", raise_exception=True)
def form_detail(request: StaffRequest, pk: int) -> HttpResponse:
    consent_form = get_object_or_404(ConsentForm, pk=pk)
    versions = list(consent_form_versions(form=consent_form))
    return render(
        request,
        "consents/form_detail.html",
        {"consent_form": consent_form, "versions": versions},
    )


@login_required
@permission_required("consents.add_consentversion", raise_exception=True)
def version_create(request: StaffRequest, pk: int) -> HttpResponse:
    consent_form = get_object_or_404(ConsentForm, pk=pk)
    # A form is created with its first version, so it always has a latest one.
    latest = consent_form.versions.latest("number")
    initial = {
        "title": latest.title,
        "body": latest.body,
        "site_categories": latest.site_categories,
    }
    form = ConsentVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = consent_version_publish(
                form=consent_form, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{version.title}” published as version {version.number}.")
            return redirect("consents:form-detail", pk=consent_form.pk)
    return render(
        request,
        "consents/version_form.html",
        {
            "form": form,
            "heading": f"New version of “{consent_form.title}”",
            "note": f"Version {latest.number} stays as it is; patients sign the new one.",
        },
    )


@login_required
@permission_required("consents.view_consentform", raise_exception=True)
def version_detail(request: StaffRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(
        ConsentVersion.objects.select_related("form", "published_by"), pk=pk
    )
    # The preview fills the placeholders with their names, so a manager sees where they go.
    sample = {name: f"[{name}]" for name in rendering.PLACEHOLDERS}
    return render(
        request,
        "consents/version_detail.html",
        {
            "version": version,
            "body_html": rendering.consent_html(rendering.fill_placeholders(version.body, sample)),
        },
    )


# Clinical staff: signing in the clinic, and remote-signing links.


def _choice_form(data: QueryDict | None) -> SigningChoiceForm:
    return SigningChoiceForm(
        data,
        versions=current_versions(),
        products=Product.objects.select_related("manufacturer").order_by("name"),
    )


@login_required
@permission_required("consents.add_signedconsent", raise_exception=True)
def sign(request: StaffRequest, pk: int) -> HttpResponse:
    """Step one chooses the form and product (GET); step two shows the filled-in text with
    the signature pad, and signing posts back here with the same choice."""
    patient = _clinical_patient(request, pk)
    data = request.POST if request.method == "POST" else (request.GET or None)
    choice = _choice_form(data)
    context: dict[str, object] = {"patient": patient, "choice": choice}
    if not choice.is_bound or not choice.is_valid():
        return render(request, "consents/sign_choose.html", context)
    version, product = choice.cleaned_data["version"], choice.cleaned_data["product"]
    form = SignatureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = consent_sign(
                patient=patient,
                version=version,
                product=product,
                by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{consent.shown_title}” signed and archived.")
            return redirect("consents:detail", pk=consent.pk)
    title, text = consent_text(
        version=version, patient=patient, product=product, on=timezone.localdate()
    )
    context.update(
        form=form,
        version=version,
        product=product,
        title=title,
        body_html=rendering.consent_html(text),
    )
    return render(request, "consents/sign.html", context, status=400 if form.is_bound else 200)


@require_POST
@login_required
@permission_required("consents.add_consentrequest", raise_exception=True)
def send_link(request: StaffRequest, pk: int) -> HttpResponse:
    patient = _clinical_patient(request, pk)
    choice = _choice_form(request.POST)
    if choice.is_valid():
        try:
            sent = consent_request_send(
                patient=patient,
                version=choice.cleaned_data["version"],
                product=choice.cleaned_data["product"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Signing link for “{sent.version.title}” e-mailed to {sent.email}."
            )
    else:
        messages.error(request, "Choose a consent form to send.")
    return redirect("patients:detail", pk=patient.pk)


# Signed consents: open, PDF, withdraw.


@login_required
@permission_required("consents.view_signedconsent", raise_exception=True)
def detail(request: StaffRequest, pk: int) -> HttpResponse:
    consent = _visible_consent(request, pk)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        subject="consent",
        patient_id=consent.patient_id,
        object_id=consent.pk,
        path=request.path,
    )
    signature = base64.b64encode(bytes(consent.signature_png)).decode()
    return render(
        request,
        "consents/consent_detail.html",
        {
            "consent": consent,
            "body_html": rendering.consent_html(consent.shown_text),
            "signature_src": f"data:image/png;base64,{signature}",
        },
    )


@login_required
@permission_required("consents.view_signedconsent", raise_exception=True)
def pdf(request: StaffRequest, pk: int) -> HttpResponse:
    consent = _visible_consent(request, pk)
    download = request.GET.get("download") == "1"
    access_log_record(
        user=request.user,
        action=AccessLog.Action.EXPORT if download else AccessLog.Action.VIEW,
        subject="consent-pdf",
        patient_id=consent.patient_id,
        object_id=consent.pk,
        path=request.get_full_path(),
    )
    try:
        content = consent_pdf_bytes(consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consents:detail", pk=consent.pk)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"consent-{consent.patient.mrn}-{consent.signed_at:%Y%m%d}-{consent.pk}.pdf"
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("consents.withdraw_signedconsent", raise_exception=True)
def withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    consent = _visible_consent(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent_withdraw(consent=consent, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{consent.shown_title}” withdrawn.")
            return redirect("consents:detail", pk=consent.pk)
    return render(request, "consents/withdraw.html", {"consent": consent, "form": form})
