from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts.models import User
from exotrack.roles import ROLE_LABELS, ROLE_PERMISSIONS

ROLE_CHOICES = [(code, ROLE_LABELS[code]) for code in ROLE_PERMISSIONS]


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


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(label="E-mail", help_text="The invitation goes to this address.")
    username = forms.RegexField(
        regex=r"^[\w.@+-]+$",
        max_length=150,
        help_text="What they type to sign in: letters, digits and . @ + - _ only.",
        error_messages={"invalid": "Use letters, digits and . @ + - _ only."},
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class AuthenticatorForm(forms.Form):
    name = forms.CharField(
        label="Name of this authenticator",
        max_length=64,
        initial="Authenticator app",
        help_text="So you can tell your devices apart, e.g. “Work phone”.",
    )
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What will use it, e.g. “Lab results import”.")
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The longest lifetime is checked by the service; the form only says it.
        self.fields["days"].help_text = f"At most {settings.API_TOKEN_MAX_DAYS} days."


class PasswordForgotForm(forms.Form):
    email = forms.EmailField(label="Your work e-mail address")
