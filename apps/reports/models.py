from django.db import models


class Report(models.Model):
    """No table: carries the permissions of the reports page and its exports."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_reports", "Can see outcome reports and export de-identified CSVs"),
            ("export_identified", "Can export CSVs that identify patients"),
        ]

    def __str__(self) -> str:
        return "Reports"


class Episode(models.Model):
    """One treated site of a visit (a dose) as the reports count it: only doses of visits
    and patients not voided, with the outcome pivot and the adverse events already
    worked out, so a figure over a million episodes reads one narrow table.

    Kept by PostgreSQL, never by the ORM: statement-level triggers on every table it
    is drawn from recompute the episodes a statement touched, in that statement's
    transaction (migration 0002; the same rows as the view `reports_episode_source`).
    `manage.py rebuild_episodes` recomputes them all. Ids are plain numbers, not foreign
    keys: rows come and go with their dose, in whatever order a transaction deletes."""

    dose_id = models.BigIntegerField(primary_key=True)
    visit_id = models.BigIntegerField()
    patient_id = models.BigIntegerField()
    visited_at = models.DateTimeField()
    clinician_id = models.BigIntegerField()
    location_id = models.BigIntegerField()
    site_id = models.BigIntegerField()
    lot_id = models.BigIntegerField()
    laterality = models.CharField(max_length=10)
    billions = models.DecimalField(max_digits=8, decimal_places=2)
    # The visit form's pain, else the latest baseline assessment.
    baseline_pain = models.SmallIntegerField(null=True)
    # The latest assessment (by day, then id) of each timepoint.
    pain_2w = models.SmallIntegerField(null=True)
    pain_6w = models.SmallIntegerField(null=True)
    pain_3m = models.SmallIntegerField(null=True)
    pain_6m = models.SmallIntegerField(null=True)
    pain_12m = models.SmallIntegerField(null=True)
    # The latest assessment after the visit, whatever its timepoint ("other" included).
    latest_timepoint = models.CharField(max_length=10, null=True)
    latest_pain = models.SmallIntegerField(null=True)
    pgic = models.SmallIntegerField(null=True)
    percent_better = models.SmallIntegerField(null=True)
    last_assessed_on = models.DateField(null=True)
    # Types of the adverse events (not voided) linked to the dose, ';'-separated by
    # name; NULL when there is none.
    adverse_events = models.TextField(null=True)
    # The clinic's day of the visit, in the zone VisitDayZone names, and the patient's
    # whole years on that day (as age() counts them): the exports' visit date and age
    # band, worked out once per write instead of on each of a million rows per export.
    visit_on = models.DateField()
    age_years = models.SmallIntegerField()

    class Meta:
        default_permissions = ()
        # Read by period only (the days either side of whole months, the exports' date
        # filter); every other filter is answered from EpisodeTotal. Each index more
        # is one more write on every refresh.
        indexes = [models.Index(fields=["visited_at"], name="episode_visited_at_idx")]

    def __str__(self) -> str:
        return f"Episode of dose {self.dose_id}"


class EpisodeTotal(models.Model):
    """The episodes of one calendar month (UTC), site, lot, clinician and location,
    added up: exact integers a figure is the sum of (counts, sums and sums of squares of
    pain scores, responders), so the unfiltered page adds a few thousand rows instead
    of a million episodes. Kept by a trigger on the episodes table (migration 0004);
    rebuilt with it.

    Responders are counted by the rule in ResponderRule; when the settings name another
    rule, the figures are read from the episodes instead, until the next rebuild."""

    month_start = models.DateTimeField()
    site_id = models.BigIntegerField()
    lot_id = models.BigIntegerField()
    clinician_id = models.BigIntegerField()
    location_id = models.BigIntegerField()
    doses = models.BigIntegerField()
    with_event = models.BigIntegerField()
    assessed = models.BigIntegerField()  # baseline and a later pain both known
    responders = models.BigIntegerField()
    baseline_n = models.BigIntegerField()
    baseline_total = models.BigIntegerField()
    baseline_squares = models.BigIntegerField()
    pain_2w_n = models.BigIntegerField()
    pain_2w_total = models.BigIntegerField()
    pain_2w_squares = models.BigIntegerField()
    pain_6w_n = models.BigIntegerField()
    pain_6w_total = models.BigIntegerField()
    pain_6w_squares = models.BigIntegerField()
    pain_3m_n = models.BigIntegerField()
    pain_3m_total = models.BigIntegerField()
    pain_3m_squares = models.BigIntegerField()
    pain_6m_n = models.BigIntegerField()
    pain_6m_total = models.BigIntegerField()
    pain_6m_squares = models.BigIntegerField()
    pain_12m_n = models.BigIntegerField()
    pain_12m_total = models.BigIntegerField()
    pain_12m_squares = models.BigIntegerField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["month_start", "site_id", "lot_id", "clinician_id", "location_id"],
                name="episode_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"Episodes of {self.month_start:%Y-%m}, site {self.site_id}, lot {self.lot_id}"


class ResponderRule(models.Model):
    """The responder rule EpisodeTotal counted with (one row), as the settings
    OUTCOME_RESPONDER_MIN_POINTS and OUTCOME_RESPONDER_MIN_PERCENT stood at the last
    rebuild of the episodes."""

    min_points = models.PositiveSmallIntegerField()
    min_percent = models.PositiveSmallIntegerField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.min_points} points or {self.min_percent} %"


class VisitDayZone(models.Model):
    """The time zone the episodes' visit days and ages were worked out in (one row):
    settings.TIME_ZONE when the table was built or last rebuilt. When the settings name
    another zone (or the row is gone), the exports work each day out from the visit's
    time instead, until the next rebuild: the next migrate runs it (post_migrate)."""

    name = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.name
