from django.db import models


class Report(models.Model):
    """No table: carries the permissions of the reports page and its exports."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_reports", "Can see outcome reports and export de-identified CSVs"),
            ("export_identified", "Can export CSVs that identify patients"),
        ]

    def __str__(self) -> str:
        return "Reports"
