"""A visit relies on a signed consent covering each treated site's category; without one
(where the clinic keeps a consent form for that category) a clinician acknowledges the
warning, or the consent is taken first."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.consents.models import VisitConsent
from apps.consents.services import consent_form_create, consent_withdraw
from apps.treatments.models import Visit
from apps.treatments.services import WarningsNeedAcknowledgement
from tests.builders import BODY, consent_signed, earlier_today, knee_dose, record
from tests.factories import LocationFactory, LotFactory, TreatmentSiteFactory


@pytest.fixture
def lot(db):
    return LotFactory(vials_received=10)


@pytest.fixture
def location(db):
    return LocationFactory(name="Main clinic")


@pytest.fixture
def knee(db):
    return TreatmentSiteFactory()  # a joint


def _sign(version, patient, by, *, days_ago: int = 0):
    signed_at = timezone.now() - datetime.timedelta(days=days_ago)
    with mock.patch("apps.consents.services.timezone.now", return_value=signed_at):
        return consent_signed(version, patient, by=by)


def _visit(by, patient, location, knee, lot, **extra):
    return record(
        by=by,
        patient=patient,
        location=location,
        clinician=by,
        doses=[knee_dose(knee, lot)],
        **extra,
    )


def test_without_any_consent_form_visits_go_on_as_before(clinician, patient, location, knee, lot):
    visit = _visit(clinician, patient, location, knee, lot)
    assert not visit.warnings.exists()
    assert not VisitConsent.objects.exists()


def test_a_signed_consent_covering_the_site_is_stored_with_the_visit(
    clinician, nurse, patient, location, knee, lot, consent_version
):
    consent = _sign(consent_version, patient, nurse)
    visit = _visit(nurse, patient, location, knee, lot)
    assert [row.consent for row in VisitConsent.objects.filter(visit=visit)] == [consent]
    assert not visit.warnings.exists()


@pytest.mark.parametrize("why", ["none", "other_site", "withdrawn", "too_old"])
def test_without_a_covering_consent_a_clinician_must_acknowledge(
    clinician, nurse, manager, patient, location, knee, lot, consent_version, settings, why
):
    if why == "other_site":
        scalp = consent_form_create(title="Scalp", body=BODY, site_categories=["scalp"], by=manager)
        _sign(scalp, patient, nurse)
    elif why == "withdrawn":
        consent_withdraw(
            consent=_sign(consent_version, patient, nurse), reason="Changed mind", by=nurse
        )
    elif why == "too_old":
        _sign(consent_version, patient, nurse, days_ago=settings.CONSENT_VALID_DAYS + 2)
    with pytest.raises(WarningsNeedAcknowledgement) as pending:
        _visit(nurse, patient, location, knee, lot)
    warning = pending.value.warnings[0]
    assert warning.code == "no_signed_consent"
    assert "No signed consent covers the joint treatment" in warning.message
    assert not Visit.objects.exists()
    visit = _visit(
        clinician,
        patient,
        location,
        knee,
        lot,
        acknowledgements={"no_signed_consent": "Paper consent signed, scanned later"},
    )
    assert visit.warnings.get().code == "no_signed_consent"
    assert not VisitConsent.objects.filter(visit=visit).exists()


def test_the_visit_form_offers_to_take_the_consent_now(
    client, nurse, clinician, patient, location, knee, lot, consent_version
):
    client.force_login(nurse)
    when = timezone.localtime(earlier_today())
    data = {
        "visited_at": when.strftime("%Y-%m-%dT%H:%M"),
        "location": location.pk,
        "clinician": clinician.pk,
        "indication": "Knee osteoarthritis",
        "doses-TOTAL_FORMS": "1",
        "doses-INITIAL_FORMS": "0",
        "doses-0-site": knee.pk,
        "doses-0-laterality": "left",
        "doses-0-lot": lot.pk,
        "doses-0-billions": "4",
        "doses-0-route": "intra_articular",
    }
    response = client.post(reverse("treatments:visit-add") + f"?patient={patient.pk}", data)
    text = response.content.decode()
    assert "No signed consent covers the joint treatment" in text
    assert reverse("consents:sign", args=[patient.pk]) in text


def test_the_visit_page_names_the_consent_relied_on(
    client, nurse, patient, location, knee, lot, consent_version
):
    consent = _sign(consent_version, patient, nurse)
    visit = _visit(nurse, patient, location, knee, lot)
    client.force_login(nurse)
    page = client.get(reverse("treatments:visit-detail", args=[visit.pk]))
    assert reverse("consents:detail", args=[consent.pk]) in page.content.decode()
