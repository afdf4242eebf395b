from django.urls import path

from apps.consents import public_views

app_name = "consent_links"

urlpatterns = [
    path("<str:token>/", public_views.remote_sign, name="sign"),
]
