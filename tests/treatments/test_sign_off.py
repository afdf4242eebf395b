"""Clinician sign-off: a nurse saves a visit whose warnings only a clinician may
acknowledge, and a share of nurses' visits is picked for chart review; a clinician signs
them off, through the service, the pages and the API alike."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import FollowUp
from apps.treatments import services
from apps.treatments.models import Visit
from apps.treatments.selectors import sign_off_counts, visits_awaiting_sign_off
from tests.builders import (
    assert_nothing_changed,
    earlier_today,
    knee_dose,
    login_api,
    record,
    visit_api_body,
    visit_form_data,
)
from tests.factories import ClinicProfileFactory, FollowUpRuleFactory

pytestmark = pytest.mark.django_db
AWAITING = Visit.SignOff.AWAITING


@pytest.fixture
def no_chart_review(db):
    return ClinicProfileFactory(chart_review_percent=0)


@pytest.fixture
def over_range(patient, knee, lot):
    """A visit only a clinician may let through: 8 bn into a 3-5 bn knee, and a
    cold-sore history with no prophylaxis."""
    patient.cold_sore_history = True
    patient.save()
    return [knee_dose(knee, lot, billions="8")]


def test_a_nurse_saves_for_sign_off_and_the_day_goes_on(
    nurse, clinician, patient, location, lot, over_range, no_chart_review
):
    FollowUpRuleFactory()
    with pytest.raises(services.WarningsNeedAcknowledgement) as refused, assert_nothing_changed():
        record(by=nurse, patient=patient, location=location, clinician=clinician, doses=over_range)
    assert not refused.value.may_acknowledge

    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=over_range,
        save_for_sign_off=True,
    )

    assert visit.sign_off == AWAITING and not visit.chart_review
    assert [(w.code, w.reason, w.acknowledged_by) for w in visit.warnings.all()] == [
        ("dose_out_of_range", "", None),
        ("cold_sore_no_prophylaxis", "", None),
    ]
    lot.refresh_from_db()
    assert lot.vials_on_hand == 8  # 8 bn of a 5 bn/vial lot: two vials opened
    assert FollowUp.objects.filter(patient=patient).count() == 1
    assert list(visits_awaiting_sign_off(user=clinician)) == [visit]
    assert sign_off_counts(user=clinician)["waiting"] == 1


def test_a_clinician_signs_off_with_a_reason_per_warning(
    nurse, clinician, patient, location, over_range, no_chart_review
):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=over_range,
        save_for_sign_off=True,
    )
    with pytest.raises(ValidationError) as unexplained, assert_nothing_changed():
        services.visit_sign_off(
            visit=visit, by=clinician, acknowledgements={"dose_out_of_range": "Severe OA"}
        )
    assert [e.code for e in unexplained.value.error_dict["acknowledgements"]] == [
        "cold_sore_no_prophylaxis"
    ]
    with pytest.raises(PermissionDenied):
        services.visit_sign_off(visit=visit, by=nurse, acknowledgements={})

    signed = services.visit_sign_off(
        visit=visit,
        by=clinician,
        acknowledgements={
            "dose_out_of_range": "Severe OA on imaging; discussed.",
            "cold_sore_no_prophylaxis": "No outbreak in ten years; patient declined.",
        },
        note="  Checked the record.  ",
    )

    assert (signed.sign_off, signed.signed_off_by, signed.sign_off_note) == (
        Visit.SignOff.SIGNED_OFF,
        clinician,
        "Checked the record.",
    )
    assert all(
        w.acknowledged_by == clinician and w.acknowledged_at == signed.signed_off_at
        for w in signed.warnings.all()
    )
    assert list(visits_awaiting_sign_off(user=clinician)) == []
    with pytest.raises(ValidationError) as twice:
        services.visit_sign_off(visit=visit, by=clinician, acknowledgements={})
    assert twice.value.code == "not_awaiting_sign_off"


def test_a_voided_visit_no_longer_waits(
    nurse, clinician, patient, location, over_range, no_chart_review
):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=over_range,
        save_for_sign_off=True,
    )
    services.visit_void(visit=visit, by=clinician, reason="Recorded against the wrong patient.")
    assert list(visits_awaiting_sign_off(user=clinician)) == []
    assert sign_off_counts(user=clinician)["waiting"] == 0
    with pytest.raises(ValidationError) as refused:
        services.visit_sign_off(visit=visit, by=clinician, acknowledgements={})
    assert refused.value.code == "visit_voided"


def test_a_clinician_never_saves_with_warnings_unanswered(clinician, patient, location, over_range):
    with pytest.raises(services.WarningsNeedAcknowledgement), assert_nothing_changed():
        record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=over_range,
            save_for_sign_off=True,
        )


@pytest.mark.parametrize(("percent", "awaits"), [(100, True), (0, False)])
def test_chart_review_picks_nurses_visits_by_the_clinic_setting(
    nurse, clinician, patient, location, knee, lot, percent, awaits
):
    ClinicProfileFactory(chart_review_percent=percent)
    by_nurse = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    by_clinician = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
        visited_at=earlier_today(minutes=65),
    )
    assert (by_nurse.sign_off == AWAITING, by_nurse.chart_review) == (awaits, awaits)
    assert (by_clinician.sign_off, by_clinician.chart_review) == (Visit.SignOff.NOT_NEEDED, False)
    if awaits:
        # With no warning to answer, the review is signed off with no reasons at all.
        signed = services.visit_sign_off(visit=by_nurse, by=clinician, acknowledgements={})
        assert signed.sign_off == Visit.SignOff.SIGNED_OFF


def test_chart_review_is_random_across_visits_and_reproducible_for_each():
    start = timezone.now()
    visits = [(n % 500, start - datetime.timedelta(minutes=n)) for n in range(4000)]
    picked = [
        services.chart_review_picked(patient_id=p, visited_at=at, percent=10) for p, at in visits
    ]
    assert 0.08 < sum(picked) / len(picked) < 0.12
    again = [
        services.chart_review_picked(patient_id=p, visited_at=at, percent=10) for p, at in visits
    ]
    assert again == picked
    # The same instant written in another zone is the same visit.
    p, at = visits[0]
    assert (
        services.chart_review_picked(patient_id=p, visited_at=timezone.localtime(at), percent=10)
        == picked[0]
    )


# --- Pages --------------------------------------------------------------------------


def _visit_form(patient, location, clinician, knee, lot, **extra) -> dict:
    dose = {"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "8"}
    return visit_form_data(location=location, clinician=clinician, dose=dose, **extra)


def test_the_pages_carry_a_nurses_visit_to_a_clinicians_sign_off(
    client, nurse, clinician, patient, location, knee, lot, over_range, no_chart_review
):
    client.force_login(nurse)
    add = f"{reverse('treatments:visit-add')}?patient={patient.pk}"
    asked = client.post(add, _visit_form(patient, location, clinician, knee, lot))
    assert asked.status_code == 200
    assert b"Save for clinician sign-off" in asked.content
    saved = client.post(
        add, _visit_form(patient, location, clinician, knee, lot, save_for_sign_off="yes")
    )
    visit = Visit.objects.get()
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "treatments:visit-detail", args=[visit.pk]
    )
    nurse_view = client.get(saved["Location"]).content.decode()
    assert "Awaiting clinician sign-off" in nurse_view
    assert 'id="sign-off"' not in nurse_view  # a nurse reads, but cannot sign
    assert client.post(reverse("treatments:visit-sign-off", args=[visit.pk])).status_code == 403

    client.force_login(clinician)
    listed = client.get(reverse("treatments:sign-off-list")).content.decode()
    assert patient.full_name in listed and "Dose outside the site&#x27;s range" in listed
    dashboard = client.get("/").content.decode()
    assert "<strong>1</strong> visit awaiting" in dashboard
    sign_off = reverse("treatments:visit-sign-off", args=[visit.pk])
    half = client.post(sign_off, {"ack-dose_out_of_range": "Severe OA"})
    assert half.status_code == 400
    assert "Give the reason for going ahead" in half.content.decode()
    assert Visit.objects.get().sign_off == AWAITING
    done = client.post(
        sign_off,
        {
            "ack-dose_out_of_range": "Severe OA",
            "ack-cold_sore_no_prophylaxis": "Declined valacyclovir",
            "note": "Fine.",
        },
    )
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Signed off" in page and "Declined valacyclovir" in page


# --- API ----------------------------------------------------------------------------


def test_the_api_has_the_same_states_and_a_sign_off_action(
    api_client, nurse, clinician, patient, location, knee, lot, over_range, no_chart_review
):
    body = visit_api_body(
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "8"}],
        indication="Osteoarthritis, knee",
        save_for_sign_off=True,
    )
    login_api(api_client, nurse)
    created = api_client.post("/api/v1/visits/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["sign_off"] == "awaiting"
    assert [w["acknowledged_by"] for w in created.json()["warnings"]] == [None, None]
    visit_id = created.json()["id"]
    action = f"/api/v1/visits/{visit_id}/sign-off/"
    assert api_client.post(action, {}, format="json").status_code == 403

    login_api(api_client, clinician)
    waiting = api_client.get("/api/v1/visits/", {"sign_off": "awaiting"}).json()["results"]
    assert [v["id"] for v in waiting] == [visit_id]
    with assert_nothing_changed():
        half = api_client.post(
            action,
            {"acknowledgements": [{"code": "dose_out_of_range", "reason": "Severe OA"}]},
            format="json",
        )
    assert half.status_code == 400
    assert [(e["attr"], e["code"]) for e in half.json()["errors"]] == [
        ("acknowledgements", "cold_sore_no_prophylaxis")
    ]
    signed = api_client.post(
        action,
        {
            "acknowledgements": [
                {"code": "dose_out_of_range", "reason": "Severe OA"},
                {"code": "cold_sore_no_prophylaxis", "reason": "Declined"},
            ],
            "note": "Reviewed.",
        },
        format="json",
    )
    assert signed.status_code == 200, signed.content
    assert (signed.json()["sign_off"], signed.json()["signed_off_by"]) == (
        "signed_off",
        clinician.pk,
    )
    again = api_client.post(action, {}, format="json")
    assert [(e["attr"], e["code"]) for e in again.json()["errors"]] == [
        ("non_field_errors", "not_awaiting_sign_off")
    ]
    assert api_client.get("/api/v1/visits/", {"sign_off": "awaiting"}).json()["results"] == []
