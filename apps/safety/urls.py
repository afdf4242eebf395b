from django.urls import path

from apps.safety.views import adverse_events, safety_signals

app_name = "safety"

urlpatterns: list = [
    path("signals/", safety_signals.signal_list, name="signals"),
    path("adverse-events/", adverse_events.adverse_event_list, name="adverse-event-list"),
    path("adverse-events/new/", adverse_events.adverse_event_add, name="adverse-event-add"),
    path(
        "adverse-events/<int:pk>/",
        adverse_events.adverse_event_detail,
        name="adverse-event-detail",
    ),
    path(
        "adverse-events/<int:pk>/edit/",
        adverse_events.adverse_event_edit,
        name="adverse-event-edit",
    ),
    path(
        "adverse-events/<int:pk>/void/",
        adverse_events.adverse_event_void,
        name="adverse-event-void",
    ),
    path(
        "adverse-events/<int:pk>/medwatch/",
        adverse_events.medwatch_page,
        name="adverse-event-medwatch",
    ),
    path(
        "adverse-events/<int:pk>/medwatch.json",
        adverse_events.medwatch_json,
        name="adverse-event-medwatch-json",
    ),
    path(
        "adverse-events/<int:pk>/medwatch.csv",
        adverse_events.medwatch_csv,
        name="adverse-event-medwatch-csv",
    ),
]
