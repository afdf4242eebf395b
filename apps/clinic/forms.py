from django import forms

from apps.clinic.models import ClinicProfile, Location


class ClinicProfileForm(forms.ModelForm):
    # Staff type "clinic.example/book"; https is the scheme a booking page has today.
    booking_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Booking URL",
        help_text=ClinicProfile._meta.get_field("booking_url").help_text,
    )

    class Meta:
        model = ClinicProfile
        fields = [
            "name",
            "contact_phone",
            "booking_url",
            "booking_instructions",
            "safety_contact_email",
            "reminder_send_time",
            "chart_review_percent",
        ]
        labels = {"safety_contact_email": "Safety contact e-mail"}
        help_texts = {
            "reminder_send_time": (
                "Local time reminder e-mails go out. Changing it moves every reminder not"
                " yet sent to the new time on its day; a reminder whose new time today has"
                " already passed goes out within a minute."
            )
        }
        widgets = {
            "booking_instructions": forms.Textarea(attrs={"rows": 3}),
            "reminder_send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "active"]
        labels = {"active": "Open for treatments"}
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
