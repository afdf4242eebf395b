"""List pages count at most COUNT_CAP rows: past it they say "more than"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.treatments.models import Visit
from exotrack import paging
from tests.factories import DoseFactory, LotFactory, VisitFactory


def _visits(count: int) -> None:
    lot = LotFactory(vials_received=20)
    for _ in range(count):
        DoseFactory(visit=VisitFactory(), lot=lot)


def test_a_list_under_the_cap_gives_its_exact_count(client, clinician, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    _visits(3)
    client.force_login(clinician)

    response = client.get(reverse("treatments:visit-list"))

    assert "Page 1 of 1 · 3 visits" in response.text
    assert response.context["page"].paginator.capped is False


def test_a_list_past_the_cap_says_more_than_and_stops_counting(client, clinician, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    _visits(5)
    client.force_login(clinician)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("treatments:visit-list"))

    assert "Page 1 of 1 · more than 3 visits" in response.text
    # The count reads at most one row past the cap; rows past it are not offered.
    (count,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    assert "LIMIT 4" in count
    assert len(response.context["page"].object_list) == 3


@pytest.mark.parametrize("noun,plural,shown", [("entry", "entries", "2 entries")])
def test_a_page_summary_speaks_in_the_lists_own_words(noun, plural, shown):
    from django.core.paginator import Paginator

    from exotrack.templatetags.paging import page_summary

    page = Paginator(["a", "b"], 10).get_page(1)
    assert page_summary(page, noun, plural) == f"Page 1 of 1 · {shown}"


def test_the_visit_list_reads_newest_first_from_an_index_without_sorting(clinician):
    # The planner would scan a tiny table; forbidding that shows whether an index
    # delivers the list's order (a Sort node would mean every visit gets sorted).
    from apps.treatments.selectors import visit_search

    sql, params = visit_search(user=clinician).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql} LIMIT 50", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "visit_newest_first_idx" in plan, plan
    assert "Sort" not in plan.split("Limit")[1].split("->")[1], plan
    assert Visit.objects.count() == 0


def test_a_later_page_shows_the_rows_a_plain_slice_would_in_the_same_order(clinician):
    from apps.treatments.selectors import visit_search

    _visits(7)
    visits = visit_search(user=clinician)
    expected = list(visits)

    pages = [list(paging.list_page(visits, 3, str(n)).object_list) for n in (1, 2, 3)]

    assert pages == [expected[0:3], expected[3:6], expected[6:7]]


def test_a_later_page_costs_the_queries_of_the_first(clinician, django_assert_num_queries):
    from apps.treatments.selectors import visit_search

    _visits(4)
    for number in ("1", "2"):
        page = paging.list_page(visit_search(user=clinician), 2, number)
        # Counted when the page was made; then its rows, their doses, their warnings.
        with django_assert_num_queries(3):
            assert len(list(page.object_list)) == 2


def test_the_count_reads_ids_without_what_the_list_ranks_by(client, clinician):
    from tests.factories import PatientFactory

    PatientFactory(first_name="Ann", last_name="Smith")
    PatientFactory(first_name="Bo", last_name="Smyth")
    client.force_login(clinician)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients:list"), {"q": "Smith"})

    assert len(response.context["page"].object_list) == 2
    (count,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    # The page's rows are ranked by trigram similarity; counting them needs none of it.
    assert "similarity" not in count.lower() and "translate" not in count.lower(), count
