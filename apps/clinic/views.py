from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.clinic.forms import ClinicProfileForm, LocationForm
from apps.clinic.models import Location
from apps.clinic.selectors import clinic_profile
from apps.clinic.services import clinic_profile_update


@permission_required("clinic.change_clinicprofile", raise_exception=True)
def profile(request: HttpRequest) -> HttpResponse:
    current = clinic_profile()
    form = ClinicProfileForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        clinic_profile_update(**form.cleaned_data)
        messages.success(request, "Clinic profile saved.")
        return redirect("clinic:profile")
    return render(
        request,
        "clinic/profile.html",
        {
            "form": form,
            "locations": Location.objects.order_by("-active", "name"),
            "location_form": LocationForm(),
        },
    )


@permission_required("clinic.change_location", raise_exception=True)
def location_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    location = get_object_or_404(Location, pk=pk) if pk else None
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Location “{form.instance.name}” saved.")
        return redirect("clinic:profile")
    return render(request, "clinic/location_form.html", {"form": form, "location": location})
