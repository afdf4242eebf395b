from django.urls import path

from apps.safety.views import adverse_events, medication_flags, recalls, safety_signals

app_name = "safety"

urlpatterns: list = [
    path("flags/", medication_flags.flag_list, name="flag-list"),
    path("flags/<int:pk>/acknowledge/", medication_flags.flag_acknowledge, name="flag-acknowledge"),
    path("flags/<int:pk>/resolve/", medication_flags.flag_resolve, name="flag-resolve"),
    path("patients/<int:patient_pk>/flags/", medication_flags.flag_raise, name="flag-raise"),
    path("lots/<int:pk>/recall/", recalls.lot_recall_view, name="lot-recall"),
    path(
        "lots/<int:pk>/contact-recipients/",
        recalls.lot_contact_recipients,
        name="lot-contact-recipients",
    ),
    path("lots/<int:pk>/recipients.csv", recalls.lot_recipients_csv, name="lot-recipients-csv"),
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
    path(
        "adverse-event-types/",
        adverse_events.adverse_event_type_list,
        name="adverse-event-type-list",
    ),
    path(
        "adverse-event-types/<int:pk>/edit/",
        adverse_events.adverse_event_type_edit,
        name="adverse-event-type-edit",
    ),
]
