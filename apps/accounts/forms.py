from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts.models import User


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Wrong username or password. After 5 failed attempts the account is locked for an hour."
        ),
    }


class ClinicianChoiceField(forms.ModelChoiceField):
    """A choice among clinicians, each shown by full name, or username when none is set."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username
