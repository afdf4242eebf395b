"""The reports page (figures, charts, data dictionary, download buttons) and the CSV
downloads it offers. Figures come from apps.reports.selectors; files from
apps.reports.downloads."""

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from apps.accounts.requests import StaffRequest
from apps.reports import charts
from apps.reports.downloads import IDENTIFIED_PERMISSION, export_download
from apps.reports.exports import EXPORTS, ExportOptions
from apps.reports.forms import CSV_FILES, ExportForm, ReportFilterForm
from apps.reports.selectors import report_summary

VIEW_PERMISSION = "reports.view_reports"


def _dictionary(user) -> list[dict]:
    """Each export's columns and their meaning; identified-only columns are marked."""
    identified = user.has_perm(IDENTIFIED_PERMISSION)
    entries = []
    for export in EXPORTS.values():
        plain = {c.name for c in export.columns(ExportOptions())}
        shown = export.columns(ExportOptions(identified=identified))
        entries.append(
            {
                "export": export,
                "columns": [(c, c.name not in plain) for c in shown],
            }
        )
    return entries


def _inline(svg: str | None) -> SafeString | None:
    # The SVG of apps.reports.charts; it escapes the labels it writes.
    return mark_safe(svg) if svg is not None else None  # noqa: S308


def _page(request: StaffRequest, form: ReportFilterForm, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        # The export options of a refused download are asked beside its buttons instead.
        "filter_fields": [form[name] for name in ReportFilterForm.base_fields],
        "dictionary": _dictionary(request.user),
        "can_identify": request.user.has_perm(IDENTIFIED_PERMISSION),
        "shift_max": settings.REPORTS_DATE_SHIFT_MAX_DAYS,
        "exports": EXPORTS.values(),
        "csv_files": CSV_FILES,
        "responder_points": settings.OUTCOME_RESPONDER_MIN_POINTS,
        "responder_percent": settings.OUTCOME_RESPONDER_MIN_PERCENT,
    }
    if form.is_valid():
        summary = report_summary(filters=form.filters())
        lots = charts.lots_to_chart(summary.adverse_events_by_lot)
        by_category = summary.responders_by_category
        context |= {
            "summary": summary,
            "filter_items": [
                (name, value)
                for name, value in request.GET.items()
                if name in ReportFilterForm.base_fields and value
            ],
            "pain_chart": _inline(charts.mean_pain_chart(summary.mean_pain)),
            "category_chart": _inline(charts.rate_chart(by_category, axis_label="Responders (%)")),
            "product_chart": _inline(
                charts.rate_chart(summary.responders_by_product, axis_label="Responders (%)")
            ),
            "lot_chart": _inline(
                charts.rate_chart(lots, axis_label="Doses with an adverse event (%)")
            ),
            "charted_lots": len(lots),
        }
    return render(request, "reports/report_page.html", context, status=status)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def report_page(request: StaffRequest) -> HttpResponse:
    return _page(request, ReportFilterForm(request.GET))


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def export_csv(request: StaffRequest, name: str) -> HttpResponse | StreamingHttpResponse:
    if name not in EXPORTS:
        raise Http404("No such export.")
    form = ExportForm(request.GET)
    if not form.is_valid():
        # The page again, each wrong filter or option named next to its field.
        return _page(request, form, status=400)
    return export_download(user=request.user, name=name, form=form, path=request.get_full_path())
