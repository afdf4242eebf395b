"""The clinic manager's follow-up rules: list, add, edit, deactivate."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.requests import StaffRequest
from apps.followups.forms.rules import FollowUpRuleForm
from apps.followups.models import FollowUpRule
from apps.followups.selectors.follow_ups import follow_up_rules
from apps.followups.services import rules as services
from exotrack.forms import add_service_errors


@permission_required("followups.view_followuprule", raise_exception=True)
def rule_list(request: StaffRequest) -> HttpResponse:
    return render(request, "followups/rule_list.html", {"rules": list(follow_up_rules())})


@permission_required("followups.add_followuprule", raise_exception=True)
def rule_add(request: StaffRequest) -> HttpResponse:
    form = FollowUpRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.followup_rule_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Rule “{rule.name}” added.")
            return redirect("followups:rule-list")
    return render(request, "followups/rule_form.html", {"form": form})


@permission_required("followups.change_followuprule", raise_exception=True)
def rule_edit(request: StaffRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(FollowUpRule, pk=pk)
    form = FollowUpRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_rule_update(
                by=request.user, rule=FollowUpRule.objects.get(pk=pk), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Rule “{form.cleaned_data['name']}” saved.")
            return redirect("followups:rule-list")
    return render(request, "followups/rule_form.html", {"form": form, "rule": rule})


@require_POST
@permission_required("followups.change_followuprule", raise_exception=True)
def rule_deactivate(request: StaffRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(FollowUpRule, pk=pk)
    services.followup_rule_deactivate(by=request.user, rule=rule)
    messages.success(
        request, f"Rule “{rule.name}” no longer schedules follow-ups; those made stay."
    )
    return redirect("followups:rule-list")
