from django.contrib import messages
from django.contrib.auth.views import LogoutView, PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy


class StaffLogoutView(LogoutView):
    """Sign out (POST only) and confirm it on the sign-in page, so the next person at a
    shared workstation sees the previous account is closed."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You are signed out.")
        return response


class StaffPasswordChangeView(PasswordChangeView):
    """Staff change their own password; the password rules name what is wrong with it."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed.")
        return response
