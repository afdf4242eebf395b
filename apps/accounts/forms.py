from django.contrib.auth.forms import AuthenticationForm


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Wrong username or password. After 5 failed attempts the account is locked for an hour."
        ),
    }
