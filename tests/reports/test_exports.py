"""The four exports, cell for cell, on a small known clinic (tests/reports/conftest.py)."""

import datetime

import pytest
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.reports.sql import date_shift, patient_reference
from tests.reports.helpers import export, rows_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()


def crlf(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in lines)


def in_any_order(text: str) -> tuple[str, list[str]]:
    """The header line, then the rows sorted: the outcomes export has no set row order
    (it streams rows as the joins produce them)."""
    header, *rows = text.split("\r\n")
    assert rows[-1] == ""
    return header, sorted(rows[:-1])


def test_outcomes_de_identified_exactly(client, nurse, known_clinic):
    ada = patient_reference(known_clinic.patient.pk)
    grace = patient_reference(known_clinic.other_patient.pk)
    client.force_login(nurse)

    assert in_any_order(export(client, "outcomes")) == in_any_order(
        crlf(
            "patient_ref,age_band,sex,site,site_category,laterality,product,manufacturer,lot,"
            "billions,visit_date,baseline_pain,pain_2w,pain_6w,pain_3m,pain_6m,pain_12m,"
            "latest_timepoint,latest_pain,pgic,percent_better,change,responder,adverse_events,"
            "follow_up_days",
            # Knee: 8 -> 6 at 2 weeks -> 4 at 6 weeks (the voided 3-month 9 is ignored).
            f"{ada},45-49,female,Knee,joint,left,XoGlo 5,Kimera Labs,XG-100,4.00,2026-01-10,"
            "8,6,4,,,,6w,4,2,50,-4,yes,Cold sore / HSV reactivation,42",
            # Face: no pain scores, no outcome yet.
            f"{ada},45-49,female,Face,face,na,XoGlo 5,Kimera Labs,XG-100,2.50,2026-01-10,"
            ",,,,,,,,,,,,,",
            # 3 -> 2: one point only, but 33 % of the baseline: a responder.
            f"{grace},65-69,female,Knee,joint,left,XoGlo 10,Kimera Labs,XG-200,5.00,2026-03-02,"
            "3,,2,,,,6w,2,,,-1,yes,,42",
        )
    )


def test_outcomes_identified_exactly(client, clinician, known_clinic):
    ada, grace = known_clinic.patient, known_clinic.other_patient
    client.force_login(clinician)

    text = export(client, "outcomes", mode="identified")

    rows = sorted(rows_of(text)[1:], key=lambda row: (row[2], row[7]))
    assert rows_of(text)[0][:7] == [
        "patient_ref",
        "mrn",
        "last_name",
        "first_name",
        "date_of_birth",
        "age_band",
        "sex",
    ]
    assert rows[1][:7] == [
        patient_reference(ada.pk),
        ada.mrn,
        "Lovelace",
        "Ada",
        "1980-03-15",
        "45-49",
        "female",
    ]
    assert rows[0][:5] == [patient_reference(grace.pk), grace.mrn, "Hopper", "Grace", "1956-12-09"]
    assert [row[7] for row in rows] == ["Knee", "Face", "Knee"]


def test_adverse_events_both_modes(client, manager, known_clinic):
    ada = known_clinic.patient
    client.force_login(manager)

    assert export(client, "adverse-events") == crlf(
        "patient_ref,age_band,sex,event_type,grade,serious,seriousness,onset_date,"
        "resolution_date,outcome,causality,visit_date,days_after_visit,sites,products,lots",
        f'{patient_reference(ada.pk)},45-49,female,Cold sore / HSV reactivation,1,no,"",'
        "2026-01-12,2026-01-20,unknown,unassessed,2026-01-10,2,Knee,XoGlo 5,XG-100",
    )
    identified = rows_of(export(client, "adverse-events", mode="identified"))
    assert identified[0][-3:] == ["description", "action_taken", "narrative"]
    assert identified[1][-3:] == ["Lip blister", "", "Called the clinic on day 2"]


def test_doses_by_lot_for_traceability(client, manager, known_clinic):
    client.force_login(manager)
    clinician = known_clinic.visit.clinician.get_full_name()
    ada = patient_reference(known_clinic.patient.pk)
    grace = patient_reference(known_clinic.other_patient.pk)
    expiry = known_clinic.knee.lot.expiry_date.isoformat()

    assert export(client, "doses-by-lot") == crlf(
        "manufacturer,product,lot,lot_expiry,lot_status,visit_date,patient_ref,age_band,sex,"
        "site,laterality,billions,route,location,clinician",
        f"Kimera Labs,XoGlo 10,XG-200,{expiry},available,2026-03-02,{grace},65-69,female,"
        f"Knee,left,5.00,intra_articular,Annex,{clinician}",
        f"Kimera Labs,XoGlo 5,XG-100,{expiry},available,2026-01-10,{ada},45-49,female,"
        f"Knee,left,4.00,intra_articular,Main room,{clinician}",
        f"Kimera Labs,XoGlo 5,XG-100,{expiry},available,2026-01-10,{ada},45-49,female,"
        f"Face,na,2.50,intradermal,Main room,{clinician}",
    )


def test_follow_up_compliance(client, manager, known_clinic, settings):
    settings.REPORTS_FOLLOWUP_GRACE_DAYS = 14
    ada = patient_reference(known_clinic.patient.pk)
    client.force_login(manager)

    assert export(client, "follow-up-compliance") == crlf(
        "patient_ref,age_band,sex,visit_date,follow_up,kind,channel,due_on,status,compliance,"
        "completed_on,days_late,reminders_sent,reminders_failed",
        f"{ada},45-49,female,2026-01-10,Day-3 infection check,check_in,email,2026-01-13,"
        "completed,completed,2026-01-14,1,1,0",
        # Still pending long after it fell due: missed.
        f"{ada},45-49,female,2026-01-10,Outcome at 6 weeks,check_in,email,2026-02-21,"
        "pending,missed,,,0,0",
    )


def test_a_pending_follow_up_within_the_grace_is_open(client, manager, known_clinic, settings):
    due = datetime.date(2026, 2, 21)
    settings.REPORTS_FOLLOWUP_GRACE_DAYS = (timezone.localdate() - due).days + 1
    client.force_login(manager)

    rows = rows_of(export(client, "follow-up-compliance"))

    assert [row[9] for row in rows[1:]] == ["completed", "open"]


def test_date_shift_is_per_patient_and_stable(client, nurse, known_clinic, settings):
    settings.REPORTS_DATE_SHIFT_MAX_DAYS = 30
    client.force_login(nurse)
    ada = known_clinic.patient

    first = rows_of(export(client, "outcomes", shift_days="30"))
    again = rows_of(export(client, "outcomes", shift_days="30"))

    shift = datetime.timedelta(days=date_shift(ada.pk, 30))
    assert -30 <= shift.days <= 30
    assert sorted(first) == sorted(again)
    knee = next(r for r in first if r[0] == patient_reference(ada.pk) and r[3] == "Knee")
    assert knee[10] == (datetime.date(2026, 1, 10) + shift).isoformat()
    # Intervals survive the shift.
    assert knee[-1] == "42"
    events = rows_of(export(client, "adverse-events", shift_days="30"))
    assert events[1][7] == (datetime.date(2026, 1, 12) + shift).isoformat()
    assert events[1][12] == "2"


def test_voided_visits_and_patients_are_left_out(client, manager, known_clinic):
    known_clinic.other_patient.voided_at = timezone.now()
    known_clinic.other_patient.save()
    client.force_login(manager)

    rows = rows_of(export(client, "outcomes"))

    assert {row[0] for row in rows[1:]} == {patient_reference(known_clinic.patient.pk)}
    assert len(rows) == 3


def test_filename_and_headers(client, manager, known_clinic):
    client.force_login(manager)

    response = client.get("/reports/exports/outcomes.csv", {"mode": "identified"})

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="outcomes-identified-{TODAY}.csv"'
    )


def test_the_file_for_excel_is_named_so(client, manager, known_clinic):
    client.force_login(manager)

    response = client.get("/reports/exports/doses-by-lot.csv", {"encoding": "utf-8-bom"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="doses-by-lot-deidentified-excel-{TODAY}.csv"'
    )
    # Python's name for UTF-8 behind a byte-order mark reads it back to the same rows.
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert rows_of(text) == rows_of(export(client, "doses-by-lot"))


def test_an_unknown_encoding_is_named_on_the_page(client, manager, known_clinic):
    client.force_login(manager)

    response = client.get("/reports/exports/outcomes.csv", {"encoding": "latin-1"})

    assert response.status_code == 400
    assert "Select a valid choice. latin-1 is not one of the available choices." in (
        response.content.decode()
    )
    assert not AccessLog.objects.exists()


def test_site_product_and_lot_filters_reach_events_and_follow_ups(client, manager, known_clinic):
    client.force_login(manager)
    face = str(known_clinic.face.site_id)
    other_lot = str(known_clinic.other_dose.lot_id)

    # The event is linked to the knee dose only.
    assert len(rows_of(export(client, "adverse-events", site=face))) == 1
    assert len(rows_of(export(client, "adverse-events", site_category="joint"))) == 2
    # The visit that scheduled the follow-ups treated the face too, but not from that lot.
    assert len(rows_of(export(client, "follow-up-compliance", site=face))) == 3
    assert len(rows_of(export(client, "follow-up-compliance", lot=other_lot))) == 1
