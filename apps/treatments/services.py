from decimal import Decimal

from django.db import transaction

from apps.treatments.models import TreatmentSite


@transaction.atomic
def treatment_site_seed(
    *,
    name: str,
    category: str,
    dose_min_billions: Decimal | int | float | str,
    dose_max_billions: Decimal | int | float | str,
    default_route: str,
    laterality_applies: bool = False,
) -> tuple[TreatmentSite, bool]:
    """Add a catalogue site unless one of that name exists: a manager's edits to the
    dose range stay. Returns the site and whether it was created now."""
    existing = TreatmentSite.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    site = TreatmentSite(
        name=name,
        category=category,
        # As text, so full_clean turns a TOML float such as 2.5 into Decimal("2.5") (not
        # its binary neighbour) and reports anything else as a field error.
        dose_min_billions=str(dose_min_billions),
        dose_max_billions=str(dose_max_billions),
        default_route=default_route,
        laterality_applies=laterality_applies,
    )
    site.full_clean()
    site.save()
    return site, True
