"""Test personas (one user per staff role plus one with no role), reused by the
permission tests of every app."""

import pytest
from rest_framework.test import APIClient

from exotrack import roles
from tests.factories import PASSWORD, UserFactory

# Fixtures shared by more than one test directory.
pytest_plugins = ["tests.known_clinic"]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def clinician(db):
    return UserFactory(username="clinician", first_name="Cleo", role=roles.CLINICIAN)


@pytest.fixture
def nurse(db):
    return UserFactory(username="nurse", first_name="Nina", role=roles.NURSE)


@pytest.fixture
def front_desk(db):
    return UserFactory(username="frontdesk", first_name="Finn", role=roles.FRONT_DESK)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Maya", role=roles.MANAGER)


@pytest.fixture
def outsider(db):
    """Signed in, but given no role: sees nothing."""
    return UserFactory(username="outsider", first_name="Otto")


@pytest.fixture
def personas(clinician, nurse, front_desk, manager):
    return {
        roles.CLINICIAN: clinician,
        roles.NURSE: nurse,
        roles.FRONT_DESK: front_desk,
        roles.MANAGER: manager,
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
