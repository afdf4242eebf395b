from django.urls import path

from apps.safety.views import safety_signals

app_name = "safety"

urlpatterns: list = [
    path("signals/", safety_signals.signal_list, name="signals"),
]
