"""Without DATABASE_REPLICA_URL the reports read the primary and nothing asks about a
replica; with one, writes and migrations still go to the primary only. Reading from a
real replica: tests/integration/test_replica.py."""

import pytest
from django.conf import settings

from exotrack.replica import (
    PRIMARY,
    REPLICA,
    PrimaryWritesRouter,
    database_for_reports,
    database_with_every_commit,
    replica_lag_seconds,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_without_a_replica_reports_read_the_primary_at_no_cost(django_assert_num_queries):
    assert REPLICA not in settings.DATABASES
    with django_assert_num_queries(0):
        assert database_for_reports() == PRIMARY
        assert database_with_every_commit() == PRIMARY
        assert replica_lag_seconds() is None


def test_writes_go_to_the_primary_even_for_a_row_read_from_the_replica():
    patient = PatientFactory()
    patient._state.db = REPLICA

    assert PrimaryWritesRouter().db_for_write(type(patient), instance=patient) == PRIMARY


def test_migrations_never_run_on_the_replica():
    router = PrimaryWritesRouter()

    assert router.allow_migrate(PRIMARY, "patients")
    assert not router.allow_migrate(REPLICA, "patients")
