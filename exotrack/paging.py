"""List pages at a clinic's full size: a page of fifty must not cost an exact count of a
million rows. The count stops at COUNT_CAP; past it the page says "more than" and the
filters narrow the list (pages beyond the cap are not offered: no one pages through
10,000 visits, and a deep OFFSET is a slow read).

A page past the first reads its rows in two steps within one query: the ids of the page,
skipping the earlier rows in the list's index alone, then the page's rows with their
joins. Read in one step, each skipped row would first be joined to its patient, location
and clinician (page 200 of the visits joined 10,000 rows to show 50)."""

from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def _counted(self) -> int:
        # One row past the cap tells "exactly 10,000" from "more than 10,000".
        # Unordered: which 10,001 rows are counted does not matter, and the planner may
        # stop at the first ones it finds instead of walking the list in page order.
        # Ids only: what the list computes to rank its rows (a name search's trigram
        # similarity) is not computed for every row counted.
        rows = self.object_list.order_by()  # type: ignore[attr-defined]
        if not rows.query.distinct:
            rows = rows.values("pk")
        return rows[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP

    def page(self, number) -> Page:
        number = self.validate_number(number)
        rows = self.object_list
        bottom = (number - 1) * self.per_page
        if bottom == 0 or not isinstance(rows, QuerySet) or rows.query.distinct:
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        # The outer query keeps the list's order; the ids were chosen in that order.
        return Page(rows.filter(pk__in=rows.values("pk")[bottom:top]), number, self)


def list_page(rows, per_page: int, number: str | None) -> Page:
    return CappedPaginator(rows, per_page).get_page(number)
