import datetime

from django.db import transaction

from apps.accounts.models import User
from apps.clinic.models import ClinicProfile, Location
from apps.clinic.signals import reminder_send_time_changed
from exotrack.history import recorded_by


def clinic_profile_update(
    *,
    by: User,
    name: str,
    contact_phone: str = "",
    booking_url: str = "",
    booking_instructions: str = "",
    safety_contact_email: str = "",
    reminder_send_time: datetime.time = datetime.time(9, 0),
    chart_review_percent: int = 10,
) -> ClinicProfile:
    """Save the clinic's one profile row (created on first save), recorded as `by`'s change.
    A new reminder send time re-times every reminder not yet sent (the follow-ups app
    listens), in the same transaction."""
    with transaction.atomic(), recorded_by(by):
        # Locked so two managers saving at once cannot interleave field by field.
        profile = ClinicProfile.objects.select_for_update().filter(pk=1).first()
        profile = profile or ClinicProfile(pk=1)
        send_time_before = profile.reminder_send_time
        profile.name = name
        profile.contact_phone = contact_phone
        profile.booking_url = booking_url
        profile.booking_instructions = booking_instructions
        profile.safety_contact_email = safety_contact_email
        profile.reminder_send_time = reminder_send_time
        profile.chart_review_percent = chart_review_percent
        profile.full_clean()
        profile.save()
        if profile.reminder_send_time != send_time_before:
            reminder_send_time_changed.send(
                sender=ClinicProfile, send_time=profile.reminder_send_time, by=by
            )
    return profile


def location_save(
    *,
    by: User,
    location: Location | None = None,
    name: str,
    address: str = "",
    active: bool = True,
) -> Location:
    """Add a treatment location, or change one (closing it keeps its past visits linked)."""
    with transaction.atomic(), recorded_by(by):
        location = location or Location()
        location.name = name
        location.address = address
        location.active = active
        location.full_clean()
        location.save()
    return location


@transaction.atomic
def clinic_seed(
    *,
    name: str,
    contact_phone: str = "",
    booking_url: str = "",
    booking_instructions: str = "",
    safety_contact_email: str = "",
    reminder_send_time: str | datetime.time = "09:00",
) -> tuple[ClinicProfile, bool]:
    """Create the clinic on first seed; never overwrite what a manager has edited.
    Returns the profile and whether it was created now."""
    profile = ClinicProfile.objects.filter(pk=1).first()
    if profile is None:
        profile = ClinicProfile(
            pk=1,
            name=name,
            contact_phone=contact_phone,
            booking_url=booking_url,
            booking_instructions=booking_instructions,
            safety_contact_email=safety_contact_email,
            reminder_send_time=reminder_send_time,
        )
        profile.full_clean()
        profile.save()
        return profile, True
    return profile, False


@transaction.atomic
def location_seed(*, name: str, address: str = "") -> tuple[Location, bool]:
    """Add a treatment location by name unless it exists (a manager may have edited it)."""
    existing = Location.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    location = Location(name=name, address=address)
    location.full_clean()
    location.save()
    return location, True
