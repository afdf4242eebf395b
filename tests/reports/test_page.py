"""The reports page: figures with their intervals, charts as inline SVG, filters, and a
constant number of queries."""

import datetime
import math
import re
from decimal import Decimal

import pytest
from pytest_django.asserts import assertInHTML
from scipy import stats

from apps.outcomes.rules import is_responder
from apps.reports import selectors
from apps.reports.exports import EXPORTS
from apps.reports.filters import ReportFilters
from apps.reports.selectors import report_summary, t_interval, wilson
from apps.treatments.models import TreatmentSite
from tests.builders import local
from tests.factories import (
    DoseFactory,
    LocationFactory,
    OutcomeAssessmentFactory,
    TreatmentSiteFactory,
    UserFactory,
    VisitFactory,
)
from tests.reports.helpers import export, rows_of

pytestmark = pytest.mark.django_db


def test_figures_of_the_known_clinic(known_clinic):
    summary = report_summary(filters=ReportFilters())

    assert summary.episodes == 3
    joint = {p.timepoint: p for p in summary.mean_pain if p.category == "joint"}
    assert set(joint) == {"baseline", "2w", "6w"}
    assert (joint["baseline"].n, joint["baseline"].mean) == (2, 5.5)
    low, high = joint["baseline"].low, joint["baseline"].high
    # Two scores 8 and 3: mean 5.5, sd 3.54, t(0.975, 1) = 12.71.
    half = stats.t.ppf(0.975, 1) * math.sqrt(12.5) / math.sqrt(2)
    assert (low, high) == pytest.approx((5.5 - half, 5.5 + half))
    # One score: no interval.
    assert (joint["2w"].n, joint["2w"].low, joint["2w"].high) == (1, None, None)
    assert [(r.label, r.events, r.n) for r in summary.responders_by_category] == [("joint", 2, 2)]
    assert sorted((r.label, r.events, r.n) for r in summary.responders_by_product) == [
        ("XoGlo 10", 1, 1),
        ("XoGlo 5", 1, 1),
    ]
    lots = {r.label: (r.events, r.n) for r in summary.adverse_events_by_lot}
    assert lots == {"XoGlo 5 XG-100": (1, 2), "XoGlo 10 XG-200": (0, 1)}


def test_intervals():
    assert t_interval(1, 4.0, None) == (None, None)
    low, high = wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)


@pytest.mark.parametrize(
    ("baseline", "pain"),
    [(8, 6), (8, 7), (3, 2), (10, 7), (10, 8), (2, 1), (1, 1), (0, 0), (5, 9), (4, 3)],
)
def test_responders_follow_the_clinics_rule(baseline, pain, client, manager):
    dose = DoseFactory(baseline_pain=baseline, visit__visited_at=local(datetime.date(2026, 1, 5)))
    OutcomeAssessmentFactory(dose=dose, pain=pain)
    client.force_login(manager)

    row = rows_of(export(client, "outcomes"))[1]
    summary = report_summary(filters=ReportFilters())

    expected = is_responder(baseline, pain)
    assert row[22] == ("yes" if expected else "no")
    assert summary.responders_by_category[0].events == (1 if expected else 0)


def test_the_latest_assessment_of_a_timepoint_counts(client, manager):
    dose = DoseFactory(baseline_pain=7, visit__visited_at=local(datetime.date(2026, 1, 5)))
    OutcomeAssessmentFactory(
        dose=dose, timepoint="6w", assessed_on=datetime.date(2026, 2, 14), pain=6
    )
    OutcomeAssessmentFactory(
        dose=dose, timepoint="6w", assessed_on=datetime.date(2026, 2, 18), pain=5, pgic=3
    )
    # Out of the schedule, later: the latest outcome, but no column of its own.
    OutcomeAssessmentFactory(
        dose=dose,
        timepoint="other",
        assessed_on=datetime.date(2026, 3, 1),
        pain=4,
        pgic=2,
        percent_better=40,
    )
    client.force_login(manager)

    header, row = rows_of(export(client, "outcomes"))
    cells = dict(zip(header, row, strict=True))

    assert cells["pain_6w"] == "5"
    assert (cells["latest_timepoint"], cells["latest_pain"]) == ("other", "4")
    assert (cells["pgic"], cells["percent_better"], cells["change"]) == ("2", "40", "-3")
    assert cells["follow_up_days"] == "55"


def test_a_baseline_assessment_stands_in_for_a_missing_baseline(client, manager):
    dose = DoseFactory(baseline_pain=None, visit__visited_at=local(datetime.date(2026, 1, 5)))
    OutcomeAssessmentFactory(
        dose=dose, timepoint="baseline", assessed_on=datetime.date(2026, 1, 5), pain=6
    )
    OutcomeAssessmentFactory(dose=dose, pain=3)
    client.force_login(manager)

    header, row = rows_of(export(client, "outcomes"))
    cells = dict(zip(header, row, strict=True))

    assert (cells["baseline_pain"], cells["latest_pain"], cells["responder"]) == ("6", "3", "yes")


@pytest.fixture
def two_of_everything(known_clinic):
    """A second clinician, location, site and date, to filter on."""
    shoulder = TreatmentSiteFactory(name="Shoulder")
    other_clinician = UserFactory(role="clinician")
    visit = VisitFactory(
        visited_at=local(datetime.date(2026, 6, 1)),
        clinician=other_clinician,
        location=LocationFactory(name="Satellite"),
    )
    dose = DoseFactory(visit=visit, site=shoulder, lot=known_clinic.knee.lot, baseline_pain=5)
    return {"clinician": other_clinician, "visit": visit, "dose": dose, "site": shoulder}


@pytest.mark.parametrize(
    ("filters", "expected_sites"),
    [
        ({}, ["Knee", "Face", "Knee", "Shoulder"]),
        ({"date_from": "2026-03-01"}, ["Knee", "Shoulder"]),
        ({"date_to": "2026-01-10"}, ["Knee", "Face"]),
        ({"date_from": "2026-01-11", "date_to": "2026-03-02"}, ["Knee"]),
        ({"site_category": "face"}, ["Face"]),
        ({"site": "shoulder"}, ["Shoulder"]),
        ({"product": "xoglo10"}, ["Knee"]),
        ({"lot": "xg100"}, ["Knee", "Face", "Shoulder"]),
        ({"clinician": "other"}, ["Shoulder"]),
        ({"location": "satellite"}, ["Shoulder"]),
        ({"location": "satellite", "site_category": "face"}, []),
    ],
)
def test_filters_choose_the_episodes(
    client, manager, known_clinic, two_of_everything, filters, expected_sites
):
    ids = {
        "shoulder": two_of_everything["site"].pk,
        "xoglo10": known_clinic.other_dose.lot.product_id,
        "xg100": known_clinic.knee.lot_id,
        "other": two_of_everything["clinician"].pk,
        "satellite": two_of_everything["visit"].location_id,
    }
    params = {key: str(ids.get(value, value)) for key, value in filters.items()}
    client.force_login(manager)

    rows = rows_of(export(client, "outcomes", **params))
    page = client.get("/reports/", params)

    sites = [dict(zip(rows[0], r, strict=True))["site"] for r in rows[1:]]
    assert sorted(sites) == sorted(expected_sites)
    assert page.status_code == 200
    assert page.context["summary"].episodes == len(expected_sites)


def test_the_page_shows_figures_and_svg_charts(client, manager, known_clinic):
    client.force_login(manager)

    page = client.get("/reports/").content.decode()

    assert '<strong id="episode-count">3</strong>' in page
    for chart in ("pain-chart", "category-chart", "product-chart", "lot-chart"):
        start = page.index(f'id="{chart}"')
        assert "<svg" in page[start : start + 400]
    assert "XoGlo 5 XG-100" in page
    assert "cdn" not in page.lower()
    # The data dictionary lists every export's columns, folded away until asked for.
    assert "<code>follow_up_days</code>" in page
    assert "<code>mrn</code> <em>(identified only)</em>" in page
    dictionary = page[page.index('id="dictionary-heading"') :]
    folded = dictionary[dictionary.index("<details>") : dictionary.index("</details>")]
    assert "<summary>" in folded and "<code>follow_up_days</code>" in folded


FILES = (("utf-8", "CSV (UTF-8)"), ("utf-8-bom", "CSV for Excel (UTF-8 with BOM)"))


def test_every_export_is_offered_plain_and_for_excel(client, manager):
    client.force_login(manager)

    page = client.get("/reports/").content.decode()

    assert "<strong>CSV (UTF-8)</strong>: for statistics programs" in page
    assert "<strong>CSV for Excel (UTF-8 with BOM)</strong>: starts with a byte-order mark" in page
    for name, report in EXPORTS.items():
        assertInHTML(
            f'<span class="download-title" id="download-{name}">{report.title}</span>', page
        )
        for encoding, label in FILES:
            # Named by its report and its file: "Outcomes CSV for Excel (UTF-8 with BOM)".
            assertInHTML(
                f'<button type="submit" formaction="/reports/exports/{name}.csv" '
                f'name="encoding" value="{encoding}" id="download-{name}-{encoding}" '
                f'aria-labelledby="download-{name} download-{name}-{encoding}">'
                f"{label}</button>",
                page,
            )


NO_PAIN = "No pain scores recorded for these filters yet."
NO_OUTCOMES = "No outcome scores recorded for these filters yet"
NO_DOSES = "No doses recorded for these filters yet."


def test_filters_that_match_nothing_say_so_instead_of_drawing_empty_axes(
    client, manager, known_clinic
):
    client.force_login(manager)

    page = client.get("/reports/", {"site_category": "tendon"}).content.decode()

    assert '<strong id="episode-count">0</strong>' in page
    assert "<svg" not in page
    for words in (NO_PAIN, NO_OUTCOMES, NO_DOSES):
        assert words in page
    # No empty tables under the words either.
    assert 'id="lot-rates"' not in page


def test_doses_without_scores_chart_the_lots_only(client, manager):
    DoseFactory(baseline_pain=None)
    client.force_login(manager)

    page = client.get("/reports/").content.decode()

    assert NO_PAIN in page and NO_OUTCOMES in page
    assert NO_DOSES not in page
    start = page.index('id="lot-chart"')
    assert "<svg" in page[start : start + 400]
    assert page.count("<svg") == 1


def test_wrong_filters_show_on_the_page(client, manager):
    client.force_login(manager)

    response = client.get("/reports/", {"date_from": "2026-05-01", "date_to": "2026-04-01"})

    assert response.status_code == 200
    assert "summary" not in response.context
    assert "The end of the period is before its start." in response.content.decode()


def _more_episodes(count: int) -> None:
    for number in range(count):
        site = TreatmentSiteFactory(
            name=f"Site {number}",
            category=TreatmentSite.Category.TENDON,
            dose_min_billions=Decimal("1"),
            dose_max_billions=Decimal("2"),
        )
        dose = DoseFactory(site=site, baseline_pain=6, billions=Decimal("1"))
        OutcomeAssessmentFactory(dose=dose, pain=2)


@pytest.mark.parametrize("extra", [0, 6])
def test_the_page_costs_the_same_queries_at_any_size(
    client, manager, known_clinic, extra, django_assert_num_queries
):
    _more_episodes(extra)
    client.force_login(manager)
    client.get("/reports/")  # warm the session and permission caches

    # session, user, the user's and the groups' permissions (2), the role labels; the
    # figures (2: the responder rule, the totals); the choices of site, product, lot,
    # clinician and location (5).
    with django_assert_num_queries(12):
        response = client.get("/reports/")
    assert response.status_code == 200


def test_slow_figures_are_kept_a_while(known_clinic, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "SLOW_SECONDS", 0)
    filters = ReportFilters(site_category="joint")
    first = report_summary(filters=filters)

    with django_assert_num_queries(0):
        again = report_summary(filters=filters)

    assert again == first
    # Other filters are other figures.
    assert report_summary(filters=ReportFilters()).episodes == 3


def test_quick_figures_are_always_fresh(known_clinic, django_assert_num_queries):
    report_summary(filters=ReportFilters())
    DoseFactory(visit=known_clinic.visit, baseline_pain=4)

    with django_assert_num_queries(2):
        assert report_summary(filters=ReportFilters()).episodes == 4


@pytest.mark.parametrize(("events", "n"), [(0, 1), (1, 1), (3, 17), (50, 100), (999, 1000)])
def test_the_wilson_interval_is_scipys(events, n):
    expected = stats.binomtest(events, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(events, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_the_filter_lists_are_the_selects_django_writes():
    from django import forms

    from apps.reports.forms import ReportFilterForm

    chosen = DoseFactory()
    form = ReportFilterForm({"lot": chosen.lot_id, "site": chosen.site_id})
    form.is_valid()

    def tidy(html: str) -> str:
        return re.sub(r"\s*>\s*", ">", re.sub(r"\s*<\s*", "<", html))

    for name in ("site", "product", "lot", "clinician", "location"):
        written = str(form[name])
        form.fields[name].widget.__class__ = forms.Select
        assert tidy(written) == tidy(str(form[name])), name
        assert "selected" in written or name not in ("site", "lot")
