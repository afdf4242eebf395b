import pytest
from django.urls import reverse

from apps.audit.models import AccessLog
from apps.consents.models import ConsentVersion, PhotoUse, SignedConsent
from apps.consents.services import consent_sign
from tests.builders import BODY, drawn_signature


@pytest.fixture
def signed(consent_version, patient, product, nurse):
    return consent_sign(
        patient=patient,
        version=consent_version,
        product=product,
        signed_name="Ada Lovelace",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=nurse,
    )


def test_a_manager_publishes_a_form_and_a_new_version(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("consents:form-create"),
        {"title": "Scalp treatment", "body": BODY, "site_categories": ["scalp"]},
    )
    version = ConsentVersion.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("consents:form-detail", args=[version.form_id]))
    assert b"Version 1" in page.content
    edit = client.get(reverse("consents:version-create", args=[version.form_id]))
    assert b"Scalp treatment" in edit.content  # the form starts from the latest text
    client.post(
        reverse("consents:version-create", args=[version.form_id]),
        {"title": "Scalp treatment", "body": BODY + "\nMore.", "site_categories": ["scalp"]},
    )
    assert list(ConsentVersion.objects.values_list("number", flat=True)) == [2, 1]
    preview = client.get(reverse("consents:version-detail", args=[version.pk]))
    assert b"[patient]" in preview.content


def test_a_form_with_an_unknown_placeholder_says_which(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("consents:form-create"),
        {"title": "Bad", "body": "Dear {name}", "site_categories": ["face"]},
    )
    assert response.status_code == 200
    assert "Unknown placeholder {name}" in response.content.decode()
    assert not ConsentVersion.objects.exists()


def test_nurses_do_not_keep_consent_forms(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("consents:form-list")).status_code == 403


def test_signing_in_the_clinic_shows_the_filled_text_and_archives_it(
    client, nurse, consent_version, patient, product
):
    client.force_login(nurse)
    url = reverse("consents:sign", args=[patient.pk])
    choose = client.get(url)
    assert consent_version.title in choose.content.decode()
    query = {"version": consent_version.pk, "product": product.pk}
    page = client.get(url, query)
    text = page.content.decode()
    assert "I, Ada Lovelace, agree" in text and "IND 012345" in text
    assert "signature-pad.js" in text and "<script>" not in text  # no inline script (CSP)
    response = client.post(
        url,
        {
            **query,
            "signed_name": "Ada Lovelace",
            "signature": drawn_signature(),
            "photo_use": PhotoUse.TEACHING,
        },
    )
    consent = SignedConsent.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("consents:detail", args=[consent.pk])
    assert consent.witness == nurse and consent.photo_use == PhotoUse.TEACHING


def test_a_blank_canvas_gets_an_error_summary_and_stores_nothing(
    client, nurse, consent_version, patient
):
    client.force_login(nurse)
    response = client.post(
        reverse("consents:sign", args=[patient.pk]),
        {
            "version": consent_version.pk,
            "signed_name": "Ada Lovelace",
            "signature": "",
            "photo_use": PhotoUse.RECORD,
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text and "the box is still empty" in text
    assert not SignedConsent.objects.exists()


def test_front_desk_cannot_open_or_take_consents(client, front_desk, signed, patient):
    client.force_login(front_desk)
    assert client.get(reverse("consents:detail", args=[signed.pk])).status_code == 403
    assert client.get(reverse("consents:sign", args=[patient.pk])).status_code == 403
    page = client.get(reverse("patients:detail", args=[patient.pk]))
    assert b"consents-heading" not in page.content


def test_reading_a_consent_and_its_pdf_is_access_logged(client, clinician, signed):
    client.force_login(clinician)
    page = client.get(reverse("consents:detail", args=[signed.pk]))
    assert signed.pdf_sha256 in page.content.decode()
    shown = client.get(reverse("consents:pdf", args=[signed.pk]))
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline;")
    assert shown.content.startswith(b"%PDF-")
    download = client.get(reverse("consents:pdf", args=[signed.pk]), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")
    entries = list(
        AccessLog.objects.filter(patient_id=signed.patient_id)
        .order_by("id")
        .values_list("subject", "action")
    )
    assert entries == [
        ("consent", "view"),
        ("consent-pdf", "view"),
        ("consent-pdf", "export"),
    ]


def test_withdrawal_confirms_first_and_needs_a_reason(client, clinician, signed):
    client.force_login(clinician)
    url = reverse("consents:withdraw", args=[signed.pk])
    confirm = client.get(url)
    assert "cannot be undone" in confirm.content.decode()
    client.post(url, {"reason": ""})
    signed.refresh_from_db()
    assert not signed.is_withdrawn
    client.post(url, {"reason": "Patient withdrew by phone"})
    signed.refresh_from_db()
    assert signed.withdraw_reason == "Patient withdrew by phone"


def test_the_patient_page_lists_consents_in_constant_queries(
    client, clinician, consent_version, patient, product, nurse, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clinician)
    url = reverse("patients:detail", args=[patient.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    consent_sign(
        patient=patient,
        version=consent_version,
        product=product,
        signed_name="Ada",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=nurse,
    )
    one = queries()
    for _ in range(3):
        consent_sign(
            patient=patient,
            version=consent_version,
            product=product,
            signed_name="Ada",
            signature=drawn_signature(),
            photo_use=PhotoUse.RECORD,
            by=nurse,
        )
    page = client.get(url)
    assert page.content.decode().count("Knee and face exosome treatment") == 4
    assert queries() == one
