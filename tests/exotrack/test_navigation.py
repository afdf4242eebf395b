"""Each role sees the navigation entries it may use, and only those. Checked against the
navigation table itself, so entries added for new pages are covered as they arrive."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from exotrack.navigation import NAVIGATION, NavItem, visible_navigation

ROLES = ["clinician", "nurse", "front_desk", "manager", "outsider"]


def _url(item: NavItem) -> str | None:
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        return None


def _expected(user) -> list[NavItem]:
    perms = user.get_all_permissions()
    return [
        item
        for item in NAVIGATION
        if _url(item) is not None and (item.permission is None or item.permission in perms)
    ]


def _rendered_navigation(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav aria-label="Main".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


@pytest.mark.django_db
def test_every_navigation_permission_exists():
    from django.contrib.auth.models import Permission

    known = {
        f"{app}.{code}"
        for app, code in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert {i.permission for i in NAVIGATION if i.permission} <= known


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_entries_its_permissions_allow(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)

    html = client.get(reverse("dashboard")).content.decode()

    expected = [(_url(i), i.label) for i in _expected(user)]
    assert _rendered_navigation(html) == expected
    assert [(e["url"], e["label"]) for e in visible_navigation(user, "/")] == expected


def test_the_roles_see_different_menus(personas, outsider):
    labels = {role: {i.label for i in _expected(user)} for role, user in personas.items()} | {
        "outsider": {i.label for i in _expected(outsider)}
    }
    assert labels["outsider"] == {"Dashboard", "Your account", "API"}
    assert "Clinic" in labels["manager"]
    for role in ("clinician", "nurse", "front_desk"):
        assert "Clinic" not in labels[role]
    assert not labels["front_desk"] & {"Visits", "Lots", "Access log"}


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_shown_opens(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)

    for item in _expected(user):
        status = client.get(_url(item)).status_code
        assert status == 200, f"{role} sees {item.label} but {_url(item)} answers {status}"


@pytest.mark.parametrize("role", ["front_desk", "outsider"])
def test_pages_of_entries_hidden_from_a_role_without_record_access_are_refused(
    client, request, role
):
    # Entries can also be hidden only to keep a menu short (a clinician may read the
    # product list a manager maintains); for these roles each hidden entry is off limits.
    user = request.getfixturevalue(role)
    client.force_login(user)
    shown = _expected(user)

    for item in NAVIGATION:
        url = _url(item)
        if url is None or item in shown:
            continue
        status = client.get(url).status_code
        assert status == 403, f"{role} may not use {item.label} but {url} answers {status}"


def test_the_current_page_is_marked(client, manager):
    client.force_login(manager)
    html = client.get(reverse("clinic:profile")).content.decode()
    assert re.search(r'<a href="/clinic/" aria-current="page">Clinic</a>', html)
    assert '<a href="/" aria-current="page">' not in html


def test_signed_out_visitors_get_no_navigation(client, db):
    html = client.get(reverse("login")).content.decode()
    assert 'aria-label="Main"' not in html


def test_one_tab_is_current_the_longest_match(manager):
    def current(path: str) -> list[str]:
        return [e["label"] for e in visible_navigation(manager, path) if e["active"]]

    assert current("/patients/medication-classes/") == ["Medication classes"]
    assert current("/patients/12/") == ["Patients"]
    assert current("/") == ["Dashboard"]
