"""Pure outcome rules: responder, timepoint windows, region score per site."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import sql

from apps.outcomes.models import RegionInstrument, Timepoint
from apps.outcomes.rules import is_responder, region_instrument, responder_params, responder_sql
from apps.outcomes.timepoints import timepoint_for
from tests.factories import TreatmentSiteFactory

VISIT_DAY = datetime.date(2026, 1, 10)


def sql_responders(cases: list[tuple[int | None, int | None]]) -> list[bool | None]:
    """The SQL rule's answer for each (baseline, pain), evaluated by PostgreSQL."""
    query = sql.SQL(
        "SELECT {rule} FROM unnest(%(baselines)s::int[], %(pains)s::int[]) "
        "WITH ORDINALITY AS scores(baseline, pain, n) ORDER BY n"
    ).format(rule=responder_sql(baseline="scores.baseline", pain="scores.pain"))
    params = {
        "baselines": [baseline for baseline, _ in cases],
        "pains": [pain for _, pain in cases],
        **responder_params(),
    }
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), params)
        return [answer for (answer,) in cursor.fetchall()]


@pytest.mark.parametrize(
    ("baseline", "pain", "expected"),
    [
        (6, 4, True),  # exactly 2 points
        (6, 5, False),  # 1 point, 16 %
        (10, 7, True),  # exactly 30 %, 3 points
        (3, 2, True),  # 1 point but 33 %
        (10, 8, True),  # 2 points, 20 %
        (4, 3, False),  # 1 point, exactly 25 %
        (0, 0, False),  # nothing to improve on
        (5, 7, False),  # worse
        (None, 3, None),  # no baseline: unknown
        (6, None, None),
    ],
)
def test_responder_is_two_points_or_thirty_percent(baseline, pain, expected):
    assert is_responder(baseline, pain) is expected


def test_responder_thresholds_follow_the_settings(settings):
    settings.OUTCOME_RESPONDER_MIN_POINTS = 3
    settings.OUTCOME_RESPONDER_MIN_PERCENT = 50
    assert is_responder(6, 4) is False
    assert is_responder(6, 3) is True
    assert is_responder(4, 2) is True  # 50 %


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("baseline", "pain"), [(6, 4), (6, 5), (10, 7), (3, 2), (4, 3), (0, 0), (5, 7), (None, 3)]
)
def test_the_sql_rule_agrees_with_the_python_rule(baseline, pain):
    (found,) = sql_responders([(baseline, pain)])
    assert bool(found) is bool(is_responder(baseline, pain))


pain_score = st.one_of(st.none(), st.integers(min_value=0, max_value=10))


@pytest.mark.django_db
@examples(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=st.lists(st.tuples(pain_score, pain_score), min_size=1, max_size=20),
    points=st.integers(min_value=1, max_value=10),
    percent=st.integers(min_value=1, max_value=100),
)
def test_sql_and_python_responder_agree_on_generated_cases(cases, points, percent):
    with override_settings(
        OUTCOME_RESPONDER_MIN_POINTS=points, OUTCOME_RESPONDER_MIN_PERCENT=percent
    ):
        assert sql_responders(cases) == [is_responder(b, p) for b, p in cases]


@pytest.mark.parametrize(
    ("days", "timepoint"),
    [
        (0, Timepoint.BASELINE),
        (1, Timepoint.OTHER),
        (6, Timepoint.OTHER),
        (7, Timepoint.WEEK_2),
        (21, Timepoint.WEEK_2),
        (22, Timepoint.OTHER),
        (27, Timepoint.OTHER),
        (28, Timepoint.WEEK_6),
        (56, Timepoint.WEEK_6),
        (57, Timepoint.OTHER),
        (60, Timepoint.OTHER),
        (61, Timepoint.MONTH_3),
        (121, Timepoint.MONTH_3),
        (122, Timepoint.OTHER),
        (136, Timepoint.OTHER),
        (137, Timepoint.MONTH_6),
        (227, Timepoint.MONTH_6),
        (228, Timepoint.OTHER),
        (319, Timepoint.OTHER),
        (320, Timepoint.MONTH_12),
        (410, Timepoint.MONTH_12),
        (411, Timepoint.OTHER),
    ],
)
def test_timepoint_windows_at_their_edges(days, timepoint):
    assessed_on = VISIT_DAY + datetime.timedelta(days=days)
    assert timepoint_for(visit_day=VISIT_DAY, assessed_on=assessed_on) == timepoint


def test_windows_follow_the_settings(settings):
    settings.OUTCOME_WINDOW_TWO_WEEKS_DAYS = 3
    on = VISIT_DAY + datetime.timedelta(days=10)
    assert timepoint_for(visit_day=VISIT_DAY, assessed_on=on) == Timepoint.OTHER
    on = VISIT_DAY + datetime.timedelta(days=11)
    assert timepoint_for(visit_day=VISIT_DAY, assessed_on=on) == Timepoint.WEEK_2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "category", "instrument"),
    [
        ("Knee", "joint", RegionInstrument.KOOS),
        ("Shoulder", "joint", RegionInstrument.QUICKDASH),
        ("Elbow", "joint", RegionInstrument.QUICKDASH),
        ("Hip", "joint", RegionInstrument.NONE),
        ("Ankle", "joint", RegionInstrument.NONE),
        ("Hand tendon (single)", "tendon", RegionInstrument.QUICKDASH),
        ("Face", "face", RegionInstrument.FACE_Q),
        ("Scalp", "scalp", RegionInstrument.NONE),
        ("Gums / dental abscess", "dental", RegionInstrument.NONE),
        ("Systemic (autoimmune)", "systemic", RegionInstrument.NONE),
    ],
)
def test_region_score_follows_the_site(name, category, instrument):
    assert region_instrument(TreatmentSiteFactory(name=name, category=category)) == instrument
