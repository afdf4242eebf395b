"""Follow-up rules: seeded from seeds/followup_rules.toml, then kept by the clinic
manager. Every write checks the same rules, so the form, the seed and the admin agree."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.followups.models import Channel, FollowUpRule, Kind
from apps.treatments.models import TreatmentSite
from exotrack.history import recorded_by

# E-mail templates the reminder sender has (followups/email/<template>.{txt,html}).
REMINDER_TEMPLATES = ("check_in", "outcome", "repeat_session", "recall_contact")
# Recall contacts follow a lot recall, not a visit: no rule schedules them.
RULE_KINDS = (Kind.CHECK_IN, Kind.OUTCOME, Kind.REPEAT_SESSION)

RULE_FIELDS = (
    "code",
    "name",
    "kind",
    "site_categories",
    "offset_days",
    "repeat",
    "interval_days",
    "channel",
    "template",
    "active",
)


def followup_rule_errors(rule: FollowUpRule) -> dict[str, str]:
    errors: dict[str, str] = {}
    if rule.kind not in RULE_KINDS:
        errors["kind"] = "A rule schedules a check-in, an outcome or a repeat session."
    unknown = [c for c in rule.site_categories if c not in TreatmentSite.Category.values]
    if unknown:
        errors["site_categories"] = f"Not a site category: {', '.join(map(str, unknown))}."
    if rule.offset_days is None or rule.offset_days < 0:
        errors["offset_days"] = "Days after the visit: zero or more."
    if rule.repeat and rule.kind != Kind.REPEAT_SESSION:
        errors["repeat"] = "Only a repeat session repeats."
    if rule.kind == Kind.REPEAT_SESSION and not rule.repeat:
        errors["repeat"] = "Say whether the session is periodic or offered on reassessment."
    if rule.repeat == FollowUpRule.Repeat.PERIODIC:
        if not rule.interval_days or rule.interval_days < 1:
            errors["interval_days"] = "A periodic session needs the days between sessions."
        elif rule.offset_days is not None and rule.offset_days > rule.interval_days:
            errors["offset_days"] = (
                "The reminder to book falls due before the next session (at most the interval)."
            )
    elif rule.interval_days is not None:
        errors["interval_days"] = "Only a periodic session has an interval."
    if rule.channel not in Channel.values:
        errors["channel"] = "Choose patient e-mail or staff call."
    if rule.template not in REMINDER_TEMPLATES:
        errors["template"] = f"Choose one of the reminder e-mails: {', '.join(REMINDER_TEMPLATES)}."
    return errors


def _rule_saved(rule: FollowUpRule) -> FollowUpRule:
    rule.site_categories = sorted(set(rule.site_categories or []))
    errors = followup_rule_errors(rule)
    if errors:
        raise ValidationError(errors)
    rule.full_clean()
    rule.save()
    return rule


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Not a rule field: {', '.join(sorted(unknown))}")


def followup_rule_create(*, by: User, **fields: Any) -> FollowUpRule:
    _check_fields(fields)
    with transaction.atomic(), recorded_by(by):
        return _rule_saved(FollowUpRule(**fields))


def followup_rule_update(*, by: User, rule: FollowUpRule, **fields: Any) -> FollowUpRule:
    """Change a rule. Follow-ups it already scheduled keep their dates; the change
    applies to visits recorded from now on. The code names the rule for the seed and
    stays as it is."""
    _check_fields(fields)
    if "code" in fields and fields["code"] != rule.code:
        raise ValidationError({"code": "A rule's code cannot change."})
    with transaction.atomic(), recorded_by(by):
        locked = FollowUpRule.objects.select_for_update().get(pk=rule.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        return _rule_saved(locked)


def followup_rule_deactivate(*, by: User, rule: FollowUpRule) -> FollowUpRule:
    """Stop scheduling by this rule; follow-ups already made stay."""
    return followup_rule_update(by=by, rule=rule, active=False)


@transaction.atomic
def followup_rule_seed(**fields: Any) -> tuple[FollowUpRule, bool]:
    """Add a rule unless one with that code exists: a manager's edits stay. Returns
    the rule and whether it was created now."""
    _check_fields(fields)
    if "code" not in fields:
        raise KeyError("code")
    existing = FollowUpRule.objects.filter(code=fields["code"]).first()
    if existing is not None:
        return existing, False
    fields.setdefault("interval_days", None)
    return _rule_saved(FollowUpRule(**fields)), True
