"""Bulk Data export jobs: kick-off, the export itself (run by a Celery worker), cancel
and expiry. The export reads through the same selectors as the read API, as the user
who asked, so a role exports no more than it may read."""

import datetime
import json
import shutil
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.fhir.models import BulkExport
from apps.fhir.resources import RESOURCE_TYPES, ResourceType
from apps.inventory.models import Lot
from apps.safety.selectors.recalls import lot_recipient_patient_ids
from exotrack.replica import database_with_every_commit

# Rows read from PostgreSQL per round trip: the worker holds one chunk at a time.
EXPORT_CHUNK_ROWS = 2000
# The permission to take every patient's records away in one file.
EXPORT_PERMISSION = "reports.export_identified"


def bulk_export_directory(export: BulkExport) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(export.pk)


def exportable_types(user: User) -> list[str]:
    return [name for name, rt in RESOURCE_TYPES.items() if user.has_perm(rt.permission)]


def bulk_export_start(
    *,
    by: User,
    level: str,
    request_url: str,
    types: list[str] | None = None,
    since: datetime.datetime | None = None,
    lot: Lot | None = None,
) -> BulkExport:
    """Queue an export of the types asked for (all this user may read when none)."""
    if not by.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied("Your role may not export patient records in bulk.")
    readable = exportable_types(by)
    if types:
        unknown = [name for name in types if name not in RESOURCE_TYPES]
        if unknown:
            raise ValidationError(f"_type names types not served here: {', '.join(unknown)}.")
        refused = [name for name in types if name not in readable]
        if refused:
            raise PermissionDenied(f"Your role may not read {', '.join(refused)}.")
    export = BulkExport.objects.create(
        requested_by=by,
        request_url=request_url[:2000],
        level=level,
        lot=lot,
        types=list(dict.fromkeys(types)) if types else readable,
        since=since,
    )
    # The task module imports this one.
    from apps.fhir.tasks import bulk_export_run as run_task

    run_task.delay_on_commit(str(export.pk))
    return export


def _records(export: BulkExport, resource_type: ResourceType[Any]) -> QuerySet[Any]:
    records = resource_type.records(export.requested_by)
    if export.level == BulkExport.Level.GROUP and resource_type.in_patient_compartment:
        # A group export always names its lot (the bulk_export_group_names_a_lot constraint).
        lot_id = cast(int, export.lot_id)
        records = records.filter(
            **{f"{resource_type.patient}__in": lot_recipient_patient_ids(lot_id=lot_id)}
        )
    if resource_type.last_updated:
        # Rows changed after the start are left for the next export with _since set to
        # this one's transactionTime, so no file holds a state newer than the manifest says.
        records = records.filter(**{f"{resource_type.last_updated}__lte": export.started_at})
        if export.since:
            records = records.filter(**{f"{resource_type.last_updated}__gt": export.since})
    return records


def _still_wanted(export: BulkExport) -> bool:
    return BulkExport.objects.filter(pk=export.pk, status=BulkExport.Status.RUNNING).exists()


def _write_type(
    export: BulkExport, resource_type: ResourceType[Any], directory: Path, *, using: str
) -> int | None:
    """Write one NDJSON file, read from the `using` database; the number of resources, or
    None when cancelled meanwhile (progress and cancel are the primary's, always)."""
    path = directory / f"{resource_type.name}.ndjson"
    partial = path.with_suffix(".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as out:
        for row, record in enumerate(
            _records(export, resource_type).using(using).iterator(chunk_size=EXPORT_CHUNK_ROWS),
            start=1,
        ):
            for resource in resource_type.resources(record):
                out.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                count += 1
            if row % EXPORT_CHUNK_ROWS == 0:
                BulkExport.objects.filter(pk=export.pk).update(
                    resources_written=export.resources_written + count
                )
                if not _still_wanted(export):
                    return None
    if count:
        partial.rename(path)
    else:
        partial.unlink()
    return count


def _files_whole(export: BulkExport, directory: Path) -> bool:
    """Whether every file the export says it finished is on disk, at its count of lines."""
    for done in export.output:
        path = directory / done["file"]
        if not path.is_file():
            return False
        with path.open("rb") as lines:
            if sum(1 for _ in lines) != done["count"]:
                return False
    return True


def _resumed(export: BulkExport, directory: Path) -> bool:
    """A redelivered task (its worker was lost mid-export) carries on after the last type
    it finished, as of the same start, so the files already written stand; the type it
    was writing is written again. Without its finished files intact, it starts over."""
    if export.status != BulkExport.Status.RUNNING or export.started_at is None:
        return False
    if not _files_whole(export, directory):
        return False
    for partial in directory.glob("*.partial"):
        partial.unlink()
    export.resources_written = sum(done["count"] for done in export.output)
    BulkExport.objects.filter(pk=export.pk).update(resources_written=export.resources_written)
    return True


def bulk_export_run(*, export_id: str) -> None:
    """Run a queued export, or carry on with one whose worker was lost; one that
    finished, failed or was cancelled is left alone."""
    export = (
        BulkExport.objects.select_related("requested_by")
        .filter(pk=export_id, status__in=(BulkExport.Status.QUEUED, BulkExport.Status.RUNNING))
        .first()
    )
    if export is None:
        return
    directory = bulk_export_directory(export)
    if not _resumed(export, directory):
        claimed = BulkExport.objects.filter(
            pk=export_id, status__in=(BulkExport.Status.QUEUED, BulkExport.Status.RUNNING)
        ).update(
            status=BulkExport.Status.RUNNING,
            started_at=timezone.now(),
            types_done=0,
            resources_written=0,
            output=[],
        )
        if not claimed:
            return
        export.refresh_from_db()
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    # A replica, once it holds every change up to started_at: the next export asks only
    # for changes after it, so one missing here would be missing from both.
    source = database_with_every_commit()
    try:
        for name in export.types[export.types_done :]:
            count = _write_type(export, RESOURCE_TYPES[name], directory, using=source)
            if count is None:
                shutil.rmtree(directory, ignore_errors=True)
                return
            if count:
                export.output.append({"type": name, "file": f"{name}.ndjson", "count": count})
            export.types_done += 1
            export.resources_written += count
            BulkExport.objects.filter(pk=export.pk).update(
                types_done=export.types_done,
                resources_written=export.resources_written,
                output=export.output,
            )
    except Exception as error:
        shutil.rmtree(directory, ignore_errors=True)
        BulkExport.objects.filter(pk=export.pk).update(
            status=BulkExport.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    finished = timezone.now()
    done = BulkExport.objects.filter(pk=export.pk, status=BulkExport.Status.RUNNING).update(
        status=BulkExport.Status.COMPLETED,
        finished_at=finished,
        expires_at=finished + datetime.timedelta(hours=settings.FHIR_EXPORT_EXPIRY_HOURS),
    )
    if not done:
        shutil.rmtree(directory, ignore_errors=True)


def bulk_export_cancel(*, export: BulkExport, by: User) -> None:
    """Stop an export (the worker notices within a chunk) and delete its files."""
    if export.requested_by_id != by.pk:
        raise PermissionDenied("Only who asked for an export may cancel it.")
    BulkExport.objects.filter(pk=export.pk).update(
        status=BulkExport.Status.CANCELLED, finished_at=timezone.now(), output=[]
    )
    shutil.rmtree(bulk_export_directory(export), ignore_errors=True)


def bulk_exports_expire(*, now: datetime.datetime) -> int:
    """Delete the files of exports past their expiry, and the jobs (the access log keeps
    who exported what); also jobs cancelled or failed a day ago."""
    stale = BulkExport.objects.filter(
        Q(expires_at__lt=now)
        | Q(
            status__in=(BulkExport.Status.CANCELLED, BulkExport.Status.FAILED),
            finished_at__lt=now - datetime.timedelta(days=1),
        )
    )
    count = 0
    for export in stale.iterator():
        shutil.rmtree(bulk_export_directory(export), ignore_errors=True)
        export.delete()
        count += 1
    return count
