"""visit_record: doses, stock taken in the same transaction, errors that save nothing,
warnings a clinician acknowledges with a reason."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.inventory.models import Lot, StockMovement
from apps.treatments.models import Dose, VialsOpened, Visit, VisitWarning
from apps.treatments.services import (
    DoseInput,
    WarningsNeedAcknowledgement,
    vials_needed,
)
from tests.builders import knee_dose, record
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


def _nothing_saved(lot) -> None:
    assert not Visit.objects.exists()
    assert not Dose.objects.exists()
    assert not VialsOpened.objects.exists()
    assert not StockMovement.objects.filter(kind="used").exists()
    lot.refresh_from_db()
    assert lot.vials_on_hand == lot.vials_received


def test_vials_opened_per_lot_round_up_the_billions_over_the_label():
    assert vials_needed(billions=Decimal("4"), labelled_billions_per_vial=Decimal("5")) == 1
    assert vials_needed(billions=Decimal("5"), labelled_billions_per_vial=Decimal("5")) == 1
    assert vials_needed(billions=Decimal("5.01"), labelled_billions_per_vial=Decimal("5")) == 2
    assert vials_needed(billions=Decimal("8"), labelled_billions_per_vial=Decimal("2.5")) == 4


def test_two_knees_from_one_lot_open_the_vials_their_total_needs(
    nurse, clinician, patient, location, knee, lot
):
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "4", "left"), knee_dose(knee, lot, "4", "right")],
    )
    assert [(d.laterality, d.billions, d.route) for d in visit.doses.all()] == [
        ("left", Decimal("4.00"), "intra_articular"),
        ("right", Decimal("4.00"), "intra_articular"),
    ]
    opened = VialsOpened.objects.get(visit=visit)
    # 8 bn over 5 bn per vial: two vials, one ledger movement for the lot.
    assert opened.vials == 2
    assert opened.movement.kind == "used" and opened.movement.vials == -2
    lot.refresh_from_db()
    assert lot.vials_on_hand == 8
    assert visit.created_by == nurse


def test_each_lot_gets_its_own_movement(nurse, clinician, patient, location, knee, face, lot):
    other = LotFactory(vials_received=3, labelled_billions_per_vial=Decimal("3"))
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[
            knee_dose(knee, lot, "4"),
            DoseInput(site=face, lot_id=other.pk, billions=Decimal("2.5")),
        ],
    )
    assert {(o.lot_id, o.vials) for o in visit.vials_opened.all()} == {(lot.pk, 1), (other.pk, 1)}
    face_dose = visit.doses.get(site=face)
    assert face_dose.route == "intradermal" and face_dose.laterality == "na"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"expiry_date": datetime.date(2020, 1, 1)}, "doses.0.lot", "expired on 2020-01-01"),
        ({"status": Lot.Status.RECALLED}, "doses.0.lot", "recalled"),
        ({"status": Lot.Status.QUARANTINED}, "doses.0.lot", "quarantined"),
    ],
)
def test_an_unusable_lot_is_refused_and_nothing_saved(
    nurse, clinician, patient, location, knee, lot, change, field, message
):
    Lot.objects.filter(pk=lot.pk).update(**change)
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
        )
    assert message in " ".join(refused.value.message_dict[field])
    _nothing_saved(lot)


def test_a_lot_is_judged_on_the_visit_date(nurse, clinician, patient, location, knee):
    # Expired yesterday: fine for a visit recorded late from two days ago.
    lot = LotFactory(expiry_date=timezone.localdate() - datetime.timedelta(days=1))
    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
        visited_at=timezone.now() - datetime.timedelta(days=2),
    )
    assert visit.doses.get().lot == lot


def test_not_enough_stock_is_refused(nurse, clinician, patient, location, knee):
    lot = LotFactory(vials_received=1, labelled_billions_per_vial=Decimal("2"))
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, "4")],
        )
    assert refused.value.message_dict["doses.0.lot"] == [
        f"Lot {lot.lot_number} has 1 vial left, 2 needed."
    ]
    _nothing_saved(lot)


def test_a_later_lot_error_undoes_the_earlier_lots_stock(
    nurse, clinician, patient, location, knee, lot
):
    expired = LotFactory(
        expiry_date=datetime.date(2020, 1, 1), received_on=datetime.date(2019, 1, 1)
    )
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, side="left"), knee_dose(knee, expired, side="right")],
        )
    assert list(refused.value.message_dict) == ["doses.1.lot"]
    _nothing_saved(lot)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"visited_at": timezone.now() + datetime.timedelta(days=1)}, "visited_at"),
        ({"visited_at": datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)}, "visited_at"),
        ({"consent_form_version": ""}, "consent_form_version"),
        ({"indication": " "}, "indication"),
    ],
)
def test_visit_fields_are_checked(nurse, clinician, patient, location, knee, lot, extra, field):
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
            **extra,
        )
    assert field in refused.value.message_dict
    _nothing_saved(lot)


def test_future_and_before_birth_say_so(nurse, clinician, patient, location, knee, lot):
    with pytest.raises(ValidationError) as future:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
            visited_at=timezone.now() + datetime.timedelta(hours=2),
        )
    assert future.value.message_dict["visited_at"] == ["A visit cannot be in the future."]
    born = patient.date_of_birth
    with pytest.raises(ValidationError) as unborn:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
            visited_at=timezone.make_aware(
                datetime.datetime.combine(born - datetime.timedelta(days=1), datetime.time(12))
            ),
        )
    assert unborn.value.message_dict["visited_at"] == [
        f"The visit is before the patient's birth ({born:%Y-%m-%d})."
    ]


@pytest.mark.parametrize("billions", ["0", "-1"])
def test_zero_or_negative_dose_is_refused(nurse, clinician, patient, location, knee, lot, billions):
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, billions)],
        )
    assert refused.value.message_dict["doses.0.billions"] == [
        "A dose is more than zero billion particles."
    ]
    _nothing_saved(lot)


def test_dose_rows_are_checked(nurse, clinician, patient, location, knee, lot):
    knee.active = False
    knee.save()
    with pytest.raises(ValidationError) as refused:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[
                DoseInput(
                    site=knee,
                    lot_id=lot.pk,
                    billions=Decimal("4"),
                    volume_ml=Decimal("0"),
                    baseline_pain=11,
                )
            ],
        )
    assert set(refused.value.message_dict) == {
        "doses.0.site",
        "doses.0.laterality",
        "doses.0.volume_ml",
        "doses.0.baseline_pain",
    }


def test_unknown_lot_and_no_doses_are_refused(nurse, clinician, patient, location, knee, lot):
    with pytest.raises(ValidationError) as unknown:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[DoseInput(site=knee, lot_id=987654, billions=Decimal("4"), laterality="left")],
        )
    assert unknown.value.message_dict["doses.0.lot"] == ["No such lot."]
    with pytest.raises(ValidationError) as empty:
        record(by=nurse, patient=patient, location=location, clinician=clinician, doses=[])
    assert empty.value.message_dict["doses"] == ["Record at least one dose."]
    assert not Visit.objects.exists()


# --- Warnings ---------------------------------------------------------------------


def test_over_range_dose_needs_a_clinicians_reason(clinician, patient, location, knee, lot):
    with pytest.raises(WarningsNeedAcknowledgement) as pending:
        record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, "8")],
        )
    assert [w.code for w in pending.value.warnings] == ["dose_out_of_range"]
    assert pending.value.warnings[0].message == "Knee (left): 8 bn is outside its usual 3-5 bn."
    assert pending.value.may_acknowledge
    _nothing_saved(lot)

    visit = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "8")],
        acknowledgements={"dose_out_of_range": "Severe damage on imaging"},
    )
    warning = visit.warnings.get()
    assert (warning.code, warning.reason, warning.acknowledged_by) == (
        "dose_out_of_range",
        "Severe damage on imaging",
        clinician,
    )
    assert visit.vials_opened.get().vials == 2


def test_a_nurse_cannot_acknowledge(nurse, clinician, patient, location, knee, lot):
    with pytest.raises(WarningsNeedAcknowledgement) as pending:
        record(
            by=nurse,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, "8")],
            acknowledgements={"dose_out_of_range": "I think it is fine"},
        )
    assert not pending.value.may_acknowledge
    _nothing_saved(lot)


def test_a_blank_reason_is_no_acknowledgement(clinician, patient, location, knee, lot):
    with pytest.raises(WarningsNeedAcknowledgement):
        record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, "2")],
            acknowledgements={"dose_out_of_range": "   "},
        )


def test_thirty_day_total_counts_this_visit_and_earlier_ones(
    settings, clinician, patient, location, knee
):
    settings.TREATMENT_CUMULATIVE_DOSE_WARNING_BILLIONS = 10
    lot = LotFactory(vials_received=20)
    record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "5", "left")],
        visited_at=timezone.now() - datetime.timedelta(days=20),
    )
    # 40 days ago: outside the window, not counted.
    record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "5", "left")],
        visited_at=timezone.now() - datetime.timedelta(days=40),
    )
    # 5 + 5 = 10: at the threshold, no warning.
    record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "5", "right")],
        visited_at=timezone.now() - datetime.timedelta(days=10),
    )
    with pytest.raises(WarningsNeedAcknowledgement) as pending:
        record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot, "3")],
        )
    assert [(w.code, w.message) for w in pending.value.warnings] == [
        (
            "cumulative_dose_high",
            "13 bn in the 30 days up to this visit (this visit included), "
            "above the clinic's 10 bn.",
        )
    ]


def test_voided_visits_do_not_count_towards_the_total(
    settings, clinician, patient, location, knee, lot
):
    from apps.treatments.services import visit_void

    settings.TREATMENT_CUMULATIVE_DOSE_WARNING_BILLIONS = 6
    first = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "4")],
    )
    visit_void(visit=first, by=clinician, reason="Wrong patient")
    second = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot, "4")],
    )
    # Recorded without asking to acknowledge a high total: only the voided 4 bn came before.
    assert list(patient.visits.filter(voided_at__isnull=True)) == [second]
    assert not second.warnings.exists()


def test_immunocompromised_and_cold_sore_warnings(clinician, patient, location, knee, lot):
    patient.immunocompromised = True
    patient.immunocompromised_note = "Tacrolimus after kidney transplant"
    patient.cold_sore_history = True
    patient.save()
    with pytest.raises(WarningsNeedAcknowledgement) as pending:
        record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
        )
    assert [w.code for w in pending.value.warnings] == [
        "immunocompromised",
        "cold_sore_no_prophylaxis",
    ]
    assert "Tacrolimus" in pending.value.warnings[0].message
    # Prophylaxis recorded: only the immune warning is left.
    visit = record(
        by=clinician,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
        cold_sore_prophylaxis=True,
        acknowledgements={"immunocompromised": "Transplant team agrees"},
    )
    assert list(visit.warnings.values_list("code", flat=True)) == ["immunocompromised"]
    assert VisitWarning.objects.count() == 1


def test_history_names_who_recorded_and_voided(nurse, clinician, patient, location, knee, lot):
    from django.apps import apps

    from apps.treatments.services import visit_void

    visit = record(
        by=nurse,
        patient=patient,
        location=location,
        clinician=clinician,
        doses=[knee_dose(knee, lot)],
    )
    visit_void(visit=visit, by=clinician, reason="Wrong patient")
    events = apps.get_model("treatments", "VisitEvent").objects.filter(pgh_obj=visit)
    actors = [e.pgh_context.metadata["user"] for e in events.order_by("pgh_id")]
    assert actors == [nurse.pk, clinician.pk]
    dose_events = apps.get_model("treatments", "DoseEvent").objects.filter(pgh_obj__visit=visit)
    assert [e.pgh_context.metadata["user"] for e in dose_events] == [nurse.pk]


class TestNoConsentRecorded:
    def test_refused_until_a_clinician_gives_the_reason(
        self, nurse, clinician, patient, location, knee, lot
    ):
        unticked = {"consent_recorded": False, "consent_form_version": ""}
        with pytest.raises(WarningsNeedAcknowledgement) as as_nurse:
            record(
                by=nurse,
                patient=patient,
                location=location,
                clinician=clinician,
                doses=[knee_dose(knee, lot)],
                **unticked,
            )
        assert [w.code for w in as_nurse.value.warnings] == ["no_consent_recorded"]
        assert "No consent is recorded for the " in as_nurse.value.warnings[0].message
        assert not as_nurse.value.may_acknowledge
        _nothing_saved(lot)
        visit = record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
            acknowledgements={"no_consent_recorded": "Verbal consent, form to follow today"},
            **unticked,
        )
        warning = visit.warnings.get()
        assert (warning.code, warning.reason, warning.acknowledged_by) == (
            "no_consent_recorded",
            "Verbal consent, form to follow today",
            clinician,
        )

    def test_a_ticked_paper_consent_needs_no_reason(self, clinician, patient, location, knee, lot):
        visit = record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
        )
        assert not visit.warnings.exists()
