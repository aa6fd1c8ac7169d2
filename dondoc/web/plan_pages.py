"""The office's pages of its plans: upload a new version of a plan file, see its problems (each
with its line and the closest valid choice) or the exact difference against the loaded version,
apply it; trigger an event; pause, resume or cancel an occurrence with a reason. Each route
parses, calls the service the CLI calls (load, operate), which applies the authorization
table, and renders; every form is POST-redirect-GET with the session's CSRF token."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.files import Loaded, check_plan_text, decode_text
from dondoc.services import load as loading
from dondoc.services import operate as operating
from dondoc.services import work as working
from dondoc.services.identity import NotAllowed
from dondoc.services.read import UnknownRef, full_record
from dondoc.web import session
from dondoc.web.app import blocking, form_action, redirect, render
from dondoc.web.context import WebContext
from dondoc.web.formatting import HCM, day, state_words
from dondoc.web.pages import FormProblem, parse_day, principal_of, required
from plans.access import Principal, Target, decide
from plans.difference import FIELD_WORDS, describe
from plans.validation import Problem
from storage.plans import LoadedOccurrences
from storage.standing import Standings
from workflows.messages import ActorReason, Status
from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import loaded_plans, plan_record

PLAN_FILE = re.compile(r".+\.ya?ml", re.IGNORECASE)
VERSION = re.compile(r"[0-9a-f]{64}")
OPERATIONS = {  # form value -> (the workflow's Update, what the page says when it is done)
    "pause": (OccurrenceWorkflow.pause, "Đã tạm dừng"),
    "resume": (OccurrenceWorkflow.resume, "Đã cho tiếp tục"),
    "cancel": (OccurrenceWorkflow.cancel, "Đã hủy"),
}
FLASH = "office_flash"
EXPIRED = ("Phiên làm việc đã hết hạn trước khi biểu mẫu được gửi, nên chưa có gì được ghi "
           "nhận. Nội dung đồng chí đã nhập vẫn còn dưới đây: hãy kiểm tra và gửi lại.")


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def office_principal(request: Request, plan: str | None = None) -> Principal:
    """The signed-in office, of `plan` when given; anyone else sees the 403 page."""
    principal = principal_of(request)
    allowed = decide(principal, "load", Target(plan=plan)).allowed if plan \
        else principal.is_office()
    if not allowed:
        raise HTTPException(403)
    return principal


def flash(request: Request, text: str, kind: str = "success") -> None:
    request.session[FLASH] = [kind, text]


def kept(web: WebContext) -> LoadedOccurrences:
    """Where `load` keeps each plan's occurrences, as the CLI's `load` does."""
    return LoadedOccurrences(web.engine)


def uploads(web: WebContext) -> Path:
    return web.settings.state_dir / "uploads" / "plans"


def prune_uploads(folder: Path, *, before: float) -> None:
    """Forget uploads older than a session: a preview is only applied from the session that
    uploaded it, and an applied version lives on in its plan's record."""
    for old in folder.glob("*.yaml"):
        with contextlib.suppress(FileNotFoundError):  # another request pruned it meanwhile
            if old.stat().st_mtime < before:
                old.unlink()


# -- the plans, and a new version's upload ------------------------------------------------------


async def plans_page(request: Request, *, problems: list[Problem] | None = None,
                     text: str = "", error: str | None = None, status: int = 200) -> Response:
    principal = office_principal(request)
    if session.take_draft(request.session, {"/ke-hoach/tai-len"}) is not None and not error:
        error = "Phiên làm việc đã hết hạn trước khi tệp được gửi, nên chưa có gì được kiểm " \
            "tra hay áp dụng. Hãy chọn lại tệp và gửi."
    client = await _web(request).temporal()
    records = [await plan_record(client, plan) for plan in await loaded_plans(client)]
    mine = [r for r in records if r is not None
            and decide(principal, "load", Target(plan=r.plan_id)).allowed]
    lines = text.split("\n")
    shown = [(p, lines[p.position.line - 1] if 0 < p.position.line <= len(lines) else "")
             for p in problems or []]
    return render(request, "plans.html", status, plans=mine, problems=shown, error=error,
                  flash=request.session.pop(FLASH, None),
                  limit_kib=_web(request).settings.plan_upload_max_bytes // 1024)


async def plans(request: Request) -> Response:
    return await plans_page(request)


@form_action
async def upload(request: Request, form: FormData) -> Response:
    """A new plan file: its problems on this page, or (valid) its difference on the next."""
    office_principal(request)
    web = _web(request)
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return await plans_page(request, error="Hãy chọn tệp kế hoạch (.yaml) để tải lên.",
                                status=400)
    name = Path(sent.filename).name
    if not PLAN_FILE.fullmatch(name):
        return await plans_page(request, status=415, error=(
            f"Tệp “{name}” không phải tệp kế hoạch: chỉ nhận tệp YAML (.yaml hoặc .yml)."))
    limit = web.settings.plan_upload_max_bytes
    data = await sent.read(limit + 1)
    if len(data) > limit:
        return await plans_page(request, status=413, error=(
            f"Tệp “{name}” lớn hơn {limit // 1024} KiB, mức tối đa cho một kế hoạch: hãy tách "
            "kế hoạch thành nhiều tệp."))
    text = decode_text(data, name)
    if isinstance(text, Problem):
        return await plans_page(request, problems=[text], status=400)
    loaded, problems = await blocking(check_plan_text, text, name,
                                      calendar_file=web.settings.calendar_file)
    if loaded is None:
        return await plans_page(request, problems=problems, text=text, status=400)
    version = hashlib.sha256(text.encode()).hexdigest()
    folder = uploads(web)
    folder.mkdir(parents=True, exist_ok=True)
    await blocking(prune_uploads, folder,
                   before=(web.clock() - web.settings.session_absolute).timestamp())
    kept = folder / f"{version}.yaml"
    if not kept.exists():
        temporary = folder / f".{version}.tmp"
        temporary.write_text(text, "utf-8")
        temporary.replace(kept)  # a preview never reads half a file
    return redirect(f"/ke-hoach/ban-moi/{version}?ten={quote(name)}")


async def _kept(request: Request) -> tuple[Loaded, list[Problem], str]:
    version = request.path_params["version"]
    path = uploads(_web(request)) / f"{version}.yaml"
    if not VERSION.fullmatch(version) or not path.exists():
        raise HTTPException(404)
    name = request.query_params.get("ten") or f"{version[:12]}.yaml"
    loaded, problems = await blocking(check_plan_text, path.read_text("utf-8"), name,
                                      calendar_file=_web(request).settings.calendar_file)
    if loaded is None:  # the calendar changed since the upload: show its problems again
        raise HTTPException(404)
    return loaded, problems, version


async def preview(request: Request) -> Response:
    principal = office_principal(request)
    loaded, problems, version = await _kept(request)
    try:
        diff = await loading.preview(await _web(request).temporal(), loaded, principal=principal,
                                     kept=kept(_web(request)))
    except NotAllowed:
        raise HTTPException(403) from None
    names = {u.id: u.name for u in loaded.plan.units} | \
        {p.id: p.display for p in loaded.plan.people}
    return render(request, "plan_preview.html", diff=diff, warnings=problems, names=names,
                  version=version, describe=describe, fields=FIELD_WORDS,
                  named=lambda ids: ", ".join(names.get(i, i) for i in ids))


@form_action
async def apply(request: Request, form: FormData) -> Response:
    """Load the previewed version with the same service as `dondoc load`; a second post of the
    same version changes nothing."""
    principal = office_principal(request)
    loaded, _, version = await _kept(request)
    plan = loaded.plan.plan.id
    web = _web(request)
    client = await web.temporal()
    record = await plan_record(client, plan)
    if record is not None and record.file_sha256 == version:
        flash(request, "Phiên bản này đã được áp dụng trước đó; không có gì thay đổi.")
        return redirect(f"/ke-hoach/{plan}")
    try:
        summary = await loading.load(client, loaded, task_queue=web.settings.task_queue,
                                     now=web.clock(), principal=principal, kept=kept(web))
    except NotAllowed:
        raise HTTPException(403) from None
    flash(request, f"Đã áp dụng phiên bản mới của kế hoạch: {summary.count('started')} nhiệm vụ "
          f"bắt đầu theo dõi, {summary.count('amended')} được cập nhật, "
          f"{summary.count('cancelled')} bị hủy, "
          f"{summary.count('unchanged') + summary.count('exists')} giữ nguyên.")
    return redirect(f"/ke-hoach/{plan}")


# -- one plan: its occurrences, events and operations -------------------------------------------


async def plan_page(request: Request, *, error: str | None = None,
                    typed: dict[str, str] | None = None, status: int = 200) -> Response:
    plan = request.path_params["plan"]
    principal = office_principal(request, plan)
    draft = session.take_draft(request.session, {f"/ke-hoach/{plan}/thao-tac",
                                                 f"/ke-hoach/{plan}/su-kien"})
    if draft is not None and typed is None:
        typed, error = draft, EXPIRED
    client = await _web(request).temporal()
    record = await full_record(client, plan, kept(_web(request)))
    if record is None:
        raise HTTPException(404)
    items = [w for w in await working.search(client, principal, f"{plan}/", limit=20_000,
                                             standings=Standings(_web(request).engine))
             if w.plan_id == plan]
    waiting = {w.ref: w.title for w in items if w.state == "waiting_trigger"}
    events: dict[str, list[str]] = {}  # event -> the titles of what waits for it
    for ref, event in sorted(record.waits_for.items()):
        if ref in waiting:
            events.setdefault(event, []).append(waiting[ref])
    return render(request, "plan.html", status, record=record, items=items, events=events,
                  error=error, typed=typed or {}, flash=request.session.pop(FLASH, None),
                  today=day(_web(request).clock()),
                  limit_kib=_web(request).settings.plan_upload_max_bytes // 1024)


async def show_plan(request: Request) -> Response:
    return await plan_page(request)


def _typed(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@form_action
async def operate(request: Request, form: FormData) -> Response:
    """Pause, resume or cancel one occurrence of the plan, with a reason."""
    plan = request.path_params["plan"]
    principal = office_principal(request, plan)
    ref, action = str(form.get("ref") or ""), str(form.get("action") or "")
    if not ref.startswith(f"{plan}/") or action not in OPERATIONS:
        raise HTTPException(400)
    update, done = OPERATIONS[action]
    try:
        reason = required(form, "reason", "lý do")
        status = await operating.operate(await _web(request).temporal(), ref, update,
                                         ActorReason(by="", reason=reason, principal=principal))
    except FormProblem as problem:
        return await plan_page(request, error=str(problem), typed=_typed(form), status=400)
    except UnknownRef:
        raise HTTPException(404) from None
    except operating.Refused as refused:
        if refused.kind in ("Forbidden", "NotOnBehalf", "NoIdentity"):
            raise HTTPException(403) from None
        if refused.kind == "AlreadyDone":
            flash(request, "Việc này đã được ghi nhận trước đó; không có gì thay đổi.")
            return redirect(f"/ke-hoach/{plan}")
        return await plan_page(request, error=f"Không thực hiện được: {refused}",
                               typed=_typed(form), status=409)
    flash(request, f"{done}: {status.title} — nay {state_words(status.state).lower()}. "
          f"Lý do: {reason}")
    return redirect(f"/ke-hoach/{plan}")


@form_action
async def trigger(request: Request, form: FormData) -> Response:
    """The event happened: every occurrence waiting for it starts counting its deadline."""
    plan = request.path_params["plan"]
    principal = office_principal(request, plan)
    web = _web(request)
    event = str(form.get("event") or "")
    try:
        at = parse_day(required(form, "at", "ngày xảy ra sự kiện"), "Ngày xảy ra")
        if at > web.clock().astimezone(HCM).date():
            raise FormProblem(f"Ngày xảy ra: {day(at)} là ngày trong tương lai.")
        client = await web.temporal()
        results = await operating.trigger(client, plan, event, at=at, principal=principal,
                                          kept=kept(web))
    except FormProblem as problem:
        return await plan_page(request, error=str(problem), typed=_typed(form), status=400)
    except NotAllowed:
        raise HTTPException(403) from None
    started = [(ref, s) for ref, s in results if isinstance(s, Status)]
    if not results:
        flash(request, f"Không có nhiệm vụ nào chờ sự kiện “{event}”.", "problem")
    elif not started:
        flash(request, f"Sự kiện “{event}” đã được ghi nhận trước đó; không có gì thay đổi.")
    else:
        dues = "; ".join(f"{s.title}: hạn {day(s.due)}" for _, s in started if s.due)
        flash(request, f"Đã ghi nhận sự kiện “{event}” ngày {day(at)}: {len(started)} nhiệm vụ "
              f"bắt đầu tính hạn ({dues}).")
    return redirect(f"/ke-hoach/{plan}")


def routes() -> list[BaseRoute]:
    return [
        Route("/ke-hoach", plans, methods=["GET"]),
        Route("/ke-hoach/tai-len", upload, methods=["POST"]),
        Route("/ke-hoach/ban-moi/{version}", preview, methods=["GET"]),
        Route("/ke-hoach/ap-dung/{version}", apply, methods=["POST"]),
        Route("/ke-hoach/{plan}", show_plan, methods=["GET"]),
        Route("/ke-hoach/{plan}/thao-tac", operate, methods=["POST"]),
        Route("/ke-hoach/{plan}/su-kien", trigger, methods=["POST"]),
    ]
