import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from apps.audit.subjects import access_subject_label


class AccessLog(models.Model):
    """Who read which patient record or export, and when (UTC). Append-only: the
    database refuses UPDATE and DELETE, as it does for the stock ledger."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        SEARCH = "search", "Searched"
        EXPORT = "export", "Exported"
        API_READ = "api_read", "Read through the API"
        ACCOUNT = "account", "Changed a staff account"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    # What was read: "patient", "visit", "lot-recipients", "export:outcomes" ..., shown in
    # words by apps.audit.subjects.
    subject = models.CharField(max_length=60)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        # The access log pages newest first; it grows with every read. A look-up of one
        # patient's reads also searches the patients a list read names (detail["patients"]).
        indexes = [
            models.Index(fields=["-at", "-id"], name="access_log_newest_first_idx"),
            GinIndex(fields=["detail"], opclasses=["jsonb_path_ops"], name="access_log_detail_idx"),
        ]
        permissions = [("view_history", "Can view the change history of clinical records")]
        triggers = [
            pgtrigger.Protect(
                name="access_log_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.subject} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def subject_label(self) -> str:
        return access_subject_label(self.subject)


# Staff roles (group membership) leave history like clinical records: a role decides what
# someone may see. Django makes the membership table itself, so it is tracked here through
# a proxy; the account's own history is the accounts app's (apps.accounts.models.User).
User = get_user_model()


@pghistory.track(
    pghistory.InsertEvent("role.add"),
    pghistory.DeleteEvent("role.remove"),
    model_name="StaffRoleEvent",
)
class StaffRole(User.groups.through):  # type: ignore[name-defined]  # made by Django, unseen by the stubs
    class Meta:
        proxy = True
