"""One subject/text/HTML template trio per e-mail (as healthchecks' hc/lib/emails.py).

`<name>_subject.txt`, `<name>.txt` and `<name>.html` are rendered with one context, so
the plain and HTML parts never say different things."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_message(
    *,
    template: str,
    context: dict,
    to: list[str],
    headers: dict[str, str] | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """Build (not send) the message for template `template`, e.g. "safety/email/serious"."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
