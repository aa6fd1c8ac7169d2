"""The office's and auditors' pages of a plan: the report of `dondoc report` (the six
categories by unit, leader or task, the on-time rate and the KPIs against their targets as bar
charts; filters by unit, state and period) as a page, as CSV and as XLSX, and the result of
`audit verify`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.services import report as reporting
from dondoc.services import verification
from dondoc.services.identity import NotAllowed
from dondoc.web import password, plan_pages
from dondoc.web.app import blocking, render
from dondoc.web.context import WebContext
from dondoc.web.pages import principal_of
from plans.report import CATEGORIES, VIETNAMESE
from storage.audit import AuditLog
from workflows.plan import plan_record

GROUPINGS = reporting.BY_VIETNAMESE


def _choice(request: Request, name: str) -> str | None:
    return request.query_params.get(name, "").strip()[:100] or None


async def _report(request: Request) -> dict[str, Any]:
    principal = principal_of(request)
    web: WebContext = request.app.state.web
    plan = request.query_params.get("plan", "").strip()
    by = request.query_params.get("by", "unit")
    period, unit, state = _choice(request, "period"), _choice(request, "unit"), \
        _choice(request, "state")
    if by not in GROUPINGS:
        by = "unit"
    empty: dict[str, Any] = {"plan": plan, "by": by, "period": period, "unit": unit, "state": state,
             "units": [], "names": {}, "rows": None, "kpis": []}
    if not plan:
        return empty | {"problem": None}
    try:
        data = await blocking(reporting.build, AuditLog(web.engine), plan, by=by,  # type: ignore[arg-type]
                              period=period, now=web.clock(), principal=principal, unit=unit,
                              state=state)
    except NotAllowed:
        raise HTTPException(403) from None
    except reporting.ReportError as error:
        return empty | {"problem": str(error), "rows": []}
    record = await plan_record(await web.temporal(), plan)
    context = record.context if record else None
    names = {pid: p.name for pid, p in context.parties.items()} if context else {}
    for row in data["rows"]:
        row["key"] = names.get(row["key"], row["key"])
    return data | {"problem": None, "names": names, "title": context.title if context else plan,
                   "unit_name": names.get(unit or "", unit)}


def kpi_chart(line: dict[str, Any]) -> dict[str, float] | None:
    """Where the value and the target sit on one bar (percent of the larger): the value's
    width and the target's mark; None when either is missing or not a number."""
    try:
        value, target = float(line["value"]), float(line["target"])
    except (TypeError, ValueError):
        return None
    scale = max(value, target, 1e-9)
    return {"value": round(100 * value / scale, 1), "target": round(100 * target / scale, 1)}


async def report_page(request: Request) -> Response:
    data = await _report(request)
    query = urlencode({k: data[k] for k in ("plan", "by", "period", "unit", "state") if data[k]})
    return render(request, "report.html", data=data, groupings=GROUPINGS, query=query,
                  categories=[(c, VIETNAMESE[c]) for c in CATEGORIES], kpi_chart=kpi_chart,
                  met_words=reporting.met_words)


async def _export(request: Request, kind: str, media: str,
                  write: Callable[[dict[str, Any]], bytes]) -> Response:
    data = await _report(request)
    if data["problem"] or data["rows"] is None:
        raise HTTPException(404)
    return Response(write(data), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-{data["plan"]}.{kind}"'})


async def report_csv(request: Request) -> Response:
    return await _export(request, "csv", "text/csv; charset=utf-8", reporting.as_csv)


async def report_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx", XLSX, reporting.as_xlsx)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def verify_page(request: Request) -> Response:
    """The result of `audit verify` for a plan, for auditors and the office."""
    principal = principal_of(request)
    web: WebContext = request.app.state.web
    plan = request.query_params.get("plan", "").strip() or None
    audit = AuditLog(web.engine, web.audit_key)
    try:
        verified, notes = await verification.verify(web.settings, audit, principal, plan)
    except NotAllowed:
        raise HTTPException(403) from None
    return render(request, "verify.html", plan=plan or "", verified=verified, notes=notes)


def routes() -> list[BaseRoute]:
    return [*plan_pages.routes(), *password.routes(),
            Route("/bao-cao", report_page, methods=["GET"]),
            Route("/bao-cao.csv", report_csv, methods=["GET"]),
            Route("/bao-cao.xlsx", report_xlsx, methods=["GET"]),
            Route("/kiem-tra", verify_page, methods=["GET"])]
