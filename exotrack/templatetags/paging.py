from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag
def page_summary(page: Page, noun: str, plural: str = "") -> str:
    """'Page 2 of 7 · 312 visits', or 'Page 2 of 200 · more than 10,000 visits'."""
    paginator = page.paginator
    count = paginator.count
    nouns = plural or f"{noun}s"
    if getattr(paginator, "capped", False):
        return f"Page {page.number} of {paginator.num_pages} · more than {count:,} {nouns}"
    return (
        f"Page {page.number} of {paginator.num_pages} · {count:,} {noun if count == 1 else nouns}"
    )
