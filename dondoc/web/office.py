"""The office's and auditors' pages of a plan: the report of `dondoc report` (the six
categories by unit, leader or task, the on-time rate as a bar) as a page and as CSV, and the
result of `audit verify`."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.services import report as reporting
from dondoc.services import verification
from dondoc.services.identity import NotAllowed
from dondoc.web.app import blocking, render
from dondoc.web.context import WebContext
from dondoc.web.pages import principal_of
from plans.report import CATEGORIES, VIETNAMESE
from storage.audit import AuditLog
from workflows.plan import plan_record

GROUPINGS = {"unit": "Đơn vị", "leader": "Lãnh đạo phụ trách", "task": "Nhiệm vụ"}


async def _report(request: Request) -> dict[str, Any]:
    principal = principal_of(request)
    web: WebContext = request.app.state.web
    plan = request.query_params.get("plan", "").strip()
    by = request.query_params.get("by", "unit")
    period = request.query_params.get("period", "").strip() or None
    if by not in GROUPINGS:
        by = "unit"
    if not plan:
        return {"plan": "", "by": by, "period": period, "problem": None, "rows": None}
    try:
        data = await blocking(reporting.build, AuditLog(web.engine), plan, by=by,  # type: ignore[arg-type]
                              period=period, now=web.clock(), principal=principal)
    except NotAllowed:
        raise HTTPException(403) from None
    except reporting.ReportError as error:
        return {"plan": plan, "by": by, "period": period, "problem": str(error), "rows": []}
    record = await plan_record(await web.temporal(), plan)
    names = {pid: p.name for pid, p in (record.context.parties.items()
                                        if record and record.context else [])}
    for row in data["rows"]:
        row["key"] = names.get(row["key"], row["key"])
    return data | {"problem": None, "title": record.context.title if record and record.context
                   else plan}


async def report_page(request: Request) -> Response:
    data = await _report(request)
    return render(request, "report.html", data=data, groupings=GROUPINGS,
                  categories=[(c, VIETNAMESE[c]) for c in CATEGORIES])


async def report_csv(request: Request) -> Response:
    data = await _report(request)
    if data["problem"] or data["rows"] is None:
        raise HTTPException(404)
    return Response(reporting.as_csv(data), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="bao-cao-{data["plan"]}.csv"'})


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
    return [Route("/bao-cao", report_page, methods=["GET"]),
            Route("/bao-cao.csv", report_csv, methods=["GET"]),
            Route("/kiem-tra", verify_page, methods=["GET"])]
