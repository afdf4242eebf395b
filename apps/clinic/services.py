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
    reminder_send_time: str = "09:00",
    locations: list[dict] | None = None,
) -> ClinicProfile:
    """Create the clinic on first seed; never overwrite what a manager has edited."""
    profile, _ = ClinicProfile.objects.get_or_create(
        pk=1,
        defaults={
            "name": name,
            "contact_phone": contact_phone,
            "booking_url": booking_url,
            "booking_instructions": booking_instructions,
            "safety_contact_email": safety_contact_email,
            "reminder_send_time": datetime.time.fromisoformat(reminder_send_time),
        },
    )
    for location in locations or []:
        Location.objects.get_or_create(
            name=location["name"], defaults={"address": location.get("address", "")}
        )
    return profile
