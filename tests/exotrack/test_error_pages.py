"""The 404 and 500 pages: the reason and a way back, never Django's bare text page."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_why_and_leads_back(client, clinician):
    client.force_login(clinician)
    answer = client.get(reverse("treatments:visit-add"), secure=True)
    assert answer.status_code == 404
    page = answer.content.decode()
    assert "Open the patient first, then record the visit." in page
    assert f'href="{reverse("dashboard")}"' in page
    assert f'href="{reverse("patients:list")}"' in page


def test_an_unknown_address_is_explained(client, clinician):
    client.force_login(clinician)
    answer = client.get("/no-such-page/", secure=True)
    assert answer.status_code == 404
    assert "There is nothing at this address" in answer.content.decode()


def test_a_server_error_leads_back_without_the_request_context():
    answer = server_error(RequestFactory().get("/"))
    assert answer.status_code == 500
    page = answer.content.decode()
    assert "Something went wrong" in page
    assert f'href="{reverse("dashboard")}"' in page
