"""Setting a password from an e-mailed link (invitation or reset) and asking for one."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from apps.accounts.client_ip import client_ip
from apps.accounts.forms import PasswordForgotForm
from apps.accounts.services.staff import password_reset_request


def password_forgot(request: HttpRequest) -> HttpResponse:
    """The same answer whether the address belongs to a member or not."""
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted = password_reset_request(
            email=form.cleaned_data["email"], client_address=client_ip(request) or "unknown"
        )
        if not accepted:
            return render(
                request,
                "accounts/password_forgot.html",
                {"form": form, "too_many": True},
                status=429,
            )
        return redirect("password-forgot-sent")
    return render(request, "accounts/password_forgot.html", {"form": form})


def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_forgot_sent.html")


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The e-mailed link: Django moves its token into the session on the first GET (no
    change to the account), and the link stops working once the password is set."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("login")
    reset_url_token = "set"  # noqa: S105 (a URL part)

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Sign in with it now.")
        return response
