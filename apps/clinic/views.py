from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.accounts.requests import StaffRequest
from apps.clinic.forms import ClinicProfileForm, LocationForm
from apps.clinic.models import Location
from apps.clinic.selectors import all_locations, clinic_profile
from apps.clinic.services import clinic_profile_update, location_save
from exotrack.forms import add_service_errors


@login_required
@permission_required("clinic.change_clinicprofile", raise_exception=True)
def profile(request: StaffRequest) -> HttpResponse:
    form = ClinicProfileForm(request.POST or None, instance=clinic_profile())
    if request.method == "POST" and form.is_valid():
        try:
            clinic_profile_update(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Clinic profile saved.")
            return redirect("clinic:profile")
    return render(request, "clinic/profile.html", {"form": form, "locations": all_locations()})


@login_required
@permission_required(["clinic.add_location", "clinic.change_location"], raise_exception=True)
def location_edit(request: StaffRequest, pk: int | None = None) -> HttpResponse:
    location = get_object_or_404(Location, pk=pk) if pk else None
    # Taken before validation, which writes the typed (maybe invalid) name onto the row.
    heading = f"Edit {location.name}" if location else "New location"
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        try:
            saved = location_save(by=request.user, location=location, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location “{saved.name}” saved.")
            return redirect("clinic:profile")
    return render(request, "clinic/location_form.html", {"form": form, "heading": heading})
