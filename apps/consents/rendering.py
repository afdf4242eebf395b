"""Consent text: placeholders filled from the record, and a safe subset of Markdown.

Markdown is parsed with raw HTML switched off, and what it produces is cleaned again by
nh3 (the Ammonia sanitiser) down to the tags below, so a form's text can never carry a
script, a link or an image into the signing page or the archived PDF."""

import datetime
import re

import nh3
from markdown_it import MarkdownIt

# Headings, paragraphs, emphasis and lists: all a consent form needs, and all the PDF draws.
ALLOWED_TAGS = {"h2", "h3", "p", "strong", "em", "ul", "ol", "li", "br"}

PLACEHOLDERS = {
    "clinic": "the clinic's name",
    "patient": "the patient's full name",
    "date": "the date of signing",
    "product": "the product's name",
    "regulatory_status": "the product's regulatory status, e.g. its IND number",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(
    ["image", "link", "autolink", "html_inline", "html_block", "code", "fence", "table"],
    ignoreInvalid=True,
)


def unknown_placeholders(body: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})


def placeholder_values(
    *, clinic: str, patient: str, on: datetime.date, product=None
) -> dict[str, str]:
    if product is None:
        product_name = "the product named by your clinician"
        status = "No exosome product is approved by the FDA."
    else:
        product_name = product.name
        status = product.regulatory_status or "No exosome product is approved by the FDA."
    return {
        "clinic": clinic,
        "patient": patient,
        "date": on.strftime("%d %B %Y"),
        "product": product_name,
        "regulatory_status": status,
    }


def fill_placeholders(body: str, values: dict[str, str], *, markdown: bool = True) -> str:
    """The text with each {name} replaced. In Markdown, values are escaped so that a
    product called "*Exo*" reads as written rather than as emphasis."""

    def value(match: re.Match) -> str:
        text = values.get(match.group(1))
        if text is None:
            return match.group(0)
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text) if markdown else text

    return _PLACEHOLDER.sub(value, body)


def consent_html(text: str) -> str:
    """Sanitised HTML of filled-in consent text; headings drop to h2/h3 under the page's h1."""
    html = _markdown.render(text)
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    html = re.sub(r"<(/?)h[4-6]>", r"<\1h3>", html)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={}, link_rel=None)
