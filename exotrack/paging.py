"""List pages at a clinic's full size: a page of fifty must not cost an exact count of a
million rows. The count stops at COUNT_CAP; past it the page says "more than" and the
filters narrow the list (pages beyond the cap are not offered: no one pages through
10,000 visits, and a deep OFFSET is a slow read)."""

from functools import cached_property

from django.core.paginator import Page, Paginator

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def _counted(self) -> int:
        # One row past the cap tells "exactly 10,000" from "more than 10,000".
        # Unordered: which 10,001 rows are counted does not matter, and the planner may
        # stop at the first ones it finds instead of walking the list in page order.
        return self.object_list.order_by()[: COUNT_CAP + 1].count()  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


def list_page(rows, per_page: int, number: str | None) -> Page:
    return CappedPaginator(rows, per_page).get_page(number)
