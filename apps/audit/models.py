from django.conf import settings
from django.db import models


class AccessLog(models.Model):
    """Who read which patient record or export, and when (UTC). Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        SEARCH = "search", "Searched"
        EXPORT = "export", "Exported"
        API_READ = "api_read", "Read through the API"
        ACCOUNT = "account", "Changed a staff account"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    # What was read: "patient", "visit", "lot-recipients", "export:outcomes" ...
    subject = models.CharField(max_length=60)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [("view_history", "Can view the change history of clinical records")]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.subject} at {self.at:%Y-%m-%d %H:%M}"
