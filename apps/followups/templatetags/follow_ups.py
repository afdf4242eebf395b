"""A follow-up's kind and notes on the pages, as the signed-in user may see them (one
rule, in apps.followups.selectors.follow_ups, shared with the API)."""

from django import template

from apps.followups.selectors.follow_ups import kind_shown_to, notes_shown_to

register = template.Library()


@register.filter
def kind_label_for(follow_up, user) -> str:
    return kind_shown_to(user, follow_up)[1]


@register.filter
def note_for(follow_up, user) -> str:
    return notes_shown_to(user, follow_up)[0]


@register.filter
def completion_note_for(follow_up, user) -> str:
    return notes_shown_to(user, follow_up)[1]
