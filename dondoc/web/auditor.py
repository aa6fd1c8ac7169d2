"""The auditor's bundle as a download: what `dondoc audit bundle` writes (the plan's audit
rows, heads, anchors, archived histories and evidence files, with a manifest of their SHA-256),
zipped, for whoever may audit the plan. `dondoc audit verify --bundle` checks the unzipped
folder anywhere."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from dondoc.services.bundle import BundleError, export_bundle
from dondoc.services.evidence import evidence_dir
from dondoc.services.identity import NotAllowed, require
from dondoc.web.app import blocking, render
from dondoc.web.context import WebContext
from dondoc.web.formatting import HCM
from dondoc.web.pages import principal_of
from plans.access import Target


def zipped(web: WebContext, plan: str, name: str) -> Path:
    """The bundle `name`/ zipped into a new temporary folder (the caller removes it)."""
    scratch = Path(tempfile.mkdtemp(prefix="dondoc-bundle-"))
    try:
        export_bundle(web.engine, plan, scratch / name, evidence_dir(web.settings),
                      now=web.clock().astimezone(HCM))
        archive = scratch / f"{name}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for path in sorted((scratch / name).rglob("*")):
                if path.is_file():
                    out.write(path, path.relative_to(scratch))
        return archive
    except BaseException:
        remove(scratch)
        raise


def remove(scratch: Path) -> None:
    for path in [scratch, *scratch.rglob("*")]:  # the bundle is read-only on purpose
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(scratch, ignore_errors=True)


async def bundle(request: Request) -> Response:
    principal = principal_of(request)
    web: WebContext = request.app.state.web
    plan = request.query_params.get("plan", "").strip()
    try:
        require(principal, "audit", Target(plan=plan or "*"))
    except NotAllowed:
        raise HTTPException(403) from None
    if not plan:
        return render(request, "error.html", 400, title="Chưa chọn kế hoạch",
                      text="Hãy nhập mã kế hoạch ở trang Kiểm tra nhật ký rồi tải gói hồ sơ.")
    name = f"bundle-{plan}-{web.clock().astimezone(HCM):%Y-%m-%d}"
    try:
        archive = await blocking(zipped, web, plan, name)
    except BundleError:
        return render(request, "error.html", 404, title="Không có dữ liệu kiểm toán",
                      text=f"Nhật ký không có dòng nào của kế hoạch “{plan}”. Hãy kiểm tra "
                           "lại mã kế hoạch.")
    return FileResponse(archive, media_type="application/zip", filename=f"{name}.zip",
                        background=BackgroundTask(remove, archive.parent))


def routes() -> list[BaseRoute]:
    return [Route("/kiem-tra/goi-ho-so.zip", bundle, methods=["GET"])]
