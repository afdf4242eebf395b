"""An episode keeps the clinic's day of its visit and the patient's whole years on it:
the day in the clinic's zone (not UTC) late in the evening, the age as age() counts it,
both kept when the visit moves or the birth date is corrected, and worked out again in
a new zone by the rebuild, which a migrate runs when the zone has changed."""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connection

from apps.patients.models import Patient
from apps.reports.episodes import episodes_out_of_step, rebuild_episodes, visit_days_are_current
from apps.reports.models import Episode, VisitDayZone
from apps.treatments.models import Visit
from tests.factories import DoseFactory, PatientFactory

pytestmark = pytest.mark.django_db

CLINIC = zoneinfo.ZoneInfo("America/New_York")


def _dose_at(when: datetime.datetime, born: datetime.date):
    return DoseFactory(visit__patient=PatientFactory(date_of_birth=born), visit__visited_at=when)


def _episode(dose) -> Episode:
    return Episode.objects.get(dose_id=dose.pk)


def test_late_in_the_evening_the_day_is_the_clinics(settings):
    assert settings.TIME_ZONE == "America/New_York"
    # 23:30 in New York on 28 February 2025 is already 1 March in UTC.
    dose = _dose_at(
        datetime.datetime(2025, 2, 28, 23, 30, tzinfo=CLINIC), datetime.date(1980, 2, 29)
    )
    episode = _episode(dose)
    assert episode.visit_on == datetime.date(2025, 2, 28)
    assert episode.age_years == 44  # the birthday falls on 1 March in 2025


def test_the_age_follows_a_corrected_birth_date_and_a_moved_visit():
    dose = _dose_at(
        datetime.datetime(2026, 6, 14, 10, 0, tzinfo=CLINIC), datetime.date(1981, 6, 15)
    )
    assert _episode(dose).age_years == 44

    Patient.objects.filter(pk=dose.visit.patient_id).update(
        date_of_birth=datetime.date(1981, 6, 14)
    )
    assert _episode(dose).age_years == 45

    Visit.objects.filter(pk=dose.visit_id).update(
        visited_at=datetime.datetime(2026, 6, 13, 10, 0, tzinfo=CLINIC)
    )
    episode = _episode(dose)
    assert (episode.visit_on, episode.age_years) == (datetime.date(2026, 6, 13), 44)
    assert episodes_out_of_step() == (0, 0)


def test_the_rebuild_works_the_days_out_in_the_zone_of_the_settings(settings):
    dose = _dose_at(datetime.datetime(2026, 3, 1, 20, 0, tzinfo=CLINIC), datetime.date(1990, 3, 2))
    assert (_episode(dose).visit_on, _episode(dose).age_years) == (datetime.date(2026, 3, 1), 35)

    settings.TIME_ZONE = "Asia/Tokyo"  # 10:00 on 2 March there
    with connection.cursor() as cursor:
        assert not visit_days_are_current(cursor)
        rebuild_episodes()
        assert visit_days_are_current(cursor)
    assert VisitDayZone.objects.get().name == "Asia/Tokyo"
    assert (_episode(dose).visit_on, _episode(dose).age_years) == (datetime.date(2026, 3, 2), 36)
    assert episodes_out_of_step() == (0, 0)


def test_a_migrate_rebuilds_the_episodes_kept_in_another_zone(settings):
    dose = _dose_at(datetime.datetime(2026, 3, 1, 20, 0, tzinfo=CLINIC), datetime.date(1990, 3, 2))
    settings.TIME_ZONE = "Asia/Tokyo"
    said = io.StringIO()
    call_command("migrate", stdout=said)
    assert "Rebuilt 1 episodes in the clinic's time zone Asia/Tokyo." in said.getvalue()
    assert _episode(dose).visit_on == datetime.date(2026, 3, 2)

    said = io.StringIO()
    call_command("migrate", stdout=said)
    assert "Rebuilt" not in said.getvalue()


def test_without_a_recorded_zone_the_days_are_not_current_until_a_migrate():
    # As a test database's flush leaves it.
    VisitDayZone.objects.all().delete()
    dose = _dose_at(datetime.datetime(2026, 3, 1, 20, 0, tzinfo=CLINIC), datetime.date(1990, 3, 2))
    # The episode is still kept (in UTC), and no reader takes its day for the clinic's.
    assert _episode(dose).visit_on == datetime.date(2026, 3, 2)
    with connection.cursor() as cursor:
        assert not visit_days_are_current(cursor)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        assert visit_days_are_current(cursor)
    assert _episode(dose).visit_on == datetime.date(2026, 3, 1)
