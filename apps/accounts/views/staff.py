"""The Staff page: managers run the team's accounts. Every write goes through
apps/accounts/services/staff.py, which checks the rules and logs the action."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.forms import InviteForm, RolesForm
from apps.accounts.models import User
from apps.accounts.requests import StaffRequest
from apps.accounts.selectors import api_tokens_of, staff_list, staff_member_row
from apps.accounts.services import staff as services

manager_only = permission_required("accounts.manage_staff", raise_exception=True)


@login_required
@manager_only
def staff_page(request: StaffRequest) -> HttpResponse:
    return render(request, "accounts/staff_list.html", {"rows": staff_list()})


@login_required
@manager_only
def staff_invite(request: StaffRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member, sent = services.staff_invite(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if sent:
                messages.success(
                    request, f"{member} is invited: a set-password link went to {member.email}."
                )
            else:
                messages.warning(
                    request,
                    f"{member} is added, but the e-mail could not be sent. "
                    "Use “Send password link” later.",
                )
            return redirect("staff-member", pk=member.pk)
    return render(
        request,
        "accounts/staff_invite.html",
        {"form": form, "link_hours": settings.STAFF_SET_PASSWORD_LINK_HOURS},
    )


def _member(pk: int) -> User:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


@login_required
@manager_only
def staff_member(request: StaffRequest, pk: int) -> HttpResponse:
    row = staff_member_row(pk=pk)
    if row is None:
        raise Http404
    roles_form = RolesForm(initial={"roles": row.member.role_names})
    return render(
        request,
        "accounts/staff_member.html",
        {"row": row, "roles_form": roles_form, "tokens": api_tokens_of(row.member)},
    )


@require_POST
@login_required
@manager_only
def staff_roles(request: StaffRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.staff_roles_change(
                by=request.user, member=member, roles=form.cleaned_data["roles"]
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, f"Roles of {member} saved.")
    return redirect("staff-member", pk=member.pk)


# Each button on a member's page: the service it calls and what the manager is told.
_ACTIONS = {
    "deactivate": (
        services.staff_deactivate,
        "{member} is deactivated: their sessions and tokens stopped.",
    ),
    "reactivate": (services.staff_reactivate, "{member} is active again."),
    "password-link": (services.staff_password_link_send, "A set-password link went to {email}."),
    "lockout-lift": (services.staff_lockout_lift, "The sign-in lock of {member} is lifted."),
    "second-factor-reset": (
        services.staff_second_factor_reset,
        "{member}'s second factor is removed: they enrol again at their next sign-in.",
    ),
    "sign-out": (services.staff_sign_out_everywhere, "{member} is signed out everywhere."),
}


@require_POST
@login_required
@manager_only
def staff_action(request: StaffRequest, pk: int, action: str) -> HttpResponse:
    if action not in _ACTIONS:
        raise Http404
    member = _member(pk)
    service, done = _ACTIONS[action]
    try:
        result = service(by=request.user, member=member)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        if action == "password-link" and result is False:
            messages.warning(request, "The e-mail could not be sent. Try again later.")
        else:
            messages.success(request, done.format(member=member, email=member.email))
    return redirect("staff-member", pk=member.pk)
