"""Follow-up rules: the seed file, the rule checks, and the manager's pages."""

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.followups.models import FollowUpRule, Kind
from apps.followups.services.rules import (
    followup_rule_create,
    followup_rule_seed,
    followup_rule_update,
)
from tests.builders import assert_nothing_changed
from tests.factories import FollowUpRuleFactory

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "seeds"


def seed(*args: str) -> None:
    call_command("seed", *args, skip_checks=True, stdout=io.StringIO())


def _rule(**changes) -> dict:
    fields = {
        "code": "check_in_day_5",
        "name": "Day-5 check",
        "kind": Kind.CHECK_IN,
        "site_categories": [],
        "offset_days": 5,
        "repeat": "",
        "interval_days": None,
        "channel": "email",
        "template": "check_in",
        "active": True,
    }
    return {**fields, **changes}


# --- the seed file --------------------------------------------------------------------


def test_the_seed_loads_the_clinics_schedule_and_twice_changes_nothing():
    seed()
    rules = {r.code: r for r in FollowUpRule.objects.all()}

    assert {code: (r.kind, r.offset_days) for code, r in rules.items()} == {
        "check_in_day_3": ("check_in", 3),
        "check_in_day_14": ("check_in", 14),
        "outcome_week_6": ("outcome", 42),
        "outcome_month_3": ("outcome", 91),
        "outcome_month_6": ("outcome", 182),
        "outcome_month_12": ("outcome", 365),
        "repeat_systemic_monthly": ("repeat_session", 23),
        "repeat_joint_tendon_reassess": ("repeat_session", 182),
    }
    monthly = rules["repeat_systemic_monthly"]
    assert (monthly.repeat, monthly.interval_days, monthly.site_categories) == (
        "periodic",
        30,
        ["systemic"],
    )
    assert rules["repeat_joint_tendon_reassess"].site_categories == ["joint", "tendon"]

    seed()
    assert FollowUpRule.objects.count() == 8


def test_seeding_again_keeps_what_a_manager_changed():
    seed()
    FollowUpRule.objects.filter(code="check_in_day_3").update(offset_days=2, active=False)

    seed()

    rule = FollowUpRule.objects.get(code="check_in_day_3")
    assert (rule.offset_days, rule.active) == (2, False)


def test_a_bad_rule_in_the_seed_is_named_and_nothing_is_saved(tmp_path):
    seeds = Path(shutil.copytree(SEEDS, tmp_path / "seeds"))
    path = seeds / "followup_rules.toml"
    path.write_text(path.read_text().replace('template = "outcome"', 'template = "newsletter"', 1))

    with pytest.raises(CommandError) as failure:
        seed("--seeds-dir", str(seeds))

    assert "followup_rules.toml, [[rules]] entry 3 ('Outcome at 6 weeks')" in str(failure.value)
    assert "template: Choose one of the reminder e-mails" in str(failure.value)
    assert not FollowUpRule.objects.exists()


def test_seed_service_returns_the_existing_rule_untouched():
    existing = FollowUpRuleFactory(offset_days=4)

    rule, created = followup_rule_seed(**_rule(code=existing.code, offset_days=3))

    assert (rule.pk, created, rule.offset_days) == (existing.pk, False, 4)


# --- the rule checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"offset_days": -1}, "offset_days"),
        ({"offset_days": None}, "offset_days"),
        ({"site_categories": ["elbow"]}, "site_categories"),
        ({"kind": Kind.RECALL_CONTACT}, "kind"),
        ({"template": "newsletter"}, "template"),
        ({"channel": "fax"}, "channel"),
        ({"repeat": "periodic"}, "repeat"),
        ({"kind": Kind.REPEAT_SESSION}, "repeat"),
        ({"kind": Kind.REPEAT_SESSION, "repeat": "periodic"}, "interval_days"),
        (
            {"kind": Kind.REPEAT_SESSION, "repeat": "periodic", "interval_days": 0},
            "interval_days",
        ),
        (
            {
                "kind": Kind.REPEAT_SESSION,
                "repeat": "periodic",
                "interval_days": 30,
                "offset_days": 31,
            },
            "offset_days",
        ),
        ({"kind": Kind.REPEAT_SESSION, "repeat": "reassess", "interval_days": 30}, "interval_days"),
        ({"code": "check_in_day_3"}, "code"),
    ],
)
def test_a_rule_is_refused_with_the_field_named(manager, changes, field):
    FollowUpRuleFactory()  # code check_in_day_3

    with pytest.raises(ValidationError) as refused:
        followup_rule_create(by=manager, **_rule(**changes))

    assert field in refused.value.message_dict
    assert FollowUpRule.objects.count() == 1


def test_a_rules_code_cannot_change(manager):
    rule = FollowUpRuleFactory()

    with pytest.raises(ValidationError) as refused:
        followup_rule_update(by=manager, rule=rule, code="renamed")

    assert "code" in refused.value.message_dict


# --- the manager's pages --------------------------------------------------------------


def test_the_manager_adds_a_rule_through_the_form(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("followups:rule-add"),
        {
            "code": "monthly_face",
            "name": "Monthly face session",
            "kind": "repeat_session",
            "site_categories": ["face", "scalp"],
            "offset_days": "25",
            "repeat": "periodic",
            "interval_days": "28",
            "channel": "email",
            "template": "repeat_session",
            "active": "on",
        },
    )

    assert response.status_code == 302
    rule = FollowUpRule.objects.get(code="monthly_face")
    assert rule.site_categories == ["face", "scalp"] and rule.interval_days == 28


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"offset_days": "-2"}, "offset_days", "greater than or equal to 0"),
        ({"repeat": "periodic", "kind": "repeat_session"}, "interval_days", "days between"),
        ({"template": "newsletter"}, "template", "Select a valid choice"),
        ({"site_categories": ["elbow"]}, "site_categories", "Select a valid choice"),
    ],
)
def test_the_rule_form_names_the_bad_field(client, manager, changes, field, message):
    client.force_login(manager)
    data = {
        "code": "x",
        "name": "X",
        "kind": "check_in",
        "offset_days": "3",
        "channel": "email",
        "template": "check_in",
        **changes,
    }

    response = client.post(reverse("followups:rule-add"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not FollowUpRule.objects.exists()


def test_the_manager_edits_a_rule_but_not_its_code(client, manager):
    rule = FollowUpRuleFactory()
    client.force_login(manager)
    data = _rule(code="changed", name="Day-4 check", offset_days=4, site_categories=["joint"])
    data = {k: v for k, v in data.items() if v is not None}
    data["active"] = "on"

    response = client.post(reverse("followups:rule-edit", args=[rule.pk]), data)

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.code, rule.name, rule.offset_days) == ("check_in_day_3", "Day-4 check", 4)
    assert rule.site_categories == ["joint"]


def test_the_edit_page_shows_the_rule_and_its_history(client, manager):
    rule = FollowUpRuleFactory()
    client.force_login(manager)

    response = client.get(reverse("followups:rule-edit", args=[rule.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"]["code"].field.disabled
    assert reverse("audit:history", args=["followups", "followuprule", rule.pk]) in body
    history = client.get(reverse("audit:history", args=["followups", "followuprule", rule.pk]))
    assert history.status_code == 200


def test_the_manager_deactivates_a_rule(client, manager):
    rule = FollowUpRuleFactory()
    client.force_login(manager)

    response = client.post(reverse("followups:rule-deactivate", args=[rule.pk]))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.active is False


def test_clinical_staff_read_the_rules_and_only_the_manager_changes_them(
    client, clinician, front_desk, outsider
):
    rule = FollowUpRuleFactory()
    client.force_login(clinician)
    page = client.get(reverse("followups:rule-list"))
    assert page.status_code == 200 and "Day-3 infection check" in page.content.decode()
    assert reverse("followups:rule-edit", args=[rule.pk]) not in page.content.decode()
    for url in [
        reverse("followups:rule-add"),
        reverse("followups:rule-edit", args=[rule.pk]),
    ]:
        assert client.get(url).status_code == 403
    with assert_nothing_changed():
        assert client.post(reverse("followups:rule-deactivate", args=[rule.pk])).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("followups:rule-list")).status_code == 403
    assert FollowUpRule.objects.get().active


def test_rule_list_costs_the_same_queries_for_one_and_many(
    client, manager, django_assert_num_queries
):
    client.force_login(manager)
    FollowUpRuleFactory()
    url = reverse("followups:rule-list")
    client.get(url)
    # session, user, permissions (2), rules, groups (header).
    with django_assert_num_queries(6):
        client.get(url)
    for n in range(20):
        FollowUpRuleFactory(code=f"rule_{n}", name=f"Rule {n}")
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["rules"]) == 21
