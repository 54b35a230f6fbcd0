"""The statistics page (統計) for privacy officers and auditors: per month and department, what
was sent and what faxgate stopped, a chart drawn on the server (SVG) and the same figures as CSV."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gateway.core import access
from gateway.core.screening import code_of
from gateway.entrypoints.web.core import PAGE_HEADERS, Refusal, Viewer, Web, office_today
from gateway.entrypoints.web.i18n import N_
from gateway.entrypoints.web.stats_chart import chart
from gateway.services import statistics

COUNTER_LABELS = {
    "received": N_("Received"),
    "sent": N_("Sent"),
    "blocked": N_("Stopped"),
    "near_misses": N_("Near misses"),
    "refused_at_directory": N_("Refused at the directory at once"),
    "destination_blocks": N_("Stopped for the destination"),
    "confirmations_refused": N_("Confirmations refused"),
    "wrong_number_entries": N_("Wrong numbers entered at confirmation"),
    "cover_mismatches": N_("Cover sheet number mismatches"),
    "addressee_mismatches": N_("Addressee mismatches"),
    "masked_resends": N_("Masked resends"),
    "in_house_deliveries": N_("In-house deliveries instead of fax"),
    "incidents": N_("Incidents"),
}
MONTH_COLUMNS = ("received", "sent", "blocked", "near_misses", "confirmations_refused", "incidents")
NOT_ALLOWED = N_("Only privacy officers and auditors may see the statistics.")


def add_stats_routes(router: APIRouter, web: Web) -> None:
    app = web.app

    def figures(viewer: Viewer, start: str, end: str) -> statistics.Report:
        if not access.may_see_statistics(viewer.person):
            raise Refusal(viewer, NOT_ALLOWED, 403)
        try:
            first, last = statistics.period(start or None, end or None, office_today())
        except statistics.PeriodError as exc:
            raise Refusal(viewer, str(exc), 400) from None
        with app.unit_of_work(read_only=True) as uow:
            return statistics.report(uow, first, last)

    @router.get("/stats")
    def stats_page(request: Request, viewer: Viewer = Depends(web.viewer)):
        start, end = request.query_params.get("from", "")[:10], request.query_params.get("to", "")[:10]
        report = figures(viewer, start, end)
        gettext = web.gettext(request)
        months = report.months()
        by_month = {m: report.month(m) for m in months}
        svg = chart(months, {m: t.counts for m, t in by_month.items()}, gettext,
                    gettext("Faxes sent, stopped and near misses per month"), web.language(request) == "ja")
        total = report.total()
        codes = sorted(total.blocked_by, key=lambda c: -total.blocked_by[c])
        return web.render(request, viewer, "stats.html", report=report, total=total, by_month=by_month,
                          departments={d: report.department(d) for d in report.departments()}, codes=codes,
                          code_names={c: code_of(c).summary_en or c for c in codes}, labels_of=COUNTER_LABELS,
                          counters=statistics.COUNTERS, month_columns=MONTH_COLUMNS, chart_svg=svg)

    @router.get("/stats.csv")
    def stats_csv(request: Request, viewer: Viewer = Depends(web.viewer)):
        start, end = request.query_params.get("from", "")[:10], request.query_params.get("to", "")[:10]
        report = figures(viewer, start, end)
        gettext = web.gettext(request)
        codes = sorted(report.total().blocked_by)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([gettext("Month"), gettext("Department")] + [gettext(COUNTER_LABELS[c]) for c in statistics.COUNTERS]
                        + [f"{gettext('Stopped')}: {gettext(code_of(c).summary_en or c)} ({c})" for c in codes])
        for (month, department), tally in sorted(report.cells.items()):
            writer.writerow([month, department] + [tally.counts[c] for c in statistics.COUNTERS]
                            + [tally.blocked_by.get(c, 0) for c in codes])
        name = f"faxgate-stats-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
