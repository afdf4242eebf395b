"""Writing a batch's reminder e-mails without rendering three templates for each message.

Within a batch, the e-mails of one template differ only in the patient's first name and
two personal links (the clinic is the batch's, and the due day and whether it is a
further reminder are part of what makes e-mails "of one kind"). So each kind is
rendered once with a marker in place of each personal value, and each message fills
them in: the values as they are in the subject and the plain text, HTML-escaped in the
HTML part, as the templates' autoescaping does.

The first message of each kind is also rendered in full and compared with its filled-in
copy: a template that does more with a personal value than print it (a filter, a
comparison) makes the two differ, and that kind is then rendered in full for every
message. Whether each personal value is empty is part of the kind, so `{% if %}` on one
is rendered both ways. Rendering the three templates was a fifth of the sender's CPU
per message once the other costs were cut (bench/results/reminders.md)."""

from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

from apps.clinic.models import ClinicProfile
from exotrack.emails import email_message

PERSONAL = ("first_name", "unsubscribe_url", "self_report_url")
# Private-use characters: no template text, filter or escaping produces or changes them.
_MARKERS = {name: f"\ue000{n}\ue001" for n, name in enumerate(PERSONAL)}


@dataclass(frozen=True)
class ReminderParts:
    subject: str
    text: str
    html: str

    def filled(self, personal: dict[str, str]) -> "ReminderParts":
        subject, text, html = self.subject, self.text, self.html
        for name, marker in _MARKERS.items():
            value = personal[name]
            subject = subject.replace(marker, value)
            text = text.replace(marker, value)
            html = html.replace(marker, escape(value))
        # As rendered: the subject on one line, runs of spaces as one.
        return ReminderParts(subject=" ".join(subject.split()), text=text, html=html)


def render_parts(template: str, context: dict[str, Any]) -> ReminderParts:
    """The subject, text and HTML of the template trio, rendered in full by the one
    helper every e-mail uses."""
    message = email_message(template=template, context=context, to=[])
    return ReminderParts(
        subject=str(message.subject), text=str(message.body), html=str(message.alternatives[0][0])
    )


class ReminderWriter:
    """One per batch: the clinic is read once, and each kind of e-mail rendered once."""

    def __init__(self, clinic: ClinicProfile) -> None:
        self.clinic = clinic
        # Kind -> its parts with markers, or None: rendered in full for every message.
        self._kinds: dict[tuple, ReminderParts | None] = {}
        self.full_renders = 0

    def parts(self, *, template: str, context: dict[str, Any]) -> ReminderParts:
        """`context` holds the personal values and any others (due day, further...),
        all but the clinic, which is the writer's."""
        personal = {name: str(context[name]) for name in PERSONAL}
        shared = {k: v for k, v in context.items() if k not in _MARKERS}
        kind = (template, *sorted(shared.items()), *(bool(v) for v in personal.values()))
        full = {"clinic": self.clinic, **context}
        if kind not in self._kinds:
            markers = {name: _MARKERS[name] for name, value in personal.items() if value}
            marked = render_parts(template, {**full, **markers})
            rendered = self._render(template, full)
            self._kinds[kind] = marked if marked.filled(personal) == rendered else None
            return rendered
        known = self._kinds[kind]
        return self._render(template, full) if known is None else known.filled(personal)

    def _render(self, template: str, context: dict[str, Any]) -> ReminderParts:
        self.full_renders += 1
        return render_parts(template, context)
