"""The patient's self-report, once the model PatientReport, is SelfReport.

Renaming (not recreating) the model and its change-history model keeps every report and
every history row; the contenttypes app renames their content types alongside. The
history triggers are dropped before the table is renamed, since they are found by the
table's name, and the next migration installs them again writing to the renamed event
table. The permissions keep their rows (and whoever holds them) under the new codenames,
so `followups.view_selfreport` is the permission a user already had as
`followups.view_patientreport`."""

import pgtrigger.migrations
from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")
RENAMED = {"patientreport": "selfreport", "patientreportevent": "selfreportevent"}


def _rename_permissions(apps, names: dict[str, str]) -> None:
    Permission = apps.get_model("auth", "Permission")
    for old, new in names.items():
        for action in ACTIONS:
            Permission.objects.filter(
                content_type__app_label="followups", codename=f"{action}_{old}"
            ).update(codename=f"{action}_{new}")


def permissions_forward(apps, schema_editor) -> None:
    _rename_permissions(apps, RENAMED)


def permissions_backward(apps, schema_editor) -> None:
    _rename_permissions(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("followups", "0004_history_leaves_out_sender_leases"),
    ]

    operations = [
        *(
            pgtrigger.migrations.RemoveTrigger(model_name="patientreport", name=trigger)
            for trigger in ("insert_insert", "update_update", "delete_delete")
        ),
        migrations.RenameModel("PatientReport", "SelfReport"),
        migrations.RenameModel("PatientReportEvent", "SelfReportEvent"),
        migrations.RunPython(permissions_forward, permissions_backward),
    ]
