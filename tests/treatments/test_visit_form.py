"""The visit form's fields: sites grouped by region, each dose's usual range beside it,
and what needs no choosing (the only location, the clinician) already chosen."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from apps.treatments.models import Route, TreatmentSite
from exotrack import roles
from tests.builders import vial_code
from tests.factories import LocationFactory, TreatmentSiteFactory, UserFactory

pytestmark = pytest.mark.django_db

Category = TreatmentSite.Category


def _add_url(patient) -> str:
    return reverse("treatments:visit-add") + f"?patient={patient.pk}"


def _site(name: str, category: str, low: str = "1", high: str = "2", **extra) -> TreatmentSite:
    return TreatmentSiteFactory(
        name=name,
        category=category,
        dose_min_billions=Decimal(low),
        dose_max_billions=Decimal(high),
        default_route=Route.OTHER,
        laterality_applies=False,
        **extra,
    )


def test_sites_are_grouped_by_category_in_the_catalogues_order_and_by_name(client, nurse, patient):
    # Created out of order, and alphabetical categories would put Dental before Joint.
    _site("Scalp", Category.SCALP)
    _site("Shoulder", Category.JOINT)
    _site("Gums", Category.DENTAL)
    _site("Ankle", Category.JOINT)
    _site("Elbow", Category.JOINT, active=False)
    client.force_login(nurse)
    response = client.get(_add_url(patient))
    choices = response.context["formset"].forms[0].fields["site"].choices
    assert [(group, [name for _, name in options]) for group, options in choices[1:]] == [
        ("Joint", ["Ankle", "Shoulder"]),
        ("Dental", ["Gums"]),
        ("Scalp", ["Scalp"]),
    ]
    assert choices[0] == ("", "Choose a site")
    assertContains(response, '<optgroup label="Joint">')


def test_a_doses_usual_range_is_shown_beside_it_once_its_site_is_chosen(
    client, clinician, patient, location, knee, lot
):
    single = _site("Hand tendon", Category.TENDON, "1", "1")
    client.force_login(clinician)
    blank = client.get(_add_url(patient))
    assertContains(
        blank, '<small class="help" id="id_doses-0-billions_helptext">Choose a site to see'
    )
    # The script's table of hints, one per site.
    assert blank.context["formset"].usual_doses == {
        knee.pk: "Usual 3\N{EN DASH}5 bn",
        single.pk: "Usual 1 bn",
    }

    when = timezone.localtime() - datetime.timedelta(hours=1)
    shown_again = client.post(
        _add_url(patient),
        {
            "visited_at": when.strftime("%Y-%m-%dT%H:%M"),
            "doses-TOTAL_FORMS": 2,
            "doses-INITIAL_FORMS": 0,
            "doses-0-site": knee.pk,
            "doses-0-laterality": "left",
            "doses-1-site": single.pk,
            "doses-1-laterality": "na",
        },
    )
    html = shown_again.content.decode()
    assert shown_again.status_code == 200
    assert 'id="id_doses-0-billions_helptext">Usual 3\N{EN DASH}5 bn</small>' in html
    assert 'id="id_doses-1-billions_helptext">Usual 1 bn</small>' in html
    # A screen reader reads the hint with the field.
    assert 'aria-describedby="id_doses-0-billions_helptext' in html


def test_a_scanned_vials_row_keeps_its_sites_usual_range(client, nurse, knee, lot):
    client.force_login(nurse)
    response = client.post(
        reverse("treatments:vial-scan"),
        {"prefix": "doses-1", "doses-1-scan": vial_code(lot), "doses-1-site": knee.pk},
        headers={"HX-Request": "true"},
    )
    assertContains(response, 'id="id_doses-1-billions_helptext">Usual 3\N{EN DASH}5 bn</small>')
    assertContains(response, 'Remove site <span class="dose-number">2</span>')


def test_the_only_location_and_the_only_clinician_come_chosen(client, nurse, patient):
    location = LocationFactory(name="Main clinic")
    only = UserFactory(first_name="Cleo", role=roles.CLINICIAN)
    client.force_login(nurse)
    form = client.get(_add_url(patient)).context["form"]
    assert form["location"].value() == location.pk
    assert form["clinician"].value() == only.pk

    LocationFactory(name="Back Bay rooms")
    UserFactory(first_name="Carl", role=roles.CLINICIAN)
    form = client.get(_add_url(patient)).context["form"]
    assert form["location"].value() is None
    assert form["clinician"].value() is None


def test_a_signed_in_clinician_is_the_visits_clinician_among_several(client, clinician, patient):
    UserFactory(first_name="Carl", role=roles.CLINICIAN)
    client.force_login(clinician)
    form = client.get(_add_url(patient)).context["form"]
    assert form["clinician"].value() == clinician.pk
