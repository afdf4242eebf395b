"""The visit pages: recording with a dose formset, warnings, scan, detail, void, list."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AccessLog
from apps.inventory.models import Lot
from apps.treatments.models import Visit
from apps.treatments.services import visit_void
from tests.builders import assert_nothing_changed, earlier_today, knee_dose, record, vial_code
from tests.factories import DoseFactory, LotFactory, VisitFactory

pytestmark = pytest.mark.django_db


def _post_data(*, location, clinician, doses, **extra) -> dict:
    when = timezone.localtime(earlier_today())
    data = {
        "visited_at": when.strftime("%Y-%m-%dT%H:%M"),
        "location": location.pk,
        "clinician": clinician.pk,
        "indication": "Osteoarthritis, both knees",
        "consent_recorded": "on",
        "consent_form_version": "v3",
        "doses-TOTAL_FORMS": len(doses),
        "doses-INITIAL_FORMS": 0,
        "doses-MIN_NUM_FORMS": 1,
        "doses-MAX_NUM_FORMS": 1000,
    }
    for index, dose in enumerate(doses):
        for key, value in dose.items():
            data[f"doses-{index}-{key}"] = value
    data.update(extra)
    return data


def _add_url(patient) -> str:
    return reverse("treatments:visit-add") + f"?patient={patient.pk}"


def test_nurse_records_two_knees_and_stock_drops(
    client, nurse, clinician, patient, location, knee, lot
):
    client.force_login(nurse)
    page = client.get(_add_url(patient))
    assert page.status_code == 200
    assertContains(page, f"lot {lot.lot_number} · expires")
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[
            {"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"},
            {"site": knee.pk, "laterality": "right", "lot": lot.pk, "billions": "4.5"},
        ],
    )
    response = client.post(_add_url(patient), data)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("treatments:visit-detail", args=[visit.pk])
    assert visit.doses.count() == 2
    lot.refresh_from_db()
    assert lot.vials_on_hand == 8


def test_expired_lot_is_refused_next_to_the_dose(client, nurse, clinician, patient, location, knee):
    expired = LotFactory(
        expiry_date=datetime.date(2021, 5, 1), received_on=datetime.date(2020, 1, 1)
    )
    client.force_login(nurse)
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[{"site": knee.pk, "laterality": "left", "lot": expired.pk, "billions": "4"}],
    )
    response = client.post(_add_url(patient), data)
    assert response.status_code == 200
    assertContains(response, f"Lot {expired.lot_number} expired on 2021-05-01.")
    assert not Visit.objects.exists()


def test_zero_dose_and_future_visit_show_field_errors(
    client, nurse, clinician, patient, location, knee, lot
):
    client.force_login(nurse)
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "0"}],
        visited_at=future,
    )
    response = client.post(_add_url(patient), data)
    assertContains(response, "A dose is more than zero billion particles.")
    data["doses-0-billions"] = "4"
    response = client.post(_add_url(patient), data)
    assertContains(response, "A visit cannot be in the future.")
    assert not Visit.objects.exists()


def test_unknown_site_is_a_field_error(client, nurse, clinician, patient, location, lot):
    client.force_login(nurse)
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[{"site": 999999, "laterality": "left", "lot": lot.pk, "billions": "4"}],
    )
    response = client.post(_add_url(patient), data)
    assertContains(response, "Select a valid choice")
    assert not Visit.objects.exists()


def test_clinician_acknowledges_over_range_dose(client, clinician, patient, location, knee, lot):
    client.force_login(clinician)
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "8"}],
    )
    first = client.post(_add_url(patient), data)
    assert first.status_code == 200
    assertContains(first, "Knee (left): 8 bn is outside its usual 3-5 bn.")
    assertContains(first, 'name="ack-dose_out_of_range"')
    # In words, and no error before a reason was asked for.
    assertContains(first, "Dose outside the site&#x27;s range</span>")
    assertNotContains(first, "Give the reason for going ahead")
    assert not Visit.objects.exists()
    data["ack-dose_out_of_range"] = "   "
    empty = client.post(_add_url(patient), data)
    assertContains(empty, "Give the reason for going ahead, or change the visit.", count=1)
    assertContains(empty, 'aria-describedby="ack-dose_out_of_range-error"')
    assert not Visit.objects.exists()
    data["ack-dose_out_of_range"] = "Bone-on-bone, discussed with the patient"
    second = client.post(_add_url(patient), data)
    assert second.status_code == 302
    warning = Visit.objects.get().warnings.get()
    assert warning.reason == "Bone-on-bone, discussed with the patient"
    detail = client.get(second.url)
    assertContains(detail, "Bone-on-bone, discussed with the patient")


def test_nurse_is_told_only_a_clinician_may_acknowledge(
    client, nurse, clinician, patient, location, knee, lot
):
    client.force_login(nurse)
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[{"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "8"}],
        **{"ack-dose_out_of_range": "looks fine"},
    )
    response = client.post(_add_url(patient), data)
    assertContains(response, "Only a clinician may acknowledge these warnings")
    assertContains(response, "Save for clinician sign-off")
    assert 'name="ack-dose_out_of_range"' not in response.content.decode()
    assert not Visit.objects.exists()


def test_scanning_a_vial_fills_the_lot_and_the_sites_route(client, nurse, knee, lot):
    client.force_login(nurse)
    code = vial_code(lot)
    response = client.post(
        reverse("treatments:vial-scan"),
        {
            "prefix": "doses-1",
            "doses-1-scan": code,
            "doses-1-site": knee.pk,
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{lot.pk}" selected>' in html
    assert '<option value="intra_articular" selected>' in html
    assert f"lot {lot.lot_number} chosen" in html


def test_scanning_an_expired_vial_says_so(client, nurse):
    expired = LotFactory(
        expiry_date=datetime.date(2021, 5, 1), received_on=datetime.date(2020, 1, 1)
    )
    client.force_login(nurse)
    code = vial_code(expired)
    response = client.post(
        reverse("treatments:vial-scan"), {"prefix": "doses-0", "doses-0-scan": code}
    )
    assertContains(response, f"Lot {expired.lot_number} expired on 2021-05-01.")
    assert f'<option value="{expired.pk}" selected>' not in response.content.decode()


def test_visit_page_logs_the_read_and_voids_with_stock_back_the_same_day(
    client, clinician, nurse, patient, location, knee, lot
):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    client.force_login(clinician)
    page = client.get(reverse("treatments:visit-detail", args=[visit.pk]))
    assertContains(page, "Voided today, its vials go back to stock")
    entry = AccessLog.objects.get(subject="visit")
    assert (entry.user, entry.patient_id, entry.object_id) == (clinician, patient.pk, visit.pk)
    with assert_nothing_changed():
        refused = client.post(reverse("treatments:visit-void", args=[visit.pk]), {"reason": " "})
    assert refused.status_code == 400
    url = reverse("treatments:visit-void", args=[visit.pk])
    with assert_nothing_changed():
        asked = client.post(url, {"reason": "Wrong patient"})
    visit.refresh_from_db()
    assert not visit.is_voided
    # The confirm step names the patient, the dose and the stock it returns.
    assertContains(asked, "Void this visit?")
    assertContains(asked, f"{patient.full_name} ({patient.mrn})")
    assertContains(asked, f"{knee.name} (left): ")
    assertContains(asked, "Its vials go back to stock")
    assertContains(asked, 'name="reason" value="Wrong patient"')
    client.post(url, {"reason": "Wrong patient", "confirmed": "yes"})
    visit.refresh_from_db()
    assert visit.is_voided and visit.void_reason == "Wrong patient"
    lot.refresh_from_db()
    assert lot.vials_on_hand == lot.vials_received
    assert visit.vials_opened.get().returned.reason == f"Visit {visit.pk} voided: Wrong patient"


def test_voiding_on_a_later_day_keeps_the_vials_used(clinician, patient, location, knee, lot):
    visit = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
        visited_at=timezone.now() - datetime.timedelta(days=3),
    )
    visit_void(visit=visit, by=clinician, reason="Duplicate entry")
    lot.refresh_from_db()
    assert lot.vials_on_hand == lot.vials_received - 1
    assert visit.vials_opened.get().returned is None


def test_nurse_cannot_void(client, nurse, clinician, patient, location, knee, lot):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    client.force_login(nurse)
    page = client.get(reverse("treatments:visit-detail", args=[visit.pk]))
    assert "Void visit" not in page.content.decode()
    with assert_nothing_changed():
        response = client.post(reverse("treatments:visit-void", args=[visit.pk]), {"reason": "x"})
    assert response.status_code == 403
    visit.refresh_from_db()
    assert not visit.is_voided


def test_front_desk_and_outsider_get_no_visit_pages(client, front_desk, outsider, patient):
    visit = VisitFactory(patient=patient)
    for user in (front_desk, outsider):
        client.force_login(user)
        for url in (
            reverse("treatments:visit-list"),
            reverse("treatments:visit-detail", args=[visit.pk]),
            _add_url(patient),
        ):
            assert client.get(url).status_code == 403, (user, url)


def test_a_voided_patients_visit_cannot_be_added(client, nurse, patient):
    patient.voided_at = timezone.now()
    patient.save()
    client.force_login(nurse)
    assert client.get(_add_url(patient)).status_code == 404


def _visits(count: int) -> None:
    for _ in range(count):
        DoseFactory(visit=VisitFactory(), lot=LotFactory(vials_received=5))


@pytest.mark.parametrize("count", [1, 50])
def test_visit_list_costs_the_same_queries_at_1_and_50_visits(
    client, clinician, count, django_assert_num_queries
):
    _visits(count)
    client.force_login(clinician)
    # session, user, user and group permissions, count, access-log insert (its history
    # context and the insert are one statement), the user's roles for the top bar,
    # clinician and location filter choices, visits (+ patient, location, clinician),
    # doses (+ site, lot, product, maker), warnings.
    with django_assert_num_queries(12):
        response = client.get(reverse("treatments:visit-list"))
    assert len(response.context["page"].object_list) == count


def test_visit_list_filters_by_clinician_and_date(client, clinician, manager):
    mine = VisitFactory(clinician=clinician)
    other = VisitFactory(visited_at=timezone.now() - datetime.timedelta(days=40))
    client.force_login(manager)
    by_clinician = client.get(reverse("treatments:visit-list"), {"clinician": clinician.pk})
    assert list(by_clinician.context["page"].object_list) == [mine]
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    recent = client.get(reverse("treatments:visit-list"), {"date_from": since})
    assert list(recent.context["page"].object_list) == [mine]
    assert other.pk


# --- Site catalogue ---------------------------------------------------------------


def test_manager_adds_and_edits_a_site(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("treatments:site-add"),
        {
            "name": "Shoulder",
            "category": "joint",
            "dose_min_billions": "3",
            "dose_max_billions": "5",
            "default_route": "intra_articular",
            "laterality_applies": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    from apps.treatments.models import TreatmentSite

    site = TreatmentSite.objects.get(name="Shoulder")
    bad = client.post(
        reverse("treatments:site-edit", args=[site.pk]),
        {
            "name": "Shoulder",
            "category": "joint",
            "dose_min_billions": "6",
            "dose_max_billions": "5",
            "default_route": "intra_articular",
            "active": "on",
        },
    )
    assertContains(bad, "The highest usual dose is below the lowest.")
    site.refresh_from_db()
    assert site.dose_min_billions == Decimal("3")
    assertContains(client.get(reverse("treatments:site-list")), "Shoulder")


def test_nurse_reads_the_catalogue_but_cannot_change_it(client, nurse, knee):
    client.force_login(nurse)
    assertContains(client.get(reverse("treatments:site-list")), "Knee")
    assert client.get(reverse("treatments:site-add")).status_code == 403
    assert client.get(reverse("treatments:site-edit", args=[knee.pk])).status_code == 403


def test_patient_page_shows_visits_and_lots(client, clinician, nurse, patient, location, knee, lot):
    record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[patient.pk]))
    assertContains(page, "Record a visit")
    assertContains(page, "Knee (left): 4.00 bn")
    assertContains(page, lot.lot_number)
    assert Lot.objects.count() == 1


def test_lot_picker_lists_the_lots_usable_on_the_visit_day(client, nurse):
    soon = LotFactory(expiry_date=timezone.localdate() + datetime.timedelta(days=3))
    later = LotFactory(expiry_date=timezone.localdate() + datetime.timedelta(days=300))
    client.force_login(nurse)
    url = reverse("treatments:lot-options")
    today = client.get(url, {"on": timezone.localdate().isoformat()}).content.decode()
    # First expiry first.
    assert today.index(soon.lot_number) < today.index(later.lot_number)
    in_a_week = timezone.localdate() + datetime.timedelta(days=7)
    week = client.get(url, {"on": in_a_week.isoformat()}).content.decode()
    assert soon.lot_number not in week and later.lot_number in week


def test_an_error_lands_on_its_own_row_when_a_row_above_was_left_blank(
    client, nurse, clinician, patient, location, knee, lot
):
    expired = LotFactory(
        expiry_date=datetime.date(2021, 5, 1), received_on=datetime.date(2020, 1, 1)
    )
    client.force_login(nurse)
    data = _post_data(
        location=location,
        clinician=clinician,
        doses=[
            {"site": knee.pk, "laterality": "left", "lot": lot.pk, "billions": "4"},
            {"laterality": "na"},
            {"site": knee.pk, "laterality": "right", "lot": expired.pk, "billions": "4"},
        ],
    )
    response = client.post(_add_url(patient), data)
    rows = response.context["formset"].forms
    assert rows[2].errors["lot"] == [f"Lot {expired.lot_number} expired on 2021-05-01."]
    assert not rows[1].errors and not rows[0].errors
    assert not Visit.objects.exists()


@pytest.mark.parametrize("count", [1, 20])
def test_patient_timeline_and_lots_cost_the_same_queries_at_1_and_20_visits(
    clinician, patient, count, django_assert_num_queries
):
    from django.template.loader import render_to_string

    from apps.treatments.selectors import patient_lots, patient_visits

    for _ in range(count):
        DoseFactory(visit=VisitFactory(patient=patient), lot=LotFactory(vials_received=5))
    context = {"patient": patient, "perms": {}}
    # Visits (+ location, clinician), doses (+ site, lot, product, maker), warnings;
    # lots with their first and last dates and dose counts.
    with django_assert_num_queries(4):
        html = render_to_string(
            "treatments/_patient_visits.html",
            {**context, "visits": patient_visits(patient=patient)},
        ) + render_to_string(
            "treatments/_patient_lots.html",
            {**context, "patient_lots": patient_lots(patient=patient)},
        )
    assert html.count("<tr>") == 2 * count + 2
