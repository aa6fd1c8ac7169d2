"""The pages of people who act: a unit head's open work, an occurrence with its timeline and
its forms (complete, ask for more time, report progress), a leader's decision on an extension.
Each route parses, calls a service (which applies the authorization table) and renders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.services import completion
from dondoc.services import report as reporting
from dondoc.services import work as working
from dondoc.services.evidence import EvidenceFile
from dondoc.services.identity import NotAllowed
from dondoc.services.operate import Refused, operate
from dondoc.services.read import UnknownRef, history
from dondoc.web import session
from dondoc.web.app import SignInFirst, blocking, form_action, redirect, render
from dondoc.web.context import WebContext
from dondoc.web.formatting import HCM, day, measure, state_words
from dondoc.web.refusals import vietnamese
from dondoc.web.timeline import timeline
from plans.access import Principal
from plans.evidence import BadEvidence, parse_kpi_value
from storage.audit import AuditLog
from storage.ledger import Ledger
from storage.standing import Standings
from workflows.messages import ActorReason, Checkin, Complete, ExtensionRequest, Status
from workflows.occurrence import OccurrenceWorkflow


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def principal_of(request: Request) -> Principal:
    """The signed-in person's principal (read by the Identify middleware); anyone else is sent
    to sign in first."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise SignInFirst
    return principal


async def home(request: Request) -> Response:
    principal_of(request)
    return redirect("/viec")


async def unit_work(request: Request) -> Response:
    principal = principal_of(request)
    web = _web(request)
    items = await working.open_work(await web.temporal(), principal, Standings(web.engine),
                                    AuditLog(web.engine))
    return render(request, "work.html", items=items, today=web.clock().astimezone(HCM).date())


async def decisions(request: Request) -> Response:
    """A leader's or the Steering Committee's extension requests waiting for their decision."""
    principal = principal_of(request)
    web = _web(request)
    refs = await blocking(working.awaiting_decision, AuditLog(web.engine), principal)
    client = await web.temporal()
    items = [await working.occurrence(client, ref, principal) for ref in refs]
    return render(request, "decisions.html", items=[i for i in items if i.pending_extension],
                  overdue=await working.overdue_by_unit(client, principal, Standings(web.engine)),
                  today=web.clock().astimezone(HCM).date())


async def find(request: Request) -> Response:
    """Search occurrences by reference (an auditor or the office: any it may read)."""
    principal = principal_of(request)
    text = request.query_params.get("q", "").strip()[:200]
    web = _web(request)
    items = await working.search(await web.temporal(), principal, text,
                                 standings=Standings(web.engine),
                                 audit=AuditLog(web.engine)) if text else []
    return render(request, "search.html", q=text, items=items)


async def _occurrence(request: Request, ref: str, principal: Principal) -> working.Work:
    try:
        return await working.occurrence(await _web(request).temporal(), ref, principal)
    except (UnknownRef, NotAllowed, LookupError):
        # The same answer for another unit's occurrence and one that does not exist.
        raise HTTPException(403) from None


async def occurrence_page(request: Request, *, error: str | None = None, code: str | None = None,
                          typed: dict[str, str] | None = None, status: int = 200) -> Response:
    principal = principal_of(request)
    ref = request.path_params["ref"]
    web = _web(request)
    item = await _occurrence(request, ref, principal)
    audit = AuditLog(web.engine)
    rows = await history(await web.temporal(), ref, principal, Ledger(web.engine), audit)
    flash = request.session.pop("flash", None)
    forms = {op: item.may(principal, op).allowed for op in
             ("complete", "request_extension", "checkin", "approve_extension", "record_kpi")}
    actions = {f"/{path}/{ref}" for path in ("hoan-thanh", "gia-han", "tien-do",
                                             "quyet-dinh-gia-han", "chi-tieu")}
    kept = session.take_draft(request.session, actions)
    if kept is not None and typed is None:
        typed = kept
        error = ("Phiên làm việc đã hết hạn trước khi biểu mẫu được gửi, nên chưa có gì được "
                 "ghi nhận. Nội dung đồng chí đã nhập vẫn còn dưới đây: hãy kiểm tra và gửi lại.")
    return render(request, "occurrence.html", status, item=item, flash=flash, error=error,
                  error_code=code, typed=typed or {}, forms=forms, timeline=timeline(rows, item),
                  today=day(web.clock()))


async def show(request: Request) -> Response:
    return await occurrence_page(request)


def parse_day(text: str, field: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise FormProblem(f"{field}: “{text}” không phải là ngày; hãy viết theo dạng ngày/tháng/năm, "
                      "ví dụ 28/03/2025.")


class FormProblem(Exception):
    """What the person typed cannot be used: said in Vietnamese, the form shown again."""


def required(form: FormData, name: str, label: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FormProblem(f"Hãy nhập {label}.")
    return value.strip()


async def act(request: Request, form: FormData, update: Any,
              build: Callable[[Principal], BaseModel],
              outcome: Callable[[Status, working.Work], str]) -> Response:
    """Send the operation with the signed-in principal; say the outcome in the plan's words
    on the occurrence's page (POST-redirect-GET), or show the form again with the problem."""
    principal = principal_of(request)
    ref = request.path_params["ref"]
    item = await _occurrence(request, ref, principal)
    typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        argument = await blocking(build, principal)  # may read and keep an upload: a thread
        result = await operate(await _web(request).temporal(), ref, update, argument)
    except FormProblem as problem:
        return await occurrence_page(request, error=str(problem), typed=typed, status=400)
    except Refused as refused:
        if refused.kind == "AlreadyDone":  # sent twice: the second changes nothing
            request.session["flash"] = "Việc này đã được ghi nhận trước đó; không có gì thay đổi."
            return redirect(request.url_for("occurrence", ref=ref).path)
        if refused.kind in ("Forbidden", "NotOnBehalf", "OwnRequest", "NoIdentity"):
            raise HTTPException(403) from None
        return await occurrence_page(
            request, error=f"Không ghi nhận được: {vietnamese(refused, item, typed)}",
            code=refused.kind, typed=typed, status=409)
    request.session["flash"] = outcome(result, item)
    return redirect(request.url_for("occurrence", ref=ref).path)


def _asked(status: Status, item: working.Work) -> str:
    pending = next((e for e in status.extensions if e.decision == "pending"), None)
    until = f" đến {day(pending.until)}" if pending else ""
    leader = item.leader.name if item.leader else "lãnh đạo phụ trách"
    return f"Đã gửi đề nghị gia hạn{until}, chờ đồng chí {leader} quyết định."


@form_action
async def complete(request: Request, form: FormData) -> Response:
    web = _web(request)
    upload = form.get("file")
    attached: list[EvidenceFile | None] = []

    def build(principal: Principal) -> Complete:
        dated = parse_day(required(form, "date", "ngày văn bản"), "Ngày văn bản")
        named = isinstance(upload, UploadFile) and bool(upload.filename)
        try:
            proof, kept = completion.evidence(
                web.settings, number=str(form.get("number") or "").strip(), day=dated,
                today=web.clock().astimezone(HCM).date(),
                note=str(form.get("note") or "").strip() or None,
                file_name=upload.filename if named else None,  # type: ignore[union-attr]
                content=upload.file.read() if named else None)  # type: ignore[union-attr]
        except BadEvidence as bad:
            raise FormProblem(f"{str(bad)[:1].upper()}{str(bad)[1:]}.") from None
        attached.append(kept)
        return Complete(by="", principal=principal, evidence=proof)

    recorded = False

    def outcome(status: Status, item: working.Work) -> str:
        nonlocal recorded
        recorded = True
        return state_words(status.state)

    try:
        return await act(request, form, OccurrenceWorkflow.complete, build, outcome)
    finally:
        if attached and not recorded:  # refused or sent twice: the file is not kept
            completion.release(attached[0], web.settings)


@form_action
async def extend(request: Request, form: FormData) -> Response:
    def build(principal: Principal) -> ExtensionRequest:
        until = parse_day(required(form, "until", "ngày đề nghị gia hạn đến"), "Gia hạn đến")
        return ExtensionRequest(by="", principal=principal, until=until,
                                reason=required(form, "reason", "lý do đề nghị gia hạn"))

    return await act(request, form, OccurrenceWorkflow.request_extension, build, _asked)


@form_action
async def checkin(request: Request, form: FormData) -> Response:
    def build(principal: Principal) -> Checkin:
        return Checkin(by="", principal=principal,
                       note=required(form, "note", "nội dung tiến độ"))

    return await act(request, form, OccurrenceWorkflow.checkin, build,
                     lambda _status, _item: "Đã ghi nhận báo cáo tiến độ.")


@form_action
async def decide_extension(request: Request, form: FormData) -> Response:
    approve = form.get("decision") == "approve"
    update = OccurrenceWorkflow.approve_extension if approve else OccurrenceWorkflow.deny_extension

    def build(principal: Principal) -> ActorReason:
        reason = str(form.get("reason") or "").strip()
        if not approve and not reason:
            raise FormProblem("Hãy nêu lý do không đồng ý gia hạn.")
        return ActorReason(by="", principal=principal, reason=reason)

    def said(status: Status, item: working.Work) -> str:
        return (f"Đã đồng ý gia hạn; hạn mới: {day(status.due)}." if approve
                else "Đã không đồng ý gia hạn; thời hạn giữ nguyên.")

    return await act(request, form, update, build, said)


@form_action
async def record_kpi(request: Request, form: FormData) -> Response:
    """A KPI value, read as the CLI reads it (15.754, 66,5, 58%; a count is whole), appended
    to the audit log by the same service as `dondoc kpi record`."""
    principal = principal_of(request)
    ref = request.path_params["ref"]
    web = _web(request)
    item = await _occurrence(request, ref, principal)
    typed = {k: v for k, v in form.items() if isinstance(v, str) and k != session.CSRF_FIELD}
    kpis = {k.id: k for k in item.kpis}
    chosen = kpis.get(typed.get("kpi", "")) or (
        next(iter(kpis.values())) if len(kpis) == 1 else None)
    today = web.clock().astimezone(HCM).date()
    try:
        if chosen is None:
            raise FormProblem("Hãy chọn chỉ tiêu cần cập nhật.")
        value = required(form, "value", "giá trị đạt được")
        as_of = parse_day(required(form, "as_of", "ngày của số liệu"), "Ngày của số liệu")
        if as_of > today:
            raise FormProblem(f"Ngày của số liệu {day(as_of)} ở tương lai.")
        try:
            parse_kpi_value(value, chosen.unit)
        except ValueError as bad:
            raise FormProblem(f"{str(bad)[:1].upper()}{str(bad)[1:]} ({chosen.indicator}).") \
                from None
        line = await blocking(reporting.record_kpi, AuditLog(web.engine, web.audit_key), ref,
                              value=value, as_of=as_of, principal=principal, kpi_id=chosen.id,
                              today=today)
    except FormProblem as problem:
        return await occurrence_page(request, error=str(problem), typed=typed, status=400)
    except NotAllowed:
        raise HTTPException(403) from None
    except reporting.ReportError as error:  # the occurrence or its KPI changed meanwhile
        return await occurrence_page(request, error=f"Không ghi nhận được: {error}",
                                     typed=typed, status=409)
    request.session["flash"] = (f"Đã ghi nhận {chosen.indicator}: "
                                f"{measure(line['value'], line['unit'])} (số liệu ngày "
                                f"{day(as_of)}).")
    return redirect(request.url_for("occurrence", ref=ref).path)


def routes() -> list[BaseRoute]:
    from dondoc.web import auditor, links

    return [
        *links.routes(),
        *auditor.routes(),
        Route("/", home, methods=["GET"]),
        Route("/viec", unit_work, methods=["GET"]),
        Route("/viec/{ref:path}", show, methods=["GET"], name="occurrence"),
        Route("/quyet-dinh", decisions, methods=["GET"]),
        Route("/tra-cuu", find, methods=["GET"]),
        Route("/hoan-thanh/{ref:path}", complete, methods=["POST"]),
        Route("/gia-han/{ref:path}", extend, methods=["POST"]),
        Route("/tien-do/{ref:path}", checkin, methods=["POST"]),
        Route("/quyet-dinh-gia-han/{ref:path}", decide_extension, methods=["POST"]),
        Route("/chi-tieu/{ref:path}", record_kpi, methods=["POST"]),
    ]
