"""What follows a synthetic visit: outcome assessments of its treated sites, the adverse
events some patients report, and the follow-ups its rules scheduled with their reminder
e-mails. Generated as COPY text lines, like the rest of the synthetic clinic.

Drawn from a random generator of its own, so adding aftercare leaves the patients,
visits and doses of a seed exactly as they were.
"""

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

NULL = "\\N"
UTC = datetime.UTC
# Categories whose doses carry a baseline pain score, so their outcomes are scored in pain.
PAIN_SCORED = ("joint", "tendon", "dental")
# (timepoint, days after the visit, share of episodes assessed then)
ASSESSMENTS = (
    ("2w", 14, 0.35),
    ("6w", 42, 0.7),
    ("3m", 91, 0.55),
    ("6m", 182, 0.4),
    ("12m", 365, 0.3),
)
# Follow-ups were scheduled for visits of the last this many days (older history predates
# the clinic's scheduling), which keeps a million-dose clinic quick to build.
FOLLOW_UP_HISTORY_DAYS = 120
FOLLOW_UP_COMPLETED_SHARE = 0.75
FOLLOW_UP_CANCELLED_SHARE = 0.08

AFTERCARE_COLUMNS = {
    "assessments": [
        "id",
        "created_at",
        "updated_at",
        "void_reason",
        "dose_id",
        "assessed_on",
        "timepoint",
        "pain",
        "pgic",
        "percent_better",
        "region_instrument",
        "notes",
        "source",
    ],
    "adverse_events": [
        "id",
        "created_at",
        "updated_at",
        "void_reason",
        "patient_id",
        "visit_id",
        "event_type_id",
        "description",
        "onset_date",
        "resolution_date",
        "grade",
        "seriousness",
        "outcome",
        "causality",
        "action_taken",
        "abated_on_stopping",
        "recurred_on_reintroduction",
        "narrative",
        "manufacturer_reference",
        "fda_reference",
        "created_by_id",
    ],
    "adverse_event_doses": ["id", "adverse_event_id", "dose_id"],
    "follow_ups": [
        "id",
        "created_at",
        "updated_at",
        "patient_id",
        "visit_id",
        "rule_id",
        "kind",
        "channel",
        "due_on",
        "status",
        "note",
        "completed_at",
        "completed_by_id",
        "completion_note",
        "reminder_state",
        "next_reminder_at",
        "reminders_sent",
        "temporary_failures",
    ],
    "deliveries": [
        "id",
        "follow_up_id",
        "attempted_at",
        "status",
        "to_address",
        "smtp_code",
        "smtp_reply",
        "message_id",
        "reminder_number",
    ],
}


@dataclass(frozen=True)
class RuleSpec:
    """A once-only follow-up rule (check-in or outcome) from the seeded rules."""

    id: int
    kind: str
    offset_days: int
    channel: str
    site_categories: tuple[str, ...]


@dataclass(frozen=True)
class EventTypeSpec:
    id: int
    code: str
    name: str
    per_dose: bool
    chance: float
    action: str


# Chances per exposure (DOMAIN.md: infection ~1 in 2,000 treatments; cold sore ~1 in 20
# patients, fewer with prophylaxis; the others are the clinic's everyday events).
EVENT_CHANCES = {
    "injection_site_infection": (True, 1 / 2000, "Oral antibiotics"),
    "injection_site_reaction": (True, 0.03, ""),
    "cold_sore": (False, 0.05, "Valacyclovir"),
    "fever_flu_like": (False, 0.01, ""),
    "orthostatic_hypotension": (False, 0.004, "Antihypertensive dose reviewed"),
}


@dataclass(frozen=True)
class TreatedSite:
    dose_id: int
    category: str
    baseline_pain: int | None


def _line(*values: object | None) -> str:
    return "\t".join(NULL if v is None else str(v) for v in values) + "\n"


def _ts(moment: datetime.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}+00"


class Aftercare:
    """Adds the aftercare of one visit at a time to `tables`."""

    def __init__(
        self,
        *,
        seed: int,
        today: datetime.date,
        zone: ZoneInfo,
        rules: Sequence[RuleSpec],
        event_types: Sequence[EventTypeSpec],
        next_id: Callable[[str], int],
        tables: Any,
    ) -> None:
        # A generator of its own: the visits of a seed do not move when aftercare changes.
        self.rng = random.Random(f"aftercare-{seed}")  # noqa: S311 - repeatable fake data
        self.today = today
        self.zone = zone
        self.rules = list(rules)
        self.event_types = list(event_types)
        self._id = next_id
        # The clinic's Tables: assessments, adverse_events, ... lists of COPY lines.
        self.tables = tables

    def _local(self, day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=self.zone).astimezone(UTC)

    def visit(
        self,
        *,
        visit_id: int,
        patient_id: int,
        clinician_id: int,
        day: datetime.date,
        sites: Sequence[TreatedSite],
        prophylaxis: bool,
        email: str,
        consent: bool,
    ) -> None:
        for site in sites:
            if site.category in PAIN_SCORED and site.baseline_pain is not None:
                self._assessments(site=site, baseline=site.baseline_pain, day=day)
        self._adverse_events(
            visit_id=visit_id,
            patient_id=patient_id,
            clinician_id=clinician_id,
            day=day,
            sites=sites,
            prophylaxis=prophylaxis,
        )
        if (self.today - day).days <= FOLLOW_UP_HISTORY_DAYS:
            categories = {site.category for site in sites}
            for rule in self.rules:
                if not rule.site_categories or categories & set(rule.site_categories):
                    self._follow_up(
                        rule=rule,
                        visit_id=visit_id,
                        patient_id=patient_id,
                        clinician_id=clinician_id,
                        day=day,
                        email=email if consent else "",
                    )

    def _assessments(self, *, site: TreatedSite, baseline: int, day: datetime.date) -> None:
        rng = self.rng
        # Most episodes improve, some a lot; a few do not change.
        best_drop = rng.choice((0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8))
        for timepoint, offset, share in ASSESSMENTS:
            assessed_on = day + datetime.timedelta(days=offset + rng.randint(-3, 3))
            if assessed_on >= self.today or rng.random() >= share:
                continue
            progress = min(1.0, offset / 91)
            pain = round(baseline * (1 - best_drop * progress) + rng.gauss(0, 0.8))
            pain = max(0, min(10, pain))
            better = max(0, min(100, round(100 * (baseline - pain) / baseline))) if baseline else 0
            pgic = 1 if better >= 60 else 2 if better >= 35 else 3 if better >= 15 else 4
            if pain > baseline:
                pgic = 5
            at = _ts(self._local(assessed_on, 12))
            self.tables.assessments.append(
                _line(
                    self._id("assessments"),
                    at,
                    at,
                    "",
                    site.dose_id,
                    assessed_on,
                    timepoint,
                    pain,
                    pgic,
                    better,
                    "",
                    "",
                    "self_report" if rng.random() < 0.4 else "staff",
                )
            )

    def _adverse_events(
        self,
        *,
        visit_id: int,
        patient_id: int,
        clinician_id: int,
        day: datetime.date,
        sites: Sequence[TreatedSite],
        prophylaxis: bool,
    ) -> None:
        rng = self.rng
        for event_type in self.event_types:
            chance = (
                event_type.chance / 3
                if event_type.code == "cold_sore" and prophylaxis
                else event_type.chance
            )
            exposed = [[site] for site in sites] if event_type.per_dose else [list(sites)]
            for doses in exposed:
                if rng.random() >= chance:
                    continue
                onset = day + datetime.timedelta(days=rng.randint(1, 5))
                if onset >= self.today:
                    continue
                resolved = onset + datetime.timedelta(days=rng.randint(3, 14))
                event_id = self._id("adverse_events")
                at = _ts(self._local(onset, 15))
                self.tables.adverse_events.append(
                    _line(
                        event_id,
                        at,
                        at,
                        "",
                        patient_id,
                        visit_id,
                        event_type.id,
                        "",
                        onset,
                        resolved if resolved < self.today else None,
                        2 if rng.random() < 0.15 else 1,
                        "{}",
                        "recovered" if resolved < self.today else "recovering",
                        rng.choice(("possible", "probable", "unlikely")),
                        event_type.action,
                        "unknown",
                        "unknown",
                        "",
                        "",
                        "",
                        clinician_id,
                    )
                )
                for site in doses:
                    self.tables.adverse_event_doses.append(
                        _line(self._id("adverse_event_doses"), event_id, site.dose_id)
                    )

    def _follow_up(
        self,
        *,
        rule: RuleSpec,
        visit_id: int,
        patient_id: int,
        clinician_id: int,
        day: datetime.date,
        email: str,
    ) -> None:
        rng = self.rng
        due = day + datetime.timedelta(days=rule.offset_days)
        channel = "email" if rule.channel == "email" and email else "call"
        created = _ts(self._local(day, 18))
        reminder_at = self._local(due, 9)
        status, completed_at, reminders, state, next_at = "pending", None, 0, "", None
        if due < self.today:
            draw = rng.random()
            if draw < FOLLOW_UP_COMPLETED_SHARE:
                status = "completed"
                completed_at = self._local(due + datetime.timedelta(days=rng.randint(0, 6)), 14)
            elif draw < FOLLOW_UP_COMPLETED_SHARE + FOLLOW_UP_CANCELLED_SHARE:
                status = "cancelled"
            if channel == "email":
                # A second reminder when the first got no answer within a week.
                reminders = 1 if status == "completed" and rng.random() < 0.7 else 2
                state = "sent"
        elif channel == "email":
            state, next_at = "scheduled", reminder_at
        follow_up_id = self._id("follow_ups")
        self.tables.follow_ups.append(
            _line(
                follow_up_id,
                created,
                _ts(completed_at) if completed_at else created,
                patient_id,
                visit_id,
                rule.id,
                rule.kind,
                channel,
                due,
                status,
                "Patient asked not to be contacted again" if status == "cancelled" else "",
                _ts(completed_at) if completed_at else None,
                clinician_id if completed_at else None,
                "",
                state,
                _ts(next_at) if next_at else None,
                reminders,
                0,
            )
        )
        for number in range(1, reminders + 1):
            attempted = reminder_at + datetime.timedelta(
                days=7 * (number - 1), seconds=rng.randint(0, 300)
            )
            self.tables.deliveries.append(
                _line(
                    self._id("deliveries"),
                    follow_up_id,
                    _ts(attempted),
                    "sent",
                    email,
                    250,
                    "2.0.0 Ok: queued",
                    f"<{follow_up_id}.{number}@exotrack.synthetic>",
                    number,
                )
            )
