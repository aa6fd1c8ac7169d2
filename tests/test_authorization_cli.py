"""Every operation × every role through the `dondoc` command, against the Temporal dev server
and a worker: what plans/access.py allows succeeds, everything else is refused in one line
with its code and changes nothing. The expectations are the plan's rules of
tests/plans/test_access.py (RULES), not the production table."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from dondoc.cli import app
from tests.plans.test_access import RULES
from tests.stack import Stack

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.slow
CODES = ("[Forbidden]", "[NotOnBehalf]", "[NoReason]", "[OwnRequest]")

# role (as tests/plans/test_access.py names it) -> (account, --by, --reason)
ROLES: dict[str, tuple[str, str | None, str | None]] = {
    "head of the lead unit HL": ("hl", None, None),
    "head of the coordinating unit CP": ("cp", None, None),
    "head of another unit BC": ("bc", None, None),
    "the responsible leader pgd": ("pgd", None, None),
    "another leader gd": ("gd", None, None),
    "a Steering Committee member": ("bcd", None, None),
    "the office of kh": ("vp", None, None),
    "the office of every plan": ("admin", None, None),
    "an auditor": ("thanhtra", None, None),
    "an account with no role": ("nobody", None, None),
    "the office on behalf of HL, with a reason": ("vp", "HL", "HL gửi bản giấy"),
    "the office on behalf of HL, no reason": ("vp", "HL", None),
    "the head of CP on behalf of HL": ("cp", "HL", "x"),
}
DIRECT = [r for r, (_, by, _) in ROLES.items() if by is None]
ON_BEHALF = [r for r, (_, by, reason) in ROLES.items() if by is not None and reason is not None]
EVERY = [*DIRECT, *ON_BEHALF, "the office on behalf of HL, no reason"]
GRANTS = [
    ("hl", "unit_head", "kh", "HL"), ("cp", "unit_head", "kh", "CP"),
    ("bc", "unit_head", "kh", "BC"), ("pgd", "leader", "kh", "pgd"), ("gd", "leader", "kh", "gd"),
    ("bcd", "steering_committee", "kh", "bcd"), ("vp", "office", "kh", "VP"),
    ("thanhtra", "auditor", "*", None), ("nobody", None, None, None),
]


def plan(today: datetime, version: int = 0) -> str:
    """The test plan; each `version` words task A differently (a new version to amend with)."""
    far = f"{today.year + 1}-11-30"
    tasks = [
        ("A", "trước ngày 30/11", "lead: [HL]"),
        ("T1", "trước ngày 30/11", "lead: [HL]\n    coordinating: [CP]"),
        ("T2", "trước ngày 30/11", "lead: [HL]"),
        ("T3", "Thường xuyên", "lead: [HL]"),
        ("T4", "trước ngày 30/11", "lead: [HL]\n    kpis: [{id: k, indicator: Tỷ lệ hồ sơ "
                                   "điện tử, unit: '%', target: 65}]"),
        ("T5", "trước ngày 30/11", "lead: [HL]"),
        *((f"C{i}", "trước ngày 30/11", "lead: [HL]") for i in range(len(EVERY))),
        *((f"E{i}", "Khi có hướng dẫn", f"lead: [HL]\n    when: e{i}") for i in range(len(DIRECT))),
    ]
    body = "\n".join(f"""\
  - id: {task}
    title: Nhiệm vụ {task}{f' (bản {version})' if task == 'A' else ''}
    source: Phụ lục I
    {who}
    leader: pgd
    deadline: {{text: "{text}", rule: {{kind: before_date, date: {far}}}}}""" if "30/11" in text
                     else f"""\
  - id: {task}
    title: Nhiệm vụ {task}{f' (bản {version})' if task == 'A' else ''}
    source: Phụ lục I
    {who}
    leader: pgd
    deadline: "{text}\"""" for task, text, who in tasks)
    events = "\n".join(f"  - {{id: e{i}, name: Sự kiện {i}}}" for i in range(len(DIRECT)))
    return f"""\
plan:
  id: kh
  title: Kế hoạch phân quyền
  issuer: Sở Y tế
  issued: {today:%d/%m/%Y}
  year: {today.year}
  until: {today.year + 1}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Thành phố Hạ Long, kind: locality}}
  - {{id: CP, name: Thành phố Cẩm Phả, kind: locality}}
  - {{id: BC, name: Huyện Ba Chẽ, kind: locality}}
people:
  - {{id: gd, name: Nguyễn Văn A, title: Giám đốc Sở}}
  - {{id: pgd, name: Trần Thị B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: gd}}
events:
{events}
tasks:
{body}
"""


class Cli:
    """The `dondoc` command in this process (the same code as the console script), with one
    API key per account."""

    def __init__(self, stack: Stack) -> None:
        self.env = {k: v for k, v in stack.env.items() if k.startswith("DONDOC_")}
        self.keys: dict[str, str] = {"admin": stack.env["DONDOC_API_KEY"]}
        self.runner = CliRunner()

    def __call__(self, account: str, *args: str) -> Result:
        return self.runner.invoke(app, list(args),
                                  env={**self.env, "DONDOC_API_KEY": self.keys[account]})

    def ok(self, account: str, *args: str) -> Result:
        done = self(account, *args)
        assert done.exit_code == 0, (account, args, done.output)
        return done

    def act(self, role: str, *args: str, why: str | None = None) -> Result:
        """As the role's account; on behalf of its unit with its reason when it has them.
        `why`: the command's own required --reason (the role's reason when it has one)."""
        account, by, reason = ROLES[role]
        extra = ["--by", by] if by else []
        if why is not None:
            extra += ["--reason", reason or why]
        elif reason:
            extra += ["--reason", reason]
        return self(account, *args, *extra)


def check(op: str, role: str, done: Result, allowed: set[str] | None = None) -> bool:
    """The outcome the plan's rules give (or `allowed`); True when the operation went through."""
    if role in (RULES[op] if allowed is None else allowed):
        assert done.exit_code == 0, (op, role, done.output)
        return True
    line = done.output.strip()
    assert done.exit_code == 1, (op, role, done.output)
    assert line.startswith("refused: ") and line.endswith(CODES), (op, role, line)
    assert "\n" not in line and "Traceback" not in done.output
    return False


@pytest.fixture
def cli(stack: Stack) -> Iterator[Cli]:
    runner = Cli(stack)
    for account, role, plan_id, party in GRANTS:
        runner.ok("admin", "users", "add", account, "--name", account)
        if role:
            runner.ok("admin", "users", "grant", account, "--role", role, "--plan", plan_id,
                      *(["--party", party] if party else []))
        runner.keys[account] = runner.ok("admin", "users", "api-key", account).stdout.strip()
    stack.start_worker()
    yield runner


def test_every_operation_by_every_role(cli: Cli, tmp_path: Path):
    today = datetime.now(HCM)
    day = f"{today:%d/%m/%Y}"
    plan_file = tmp_path / "kh.yaml"
    plan_file.write_text(plan(today), "utf-8")
    cli.ok("admin", "load", str(plan_file))
    later = (f"{datetime(today.year + 1, 12, 1) + timedelta(days=7 * n):%d/%m/%Y}"
             for n in itertools.count())
    proof = ["--evidence", f"số 12/BC-UBND ngày {day}"]
    with_reason = DIRECT + ON_BEHALF  # commands whose --reason is required

    for role in EVERY:
        if check("complete", role, cli.act(role, "complete", "kh/T1", *proof)):
            cli.ok("admin", "reopen", "kh/T1", "--reason", "Trả lại để kiểm tra")
    cli.ok("hl", "complete", "kh/T1", *proof)
    for role in with_reason:
        if check("reopen", role, cli.act(role, "reopen", "kh/T1", why="Thiếu số liệu")):
            cli.ok("hl", "complete", "kh/T1", *proof)

    for role in with_reason:
        if check("request_extension", role, cli.act(role, "extend", "kh/T2", "--until",
                                                    next(later), why="Chờ số liệu")):
            cli.ok("bcd", "deny-extension", "kh/T2", "--reason", "Chưa đủ căn cứ")
    cli.ok("hl", "extend", "kh/T2", "--until", next(later), "--reason", "Chờ số liệu")
    for role in DIRECT:
        if check("approve_extension", role, cli.act(role, "approve-extension", "kh/T2")):
            cli.ok("hl", "extend", "kh/T2", "--until", next(later), "--reason", "Chờ số liệu")
    for role in with_reason:
        if check("deny_extension", role, cli.act(role, "deny-extension", "kh/T2",
                                                 why="Không đồng ý")):
            cli.ok("hl", "extend", "kh/T2", "--until", next(later), "--reason", "Chờ số liệu")

    for role in EVERY:
        check("checkin", role, cli.act(role, "checkin", "kh/T3", "--note", "Đã triển khai"))
        check("record_kpi", role, cli.act(role, "kpi", "record", "kh/T4", "--value", "58",
                                          "--as-of", day))

    for role in with_reason:
        if check("pause", role, cli.act(role, "pause", "kh/T5", why="Chờ hướng dẫn")):
            cli.ok("admin", "resume", "kh/T5", "--reason", "Tiếp tục")
    cli.ok("admin", "pause", "kh/T5", "--reason", "Chờ hướng dẫn")
    for role in with_reason:
        if check("resume", role, cli.act(role, "resume", "kh/T5", why="Đã có hướng dẫn")):
            cli.ok("admin", "pause", "kh/T5", "--reason", "Chờ hướng dẫn")
    for i, role in enumerate(with_reason):
        check("cancel", role, cli.act(role, "cancel", f"kh/C{i}", why="Bãi bỏ"))

    for i, role in enumerate(DIRECT):  # the commands that take no --by
        check("trigger", role, cli.act(role, "trigger", "kh", f"e{i}", "--at", day))
        check("load", role, cli.act(role, "load", str(plan_file)))
        check("read", role, cli.act(role, "history", "kh/T1"))
        check("report", role, cli.act(role, "report", "--plan", "kh"))
        check("audit", role, cli.act(role, "audit", "export", "--plan", "kh", "--format",
                                     "json"))
        check("manage_users", role, cli.act(role, "users", "list"))
        # `audit archive` archives every plan's closed runs at once: the office of every plan.
        check("archive", role, cli.act(role, "audit", "archive"), {"the office of every plan"})
    for version, role in enumerate(DIRECT, start=1):  # a new version amends what runs
        plan_file.write_text(plan(today, version), "utf-8")
        check("amend", role, cli.act(role, "load", str(plan_file)))
    # `status` lists what each account may read: the head of the coordinating unit CP sees
    # the one task CP coordinates, the head of another unit nothing.
    listed = {role: {r["ref"] for r in json.loads(cli.act(role, "status", "--plan", "kh",
                                                          "--json").stdout)} for role in DIRECT}
    for role in DIRECT:
        assert ("kh/T1" in listed[role]) == (role in RULES["read"]), (role, listed[role])
    assert listed["head of the coordinating unit CP"] == {"kh/T1"}
    assert listed["head of another unit BC"] == set()

    # The log names who did each operation and for whom.
    rows = json.loads(cli.ok("thanhtra", "audit", "export", "--plan", "kh", "--format",
                             "json").stdout)
    completed = {(r["actor"], r["details"]["operator"], r["details"].get("acted_for"))
                 for r in rows if r["type"] == "completed"}
    assert completed == {("HL", "hl", None), ("HL", "vp", "HL")}
    assert {r["details"]["operator"] for r in rows if r["type"] == "kpi.recorded"} == {
        "hl", "vp"}
    amended = {(r["ref"], r["actor"], r["details"]["operator"]) for r in rows
               if r["type"] == "amended"}
    assert amended == {("kh/A", "VP", "vp"), ("kh/A", "VP", "admin")}
    # Every operation's row names the account that did it, in the export and in `history`.
    operations = {"plan.loaded", "amended", "completed", "reopened", "extension.requested",
                  "extension.approved", "extension.denied", "checkin.received", "kpi.recorded",
                  "paused", "resumed", "cancelled", "triggered"}
    accounts = {account for account, _, _ in ROLES.values()} | {"admin"}
    done = [r for r in rows if r["type"] in operations]
    assert {r["type"] for r in done} == operations
    assert [r for r in done if r["details"].get("operator") not in accounts] == []
    for ref in ("kh/T1", "kh/T2", "kh/T5", f"kh/E{DIRECT.index('the office of kh')}"):
        timeline = json.loads(cli.ok("thanhtra", "history", ref, "--json").stdout)
        done = [r for r in timeline if r["type"] in operations]
        assert done and [r for r in done if r.get("operator") not in accounts] == [], ref


def test_evidence_with_its_file_and_a_swapped_file_found(cli: Cli, tmp_path: Path):
    today = datetime.now(HCM)
    plan_file = tmp_path / "kh.yaml"
    plan_file.write_text(plan(today), "utf-8")
    cli.ok("admin", "load", str(plan_file))
    tomorrow = today + timedelta(days=1)
    refusals = [cli("hl", "complete", "kh/T1", "--evidence", "đã xong").output.strip(),
                cli("hl", "complete", "kh/T1", "--evidence",
                    f"số 12/BC-UBND ngày {tomorrow:%d/%m/%Y}").output.strip(),
                cli("hl", "complete", "kh/T1", "--evidence", "12/BC-UBND",
                    "--evidence-date", "01/01/2019").output.strip()]
    assert [line.rsplit(" ", 1)[-1] for line in refusals] == [
        "[BadDocumentNumber]", "[FutureEvidence]", "[BackdatedEvidence]"]
    assert refusals[0].startswith("refused: 'đã xong' không phải số ký hiệu văn bản")
    program = tmp_path / "bao-cao.pdf"
    program.write_bytes(b"MZ\x90\x00 not a report")
    assert cli("hl", "complete", "kh/T1", "--file", str(program)).output.strip().endswith(
        "[FileType]")
    report = tmp_path / "bao-cao-that.pdf"
    report.write_bytes(b"%PDF-1.7\nBao cao ket qua\n%%EOF")
    cli.ok("hl", "complete", "kh/T1", "--evidence", "Báo cáo kết quả thực hiện", "--file",
           str(report))
    history = json.loads(cli.ok("hl", "history", "kh/T1", "--json").stdout)
    evidence = next(r for r in history if r["type"] == "completed")["evidence"]
    assert (evidence["file_name"], evidence["file_kind"], evidence["file_size"]) == (
        "bao-cao-that.pdf", "pdf", report.stat().st_size)
    stored = Path(cli.env["DONDOC_STATE_DIR"]) / "evidence" / evidence["file_sha256"][:2] / \
        evidence["file_sha256"]
    assert stored.read_bytes() == report.read_bytes()
    assert [p.name for p in stored.parent.parent.rglob("*") if p.is_file()] == [stored.name]
    cli.ok("thanhtra", "audit", "verify", "--plan", "kh", "--no-temporal")
    # The auditor takes a read-only bundle away and checks it with no database and no account.
    bundle = tmp_path / "bundle-kh"
    assert cli("hl", "audit", "bundle", "--plan", "kh", "--output", str(bundle)
               ).output.strip().endswith("[Forbidden]")
    assert "read-only" in cli.ok("thanhtra", "audit", "bundle", "--plan", "kh", "--output",
                                 str(bundle)).output
    offline = {"DONDOC_STATE_DIR": str(tmp_path / "elsewhere"), "DONDOC_API_KEY": ""}
    checked = cli.runner.invoke(app, ["audit", "verify", "--bundle", str(bundle)], env=offline)
    assert checked.exit_code == 0 and checked.output.startswith("bundle intact: "), checked.output
    stored.chmod(0o644)
    stored.write_bytes(b"%PDF-1.7\nmot bao cao khac\n%%EOF")
    swapped = cli("thanhtra", "audit", "verify", "--plan", "kh", "--no-temporal")
    assert swapped.exit_code == 1
    assert "[evidence] kh/T1: evidence file" in swapped.output and "was changed" in swapped.output

