"""The batch's reminder writer renders each kind of e-mail once and fills in each
patient's values; every message must equal its full rendering, escaping included, and a
template that does more with a personal value than print it is rendered in full."""

import datetime

import pytest

from apps.followups.services.reminder_writer import ReminderWriter, render_parts
from tests.factories import ClinicProfileFactory

TODAY = datetime.date(2026, 12, 3)


@pytest.fixture
def writer(db) -> ReminderWriter:
    return ReminderWriter(
        ClinicProfileFactory(
            name="Harbour & Sons <Clinic>",
            contact_phone="+1 555 0199",
            booking_url="https://book.harbour.example/?a=1&b=2",
            booking_instructions="Or drop by the front desk.\nMonday to Friday.",
        )
    )


def context(first_name: str, n: int, *, self_report: bool = True, further: bool = False) -> dict:
    return {
        "first_name": first_name,
        "due_on": TODAY,
        "further": further,
        "unsubscribe_url": f"http://127.0.0.1:8000/p/unsubscribe/token-{n}/",
        "self_report_url": f"http://127.0.0.1:8000/p/report/r-{n}/" if self_report else "",
    }


NAMES = ["Ann", "O'Brien", 'Zoë "Zo" <b>&amp;</b>', "Mary  Ann", "", "Lee"]


@pytest.mark.parametrize("template", ["check_in", "outcome", "repeat_session", "recall_contact"])
def test_every_message_equals_its_full_rendering(writer, template):
    name = f"followups/email/{template}"
    messages = 0
    for n, first_name in enumerate(NAMES * 3):
        for further, self_report in ((False, True), (True, True), (False, False)):
            wanted = context(first_name, n, self_report=self_report, further=further)
            got = writer.parts(template=name, context=wanted)
            assert got == render_parts(name, {"clinic": writer.clinic, **wanted})
            messages += 1
    # One full rendering per kind: three (further, self-report link) pairs, with a first
    # name or without, not one per message.
    assert (writer.full_renders, messages) == (3 * 2, 54)


def test_a_first_name_is_escaped_in_the_html_part_only(writer):
    parts = writer.parts(template="followups/email/check_in", context=context("Ann", 1))
    parts = writer.parts(
        template="followups/email/check_in", context=context("<b>Jo & 'Al'</b>", 2)
    )

    assert "Hello <b>Jo & 'Al'</b>," in parts.text
    assert "Hello &lt;b&gt;Jo &amp; &#x27;Al&#x27;&lt;/b&gt;," in parts.html
    assert writer.full_renders == 1


def test_a_template_that_changes_a_personal_value_is_rendered_in_full(writer, settings, tmp_path):
    folder = tmp_path / "followups" / "email"
    folder.mkdir(parents=True)
    (folder / "shouting_subject.txt").write_text("{{ clinic.name }}: for {{ first_name|upper }}")
    (folder / "shouting.txt").write_text("Hello {{ first_name|upper }}, {{ unsubscribe_url }}")
    (folder / "shouting.html").write_text("<p>Hello {{ first_name|upper }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]

    first = writer.parts(template="followups/email/shouting", context=context("Ann", 1))
    second = writer.parts(template="followups/email/shouting", context=context("Bea", 2))

    assert first.text == "Hello ANN, http://127.0.0.1:8000/p/unsubscribe/token-1/"
    assert second.text == "Hello BEA, http://127.0.0.1:8000/p/unsubscribe/token-2/"
    assert second.html == "<p>Hello BEA</p>"
    assert second.subject == "Harbour &amp; Sons &lt;Clinic&gt;: for BEA"
    assert writer.full_renders == 2
