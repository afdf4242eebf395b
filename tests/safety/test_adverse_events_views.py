"""Adverse-event pages: recording from a visit, the rules' messages next to their fields,
editing, voiding, the list's filters, MedWatch page and downloads, the dashboard panel,
role checks and constant query counts."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.followups.models import SelfReport
from apps.safety.models import AdverseEvent
from tests.builders import assert_nothing_changed
from tests.factories import (
    DoseFactory,
    LotFactory,
    MedicationFactory,
    VisitFactory,
)
from tests.safety import adverse_event_data
from tests.safety.adverse_event_data import (
    SERIOUS,
    cold_sore_and_serious_infection,
    days_ago,
    record_event,
    waiting_report,
)

event_types = adverse_event_data.event_types
treated_visit = adverse_event_data.treated_visit

ADD = reverse("safety:adverse-event-add")
LIST = reverse("safety:adverse-event-list")


def _form(visit, **extra) -> dict:
    data = {
        "doses": [str(visit.doses.order_by("id").first().pk)],
        "event_type": "",
        "onset_date": days_ago(2).isoformat(),
        "grade": "1",
        "outcome": "unknown",
        "causality": "unassessed",
        "abated_on_stopping": "unknown",
        "recurred_on_reintroduction": "unknown",
    }
    data.update(extra)
    return data


def _url(name: str, event) -> str:
    return reverse(f"safety:adverse-event-{name}", args=[event.pk])


# --- Recording ----------------------------------------------------------------------


def test_the_visit_page_links_to_the_record_form_with_its_doses(
    client, nurse, treated_visit, event_types
):
    client.force_login(nurse)
    visit_page = client.get(reverse("treatments:visit-detail", args=[treated_visit.pk]))
    assert f"{ADD}?visit={treated_visit.pk}" in visit_page.content.decode()

    form = client.get(ADD, {"visit": treated_visit.pk})

    body = form.content.decode()
    assert form.status_code == 200
    assert "Knee (left): 4.00 bn" in body and "lot FACE-1" in body
    assert body.count('type="checkbox" name="doses"') == 2
    # Both doses ticked to start with, and a way back to the visit.
    assert form.context["form"].initial["doses"] == [
        dose.pk for dose in treated_visit.doses.order_by("id")
    ]
    assert body.count("checked") == 2
    assert f'href="{reverse("treatments:visit-detail", args=[treated_visit.pk])}">Cancel' in body


def test_a_nurse_records_a_cold_sore_and_lands_on_it(client, nurse, treated_visit, event_types):
    client.force_login(nurse)

    response = client.post(
        f"{ADD}?visit={treated_visit.pk}",
        _form(
            treated_visit,
            event_type=event_types["cold_sore"].pk,
            action_taken="valacyclovir",
        ),
    )

    event = AdverseEvent.objects.get()
    assert response.status_code == 302
    assert response.url == _url("detail", event)
    assert event.created_by == nurse and event.action_taken == "valacyclovir"
    assert [d.lot.lot_number for d in event.doses.all()] == ["KNEE-1"]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"onset_date": days_ago(5).isoformat()}, "onset_date", "before the linked visit"),
        ({"resolution_date": days_ago(3).isoformat()}, "resolution_date", "before the onset"),
        ({"grade": "5"}, "grade", "the outcome must be"),
        (
            {"seriousness": ["hospitalisation"], "grade": "3"},
            "narrative",
            "A serious event needs a narrative",
        ),
        ({"doses": []}, "doses", "Link at least one dose"),
        ({"onset_date": days_ago(-1).isoformat()}, "onset_date", "cannot be in the future"),
        ({"outcome": "fatal"}, "outcome", "A fatal outcome is CTCAE grade 5."),
        (
            {"outcome": "fatal", "grade": "5", "narrative": "Died."},
            "seriousness",
            "tick 'Death'",
        ),
        ({"fda_reference": "MW-1"}, "reported_to_fda_on", "Give the date it was reported"),
        ({"weight_kg": "0"}, "weight_kg", "Give the weight in kilograms"),
    ],
)
def test_a_refused_event_shows_the_message_next_to_its_field(
    client, clinician, treated_visit, event_types, extra, field, message
):
    client.force_login(clinician)
    data = _form(treated_visit, event_type=event_types["cold_sore"].pk, **extra)

    response = client.post(f"{ADD}?visit={treated_visit.pk}", data)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not AdverseEvent.objects.exists()


def test_other_without_a_description_is_refused_on_the_form(
    client, clinician, treated_visit, event_types
):
    client.force_login(clinician)
    response = client.post(
        f"{ADD}?visit={treated_visit.pk}", _form(treated_visit, event_type=event_types["other"].pk)
    )
    assert "Describe the event" in response.context["form"].errors["description"][0]


def test_the_record_form_needs_a_visit_the_user_may_see(client, clinician, db):
    client.force_login(clinician)
    assert client.get(ADD).status_code == 404
    assert client.get(ADD, {"visit": 999999}).status_code == 404


def test_confirming_a_self_report_prefills_the_type_and_confirms_it(
    client, clinician, treated_visit, event_types
):
    report = waiting_report(treated_visit.patient, cold_sore=False, wound_signs=True, fever=True)
    client.force_login(clinician)
    url = f"{ADD}?visit={treated_visit.pk}&self_report={report.pk}"

    form = client.get(url)
    # The first "yes" (redness where injected) suggests an infection.
    assert form.context["form"].initial["event_type"] == event_types["injection_site_infection"].pk
    assert "redness, warmth or pus where injected" in form.content.decode()

    client.post(url, _form(treated_visit, event_type=event_types["injection_site_infection"].pk))

    report.refresh_from_db()
    assert report.review == SelfReport.Review.CONFIRMED
    assert report.adverse_event == AdverseEvent.objects.get()
    assert client.get(f"{ADD}?visit={treated_visit.pk}&self_report=999").status_code == 404


# --- Reading, editing, voiding ------------------------------------------------------


def test_detail_shows_the_event_is_access_logged_and_links_history(
    client, manager, clinician, treated_visit, event_types
):
    event = record_event(
        by=clinician, visit=treated_visit, event_type=event_types["cold_sore"], **SERIOUS
    )
    client.force_login(manager)

    response = client.get(_url("detail", event))

    body = response.content.decode()
    assert "Hospitalisation (initial or prolonged)" in body and "KNEE-1" in body
    assert reverse("audit:history", args=["safety", "adverseevent", event.pk]) in body
    assert "Void event" not in body and "Edit" not in body  # a manager only reads
    assert AccessLog.objects.filter(
        user=manager, subject="adverse-event", patient_id=event.patient_id, object_id=event.pk
    ).exists()


def test_detail_query_count_is_the_same_for_one_and_many_doses(
    client, clinician, treated_visit, event_types, django_assert_num_queries
):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    client.force_login(clinician)
    url = _url("detail", event)
    client.get(url)  # warm the content-type cache
    # session, user, permissions (2), the event with patient, visit, type and users, its
    # doses with sites and lots, access-log insert, groups (header).
    with django_assert_num_queries(8):
        client.get(url)
    more = [DoseFactory(visit=treated_visit, lot=LotFactory()) for _ in range(10)]
    event.doses.add(*more)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["event"].doses.all()) == 11


def test_a_clinician_edits_and_the_rules_still_apply(client, clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    client.force_login(clinician)
    form = client.get(_url("edit", event))
    assert form.context["form"].initial["doses"] == [event.doses.get().pk]

    refused = client.post(
        _url("edit", event),
        _form(treated_visit, event_type=event_types["cold_sore"].pk, outcome="fatal"),
    )
    assert "A fatal outcome is CTCAE grade 5." in refused.context["form"].errors["outcome"]

    saved = client.post(
        _url("edit", event),
        _form(
            treated_visit,
            event_type=event_types["cold_sore"].pk,
            resolution_date=days_ago(1).isoformat(),
            outcome="recovered",
        ),
    )
    assert saved.status_code == 302
    event.refresh_from_db()
    assert event.outcome == "recovered" and event.resolution_date == days_ago(1)


def test_a_clinician_voids_with_a_reason(client, clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    client.force_login(clinician)

    with assert_nothing_changed():
        assert client.post(_url("void", event), {"reason": ""}).status_code == 400
    with assert_nothing_changed():
        asked = client.post(_url("void", event), {"reason": "Recorded twice"}).content.decode()
    assert "Void this adverse event?" in asked
    assert f"{event.event_type.name}, grade {event.grade}" in asked
    assert 'name="reason" value="Recorded twice"' in asked
    event.refresh_from_db()
    assert not event.is_voided
    response = client.post(_url("void", event), {"reason": "Recorded twice", "confirmed": "yes"})

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.is_voided and event.void_reason == "Recorded twice"
    page = client.get(_url("detail", event)).content.decode()
    assert "Voided" in page and "Recorded twice" in page
    assert client.get(_url("edit", event)).status_code == 404


def test_roles(client, personas, clinician, treated_visit, event_types):
    """Front desk sees no adverse event anywhere; nurses record but do not edit or void;
    managers read."""
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    patient_page = reverse("patients:detail", args=[treated_visit.patient_id])
    expected = {
        # role: list, detail, add form, edit, void, MedWatch page
        "front_desk": (403, 403, 403, 403, 403, 403),
        "nurse": (200, 200, 200, 403, 403, 200),
        "manager": (200, 200, 403, 403, 403, 200),
        "clinician": (200, 200, 200, 200, 400, 200),
    }
    for role, statuses in expected.items():
        client.force_login(personas[role])
        got = (
            client.get(LIST).status_code,
            client.get(_url("detail", event)).status_code,
            client.get(ADD, {"visit": treated_visit.pk}).status_code,
            client.get(_url("edit", event)).status_code,
            client.post(_url("void", event), {"reason": ""}).status_code,
            client.get(_url("medwatch", event)).status_code,
        )
        assert got == statuses, role
        shows = "Adverse events" in client.get(patient_page).content.decode()
        assert shows == (role != "front_desk"), role
        navigation = client.get(reverse("dashboard")).context["navigation"]
        assert ("Adverse events" in [i["label"] for i in navigation]) == (role != "front_desk")


def test_the_patient_page_lists_the_patients_events(client, clinician, treated_visit, event_types):
    record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["other"],
        description="Headache for two days",
    )
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[treated_visit.patient_id]))
    assert "Headache for two days" in page.content.decode()


# --- The list -----------------------------------------------------------------------


def test_the_list_filters_by_type_serious_grade_lot_and_onset(
    client, clinician, treated_visit, event_types
):
    cold_sore, infection = cold_sore_and_serious_infection(clinician, treated_visit, event_types)
    client.force_login(clinician)

    def shown(**params) -> list[int]:
        return [e.pk for e in client.get(LIST, params).context["page"].object_list]

    assert shown() == [infection.pk, cold_sore.pk]
    assert shown(event_type=event_types["cold_sore"].pk) == [cold_sore.pk]
    assert shown(serious="yes") == [infection.pk]
    assert shown(serious="no") == [cold_sore.pk]
    assert shown(grade="3") == [infection.pk]
    assert shown(lot="knee-1") == [infection.pk]
    assert shown(onset_from=days_ago(1).isoformat()) == [infection.pk]
    assert shown(onset_to=days_ago(2).isoformat()) == [cold_sore.pk]
    assert AccessLog.objects.filter(subject="adverse-event-search").count() == 8


def test_list_query_count_is_the_same_for_one_and_fifty(
    client, clinician, treated_visit, event_types, django_assert_num_queries
):
    record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    client.force_login(clinician)
    client.get(LIST)  # warm the content-type cache
    # session, user, permissions (2), event types (filter), count, access-log insert,
    # the page of events, their doses with lots, groups (header).
    with django_assert_num_queries(10):
        client.get(LIST)
    for _ in range(49):
        visit = VisitFactory()
        DoseFactory(visit=visit, lot=LotFactory())
        record_event(
            by=clinician, visit=visit, event_type=event_types["cold_sore"], onset_date=days_ago(0)
        )
    with django_assert_num_queries(10):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50


# --- MedWatch -----------------------------------------------------------------------


def test_medwatch_page_json_and_csv_carry_sections_a_to_c_without_the_name(
    client, clinician, treated_visit, event_types
):
    patient = treated_visit.patient
    MedicationFactory(patient=patient, name="Lisinopril", dose_text="10 mg daily")
    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["injection_site_infection"],
        weight_kg=68,
        action_taken="=HYPERLINK(evil)",
        **SERIOUS,
    )
    client.force_login(clinician)

    page = client.get(_url("medwatch", event)).content.decode()
    assert patient.mrn in page and patient.last_name not in page
    assert "A. Patient information" in page and "C. Products" in page and "Lisinopril" in page

    download = client.get(_url("medwatch-json", event))
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"].startswith('attachment; filename="medwatch-event-')
    report = json.loads(download.content)
    assert report["a_patient"]["identifier"] == patient.mrn
    assert report["a_patient"]["weight_kg"] == "68.0"
    assert report["b_event"]["outcomes_attributed"] == ["Hospitalisation (initial or prolonged)"]
    assert report["c_products"]["suspect"][0]["lot_number"] == "KNEE-1"
    assert report["c_products"]["concomitant"][0]["lot_number"] == "FACE-1"
    assert report["c_products"]["concomitant_medications"][0]["name"] == "Lisinopril"
    assert patient.last_name not in download.content.decode()

    sheet = client.get(_url("medwatch-csv", event))
    rows = list(csv.reader(io.StringIO(b"".join(sheet.streaming_content).decode())))
    assert rows[0] == ["section", "field", "value"]
    values = {(section, field): value for section, field, value in rows[1:]}
    assert values[("a_patient", "identifier")] == patient.mrn
    assert values[("c_products", "suspect_1.lot_number")] == "KNEE-1"
    assert values[("b_event", "action_taken")] == "'=HYPERLINK(evil)"
    exported = AccessLog.objects.filter(action="export", patient_id=patient.pk)
    assert set(exported.values_list("subject", flat=True)) == {
        "export:medwatch-json",
        "export:medwatch-csv",
    }


# --- Dashboard ----------------------------------------------------------------------


def test_serious_events_show_on_every_clinicians_dashboard(
    client, clinician, nurse, treated_visit, event_types, django_assert_num_queries
):
    serious = record_event(
        by=nurse, visit=treated_visit, event_type=event_types["allergic_reaction"], **SERIOUS
    )
    old_resolved = record_event(
        by=nurse,
        visit=treated_visit,
        event_type=event_types["fever_flu_like"],
        resolution_date=days_ago(1),
        **SERIOUS,
    )
    AdverseEvent.objects.filter(pk=old_resolved.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=40)
    )
    record_event(by=nurse, visit=treated_visit, event_type=event_types["cold_sore"])

    client.force_login(clinician)
    panels = {p["key"]: p for p in client.get(reverse("dashboard")).context["panels"]}
    assert [e.pk for e in panels["serious-events"]["serious_events"]] == [serious.pk]

    client.force_login(nurse)
    keys = [p["key"] for p in client.get(reverse("dashboard")).context["panels"]]
    assert "serious-events" not in keys


def test_the_serious_panel_reads_one_query_whatever_the_number(
    clinician, treated_visit, event_types, django_assert_num_queries
):
    from apps.safety.selectors.adverse_events import serious_events_panel

    record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"], **SERIOUS)
    serious_events_panel(user=clinician)  # the user's permissions are read once, then cached
    with django_assert_num_queries(1):
        assert len(serious_events_panel(user=clinician)["serious_events"]) == 1
    for _ in range(25):
        record_event(
            by=clinician, visit=treated_visit, event_type=event_types["cold_sore"], **SERIOUS
        )
    with django_assert_num_queries(1):
        panel = serious_events_panel(user=clinician)
    assert len(panel["serious_events"]) == 20 and panel["more"]
