from django.db.models import QuerySet

from apps.clinic.models import ClinicProfile, Location


def clinic_profile() -> ClinicProfile:
    """The clinic's profile; an unsaved default before the first seed."""
    return ClinicProfile.objects.filter(pk=1).first() or ClinicProfile(pk=1, name="ExoTrack clinic")


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


def all_locations() -> QuerySet[Location]:
    """Open locations first, then closed ones, each by name: the manager's list."""
    return Location.objects.order_by("-active", "name")
