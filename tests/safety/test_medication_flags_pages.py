"""The medication-flag pages as each role meets them: the review list, inline
acknowledge and resolve, the patient page section and the dashboard panel."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AccessLog
from apps.safety.models import MedicationFlag
from tests.builders import assert_nothing_changed
from tests.factories import (
    MedicationClassFactory,
    MedicationFactory,
    MedicationFlagFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("safety:flag-list")


def _flag(days: int, **extra) -> MedicationFlag:
    return MedicationFlagFactory(
        review_by=timezone.localdate() + datetime.timedelta(days=days), **extra
    )


def _listed(response) -> list[MedicationFlag]:
    return list(response.context["page"].object_list)


class TestList:
    def test_who_may_open_it(self, client, personas, outsider):
        allowed = {"clinician", "nurse", "manager"}
        for role, user in {**personas, "outsider": outsider}.items():
            client.force_login(user)
            assert client.get(LIST).status_code == (200 if role in allowed else 403), role

    def test_overdue_first_then_soonest_and_resolved_left_out(self, client, clinician):
        later, overdue, soon = _flag(20), _flag(-3), _flag(2)
        _flag(-10, status="resolved", action="unchanged")
        client.force_login(clinician)
        response = client.get(LIST)
        assert _listed(response) == [overdue, soon, later]
        page = response.content.decode()
        assert page.count('badge-error">Overdue') == 1
        assert AccessLog.objects.filter(subject="medication-flags", user=clinician).exists()

    def test_filters_by_status_and_class(self, client, nurse):
        thyroid = MedicationClassFactory(code="thyroid_hormone")
        open_flag = _flag(5)
        acknowledged = _flag(4, status="acknowledged")
        thyroid_flag = _flag(6, medication=MedicationFactory(medication_class=thyroid))
        resolved = _flag(1, status="resolved", action="stopped")
        client.force_login(nurse)
        assert _listed(client.get(LIST, {"status": "acknowledged"})) == [acknowledged]
        assert _listed(client.get(LIST, {"status": "resolved"})) == [resolved]
        assert _listed(client.get(LIST, {"medication_class": thyroid.pk})) == [thyroid_flag]
        assert _listed(client.get(LIST, {"status": "open"})) == [open_flag, thyroid_flag]

    def test_voided_patients_are_left_out(self, client, nurse):
        _flag(1, medication=MedicationFactory(patient=PatientFactory(voided_at=timezone.now())))
        client.force_login(nurse)
        assert _listed(client.get(LIST)) == []

    def test_constant_queries(self, client, clinician, django_assert_num_queries):
        _flag(1)
        client.force_login(clinician)
        client.get(LIST)  # warm the content-type cache
        # session, user, user and group permissions, medication classes (filter), count,
        # the page of flags (+ patient, medication, class, who acknowledged/resolved),
        # access-log insert, the user's roles (header).
        with django_assert_num_queries(9):
            client.get(LIST)
        for days in range(49):
            _flag(days)
        with django_assert_num_queries(9):
            response = client.get(LIST)
        assert len(_listed(response)) == 50


class TestAcknowledgeAndResolve:
    def test_inline_acknowledge_swaps_the_row(self, client, clinician):
        flag = _flag(3)
        client.force_login(clinician)
        response = client.post(
            reverse("safety:flag-acknowledge", args=[flag.pk]), HTTP_HX_REQUEST="true"
        )
        html = response.content.decode()
        assert html.lstrip().startswith(f'<tr id="flag-{flag.pk}">')
        assert "Acknowledged" in html and f"by {clinician}" in html
        flag.refresh_from_db()
        assert (flag.status, flag.acknowledged_by) == ("acknowledged", clinician)

    def test_resolve_without_javascript_returns_to_the_list(self, client, clinician):
        flag = _flag(3)
        client.force_login(clinician)
        response = client.post(
            reverse("safety:flag-resolve", args=[flag.pk]),
            {"action": "dose_reduced", "note": "10 mg to 5 mg", "next": LIST},
        )
        assert response.status_code == 302 and response.url == LIST
        flag.refresh_from_db()
        assert (flag.status, flag.action, flag.resolution_note) == (
            "resolved",
            "dose_reduced",
            "10 mg to 5 mg",
        )

    def test_resolve_without_an_action_says_so_and_changes_nothing(self, client, clinician):
        flag = _flag(3)
        client.force_login(clinician)
        response = client.post(
            reverse("safety:flag-resolve", args=[flag.pk]),
            {"action": "", "note": "?"},
            HTTP_HX_REQUEST="true",
        )
        assert "Not resolved: say what was done." in response.content.decode()
        flag.refresh_from_db()
        assert flag.status == "open"

    def test_acknowledging_twice_is_refused_with_a_message(self, client, clinician):
        flag = _flag(3, status="acknowledged")
        client.force_login(clinician)
        response = client.post(reverse("safety:flag-acknowledge", args=[flag.pk]), follow=True)
        assert "Not acknowledged: This flag is acknowledged, not open." in (
            response.content.decode()
        )

    @pytest.mark.parametrize("role", ["nurse", "manager", "front_desk"])
    def test_only_clinicians_review(self, client, personas, role):
        flag = _flag(3)
        client.force_login(personas[role])
        with assert_nothing_changed():
            assert (
                client.post(reverse("safety:flag-acknowledge", args=[flag.pk])).status_code == 403
            )
            assert (
                client.post(
                    reverse("safety:flag-resolve", args=[flag.pk]), {"action": "unchanged"}
                ).status_code
                == 403
            )
        flag.refresh_from_db()
        assert flag.status == "open"

    def test_a_flag_of_a_voided_patient_is_404(self, client, clinician):
        flag = _flag(
            3, medication=MedicationFactory(patient=PatientFactory(voided_at=timezone.now()))
        )
        client.force_login(clinician)
        with assert_nothing_changed():
            assert (
                client.post(reverse("safety:flag-acknowledge", args=[flag.pk])).status_code == 404
            )


class TestPatientPage:
    def test_section_lists_the_flags_and_raises_one_by_hand(self, client, nurse):
        patient = PatientFactory()
        lisinopril = MedicationFactory(patient=patient, name="Lisinopril")
        MedicationFlagFactory(medication=MedicationFactory(patient=patient, name="Metformin"))
        client.force_login(nurse)
        page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert 'id="medication-flags"' in page and "Metformin" in page
        assert "Raise a flag" in page

        response = client.post(
            reverse("safety:flag-raise", args=[patient.pk]),
            {"medication": lisinopril.pk, "reason": "Dizzy on standing"},
            follow=True,
        )
        assert "Flag raised for Lisinopril" in response.content.decode()
        flag = MedicationFlag.objects.get(medication=lisinopril)
        assert (flag.source, flag.created_by) == ("manual", nurse)

        again = client.post(
            reverse("safety:flag-raise", args=[patient.pk]),
            {"medication": lisinopril.pk, "reason": "Still dizzy"},
            follow=True,
        )
        assert "Flag not raised: Lisinopril already has a flag to review" in (
            again.content.decode()
        )
        assert MedicationFlag.objects.filter(medication=lisinopril).count() == 1

    def test_a_reason_is_required(self, client, nurse):
        medication = MedicationFactory()
        client.force_login(nurse)
        response = client.post(
            reverse("safety:flag-raise", args=[medication.patient_id]),
            {"medication": medication.pk, "reason": ""},
            follow=True,
        )
        assert "Flag not raised: Reason: This field is required." in response.content.decode()
        assert not MedicationFlag.objects.exists()

    def test_another_patients_medication_is_refused(self, client, nurse):
        patient, other = PatientFactory(), MedicationFactory()
        client.force_login(nurse)
        client.post(
            reverse("safety:flag-raise", args=[patient.pk]),
            {"medication": other.pk, "reason": "dizzy"},
        )
        assert not MedicationFlag.objects.exists()

    def test_front_desk_sees_no_flags_and_cannot_raise(self, client, front_desk):
        medication = MedicationFactory()
        MedicationFlagFactory(medication=medication)
        client.force_login(front_desk)
        page = client.get(reverse("patients:detail", args=[medication.patient_id]))
        assert 'id="medication-flags"' not in page.content.decode()
        with assert_nothing_changed():
            response = client.post(
                reverse("safety:flag-raise", args=[medication.patient_id]),
                {"medication": medication.pk, "reason": "dizzy"},
            )
        assert response.status_code == 403

    def test_managers_read_flags_but_raise_none(self, client, manager):
        flag = MedicationFlagFactory()
        client.force_login(manager)
        page = client.get(reverse("patients:detail", args=[flag.patient_id])).content.decode()
        assert 'id="medication-flags"' in page
        assert "Raise a flag" not in page and "Acknowledge" not in page


class TestDashboard:
    def test_panel_lists_overdue_first(self, client, clinician):
        soon = _flag(2, medication=MedicationFactory(name="Levothyroxine"))
        overdue = _flag(-1, medication=MedicationFactory(name="Lisinopril"))
        client.force_login(clinician)
        response = client.get(reverse("dashboard"))
        panel = next(p for p in response.context["panels"] if p["key"] == "medication-flags")
        assert panel["flags"] == [overdue, soon]
        assert (panel["total"], panel["overdue"]) == (2, 1)
        html = response.content.decode()
        assert "Medication flags to review" in html and "1 overdue" in html

    def test_front_desk_has_no_panel(self, client, front_desk):
        _flag(-1)
        client.force_login(front_desk)
        assert "Medication flags to review" not in client.get(reverse("dashboard")).content.decode()
