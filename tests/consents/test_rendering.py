import datetime

from apps.consents import rendering
from tests.factories import ProductFactory


def test_markdown_subset_keeps_structure_and_drops_anything_active():
    html = rendering.consent_html(
        "# Heading\n\nSome **bold** and *italic*.\n\n- one\n- two\n\n"
        "<script>alert(1)</script> [a link](https://evil.example) ![x](https://evil.example/p.png)"
        '\n\n<img src=x onerror="alert(1)">'
    )
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>one</li>" in html
    assert "<script" not in html and "<img" not in html and "<a " not in html
    # Raw HTML is shown as text, never as markup.
    assert "&lt;img src=x" in html
    assert "&lt;script&gt;" in html


def test_placeholders_are_filled_and_their_values_read_as_written(db):
    product = ProductFactory(name="*Exo* 100", regulatory_status="Investigational, IND 012345")
    values = rendering.placeholder_values(
        clinic="Bright Clinic",
        patient="Ada Lovelace",
        on=datetime.date(2026, 12, 2),
        product=product,
    )
    text = rendering.fill_placeholders(
        "{patient} at {clinic}, {date}: {product}. {regulatory_status}", values
    )
    html = rendering.consent_html(text)
    assert "Ada Lovelace at Bright Clinic, 02 December 2026: *Exo* 100." in html
    assert "<em>" not in html
    assert "IND 012345" in html


def test_without_a_product_the_form_still_says_no_exosome_product_is_approved():
    values = rendering.placeholder_values(
        clinic="C", patient="P", on=datetime.date(2026, 1, 1), product=None
    )
    assert (
        "not approved" in values["regulatory_status"] or "No exosome" in values["regulatory_status"]
    )


def test_unknown_placeholders_are_named():
    assert rendering.unknown_placeholders("{patient} {dose} {lot}") == ["dose", "lot"]
