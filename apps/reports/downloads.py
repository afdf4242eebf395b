"""One way to hand out an export, for the reports page and the API alike: check the
role, log who exported what with which filters, then stream what PostgreSQL writes (the
reporting replica when there is one), as plain UTF-8 or, asked for Excel, behind a
byte-order mark."""

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record
from apps.reports.exports import EXPORTS, export_query
from apps.reports.forms import ExportForm
from exotrack.csv_export import copy_csv_chunks, csv_response
from exotrack.replica import database_for_reports

IDENTIFIED_PERMISSION = "reports.export_identified"


def export_download(*, user, name: str, form: ExportForm, path: str) -> StreamingHttpResponse:
    """`form` must be valid and `name` one of EXPORTS. An identified export asked for by
    someone without the right is refused (PermissionDenied), never quietly downgraded:
    the file they would get is not the one they asked for."""
    export = EXPORTS[name]
    if form.wants_identified and not user.has_perm(IDENTIFIED_PERMISSION):
        raise PermissionDenied("Your role may export de-identified reports only.")
    options = form.options()
    filters = form.filters()
    access_log_record(
        user=user,
        action=AccessLog.Action.EXPORT,
        subject=f"export:{name}",
        path=path,
        detail={**options.described(), "filters": filters.described()},
    )
    # The access log above went to the primary; the rows may come from the replica.
    using = database_for_reports()
    query, params = export_query(export, filters, options, using=using)
    mode = "identified" if options.identified else "deidentified"
    chunks = copy_csv_chunks(query, params, header=export.header(options), using=using)
    return csv_response(stem=f"{name}-{mode}", chunks=chunks, for_excel=form.for_excel)
