from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts.forms import StaffLoginForm
from apps.accounts.views import own, passwords, staff
from apps.accounts.views.session import StaffLogoutView, StaffPasswordChangeView

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=StaffLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", StaffLogoutView.as_view(), name="logout"),
    path("password/", StaffPasswordChangeView.as_view(), name="password-change"),
    path("password/forgot/", passwords.password_forgot, name="password-forgot"),
    path("password/forgot/sent/", passwords.password_forgot_sent, name="password-forgot-sent"),
    path(
        "password/set/<uidb64>/<token>/", passwords.PasswordSetView.as_view(), name="password-set"
    ),
    # The second sign-in step and enrolment (open before the second factor is passed).
    path("two-factor/", own.second_step, name="second-step"),
    path("two-factor/enrol/", own.enrol, name="second-factor-enrol"),
    path("security/", own.security, name="account-security"),
    path("security/recovery-codes/", own.recovery_codes_new, name="recovery-codes-new"),
    path(
        "security/authenticators/<int:pk>/remove/",
        own.authenticator_remove,
        name="authenticator-remove",
    ),
    path("security/passkeys/<int:pk>/remove/", own.passkey_remove, name="passkey-remove"),
    path("security/tokens/", own.token_create, name="api-token-create"),
    path("security/tokens/revoke/", own.token_revoke, name="api-token-revoke"),
    path("staff/", staff.staff_page, name="staff-list"),
    path("staff/invite/", staff.staff_invite, name="staff-invite"),
    path("staff/<int:pk>/", staff.staff_member, name="staff-member"),
    path("staff/<int:pk>/roles/", staff.staff_roles, name="staff-roles"),
    path("staff/<int:pk>/<slug:action>/", staff.staff_action, name="staff-action"),
]
