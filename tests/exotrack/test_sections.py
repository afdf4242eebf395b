import pytest
from django.core.exceptions import ImproperlyConfigured

from exotrack.dashboard import DASHBOARD
from exotrack.sections import LOT_PAGE, LOT_PAGE_ACTIONS, PATIENT_PAGE, Page, Section


class Reader:
    def __init__(self, *perms: str) -> None:
        self.perms = set(perms)

    def get_all_permissions(self) -> set[str]:
        return self.perms


def _section(key: str, order: int, *permissions: str) -> Section:
    return Section(
        key=key,
        template=f"{key}.html",
        permissions=permissions,
        order=order,
        load=lambda *, user, patient: {"rows": [key, patient]},
    )


def test_sections_show_in_page_order_to_those_with_every_permission():
    page = Page("test")
    page.register(_section("late", 20))
    page.register(_section("early", 10))
    page.register(_section("clinical", 15, "patients.view_clinical", "safety.view_medicationflag"))
    shown = page.shown(user=Reader("patients.view_clinical"), patient="p")
    assert [(s.key, s.template, s.context) for s in shown] == [
        ("early", "early.html", {"rows": ["early", "p"]}),
        ("late", "late.html", {"rows": ["late", "p"]}),
    ]
    both = Reader("patients.view_clinical", "safety.view_medicationflag")
    assert [s.key for s in page.sections_for(both)] == ["early", "clinical", "late"]


def test_a_key_is_registered_once():
    page = Page("test")
    page.register(_section("outcomes", 10))
    with pytest.raises(ImproperlyConfigured):
        page.register(_section("outcomes", 20))


def test_the_apps_register_their_sections_in_reading_order():
    assert [s.key for s in PATIENT_PAGE.registered()] == [
        "medications",
        "medication-flags",
        "visits",
        "lots",
        "adverse-events",
        "follow-ups",
        "outcomes",
        "consents",
        "photos",
        "injection-maps",
    ]
    assert [s.key for s in LOT_PAGE_ACTIONS.registered()] == ["recall"]
    assert [s.key for s in LOT_PAGE.registered()] == ["recall-calls", "recipients"]
    assert [s.key for s in DASHBOARD.registered()] == [
        "find-patient",
        "sign-off",
        "follow-ups-today",
        "visits-today",
        "stock",
        "lots-out-of-use",
        "serious-events",
        "medication-flags",
        "staff-locked-out",
    ]
