from django import forms

from apps.clinic.models import ClinicProfile, Location


class ClinicProfileForm(forms.ModelForm):
    class Meta:
        model = ClinicProfile
        fields = [
            "name",
            "contact_phone",
            "booking_url",
            "booking_instructions",
            "safety_contact_email",
            "reminder_send_time",
        ]
        widgets = {"reminder_send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
