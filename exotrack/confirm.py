"""A confirm step before what cannot be undone (a recall, a quarantine, a void, calls to
every recipient). The action's form posts as usual; without `confirmed` the view answers
with this page, which names what the action touches and posts the same fields again
with `confirmed` set. A view under test or an API client gets no shortcut around it:
the services stay the only writers, this only asks first."""

from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Confirmation:
    title: str  # "Recall lot KL2611A?"
    facts: list[tuple[str, str]]  # what the action touches, as label and value
    consequence: str  # what happens, in one or two sentences
    action: str  # where the confirmed form posts
    button: str  # "Recall lot KL2611A"
    cancel: str  # back to where the action was asked for
    data: dict[str, str] = field(default_factory=dict)  # the fields to post again


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "yes"


def posted_fields(form: forms.Form) -> dict[str, str]:
    """The form's fields as they were posted (with the form's prefix), to post again."""
    return {
        form.add_prefix(name): str(form.data.get(form.add_prefix(name), "")) for name in form.fields
    }


def confirm_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    return render(request, "exotrack/confirm.html", {"confirmation": confirmation})
