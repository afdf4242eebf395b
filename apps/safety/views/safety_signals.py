"""The safety-signals page: per lot, product and site category, how often each event
type occurred against its expected rate, signalling groups first."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.safety.selectors.safety_signals import (
    Level,
    event_types_with_rate,
    safety_signals,
    signal_rule,
)


@permission_required("safety.view_lotsignal", raise_exception=True)
def signal_list(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    if level not in Level.values:
        level = ""
    event_types = list(event_types_with_rate())
    code = request.GET.get("event_type", "")
    chosen = [t for t in event_types if t.code == code] or event_types
    if len(chosen) == len(event_types):
        code = ""
    levels = [level] if level else list(Level.values)
    signals = safety_signals(levels=levels, event_types=chosen)
    p_limit, min_events = signal_rule()
    return render(
        request,
        "safety/signals/list.html",
        {
            "tables": [
                {
                    "level": Level(name),
                    "signals": [s for s in signals if s.level == name],
                }
                for name in levels
            ],
            "levels": Level.choices,
            "level": level,
            "event_types": event_types,
            "event_type": code,
            "p_limit": p_limit,
            "min_events": min_events,
        },
    )
