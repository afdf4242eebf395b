from django.apps import AppConfig


class ExoTrackConfig(AppConfig):
    name = "exotrack"
    verbose_name = "ExoTrack"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from exotrack.roles import ensure_roles_after_migrate

        # Roles are created idempotently after every migrate, so a fresh database
        # always has them, with the permissions of whatever apps exist.
        post_migrate.connect(ensure_roles_after_migrate)
        _api_date_times_in_utc()


def _api_date_times_in_utc() -> None:
    from django.db import models
    from rest_framework import serializers

    from exotrack.api.fields import UTCDateTimeField

    # Every API answer's model date-times in UTC, whichever app's serializer shows them.
    serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = UTCDateTimeField
