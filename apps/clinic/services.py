import datetime

from django.db import transaction

from apps.clinic.models import ClinicProfile, Location


@transaction.atomic
def clinic_profile_update(**fields) -> ClinicProfile:
    profile, _ = ClinicProfile.objects.select_for_update().get_or_create(pk=1, defaults=fields)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


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
    created = profile is None
    if created:
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
    return profile, created


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
