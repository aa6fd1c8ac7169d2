"""Every `dondoc` example of the README's shell blocks, run as written against one dev stack
(the Temporal dev server, a worker, the embedded SQLite database) with the seed plans of
definitions/. The synopsis lines (`dondoc complete REF ... [--by U --reason R]`) run with their
placeholders filled from the Quảng Ninh plan; the few that cannot run here say why. An example
added to the README without a step here, or a step whose example left it, fails the test."""

from __future__ import annotations

import asyncio
import glob
import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dondoc.cli import app
from tests.stack import Stack

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parent.parent
PLAN = "quang-ninh-cds-2025"
RUNNING = "dien-bien-phu-nq57-2030"  # a plan still running: its ongoing duties take check-ins
PASSWORD = "mật khẩu văn phòng 2025"


def examples(readme: Path = ROOT / "README.md") -> list[str]:
    """The README's `dondoc` commands: each line of a ```sh block that runs `dondoc`, with its
    continuation lines joined and its comment dropped."""
    found, block, pending = [], False, ""
    for line in readme.read_text("utf-8").splitlines():
        if line.startswith("```"):
            block = line == "```sh" and not block
            continue
        if not block:
            continue
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        command = " ".join(re.sub(r"\s+#.*$", "", line).split())
        if re.search(r"(^|\| |\S=\S+ )dondoc\b", command):
            found.append(command)
    return found


class Readme:
    """Runs the README's examples in the stack, and keeps which ones it ran or set aside."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.env = {k: v for k, v in stack.env.items() if k.startswith("DONDOC_")}
        self.runner = CliRunner()
        self.covered: dict[str, str] = {}

    def run(self, example: str, *, stdin: str | None = None, **env: str) -> Result:
        """The example exactly as the README writes it."""
        self.covered[example] = "run as written"
        return self.invoke(example, stdin=stdin, **env)

    def instance(self, synopsis: str, command: str, *, stdin: str | None = None,
                 **env: str) -> Result:
        """A synopsis line with its placeholders filled: the command is one of the line's
        alternatives, its words up to the first placeholder or option kept."""
        assert any(command == stem or command.startswith(f"{stem} ")
                   for stem in stems(synopsis)), (synopsis, command)
        self.covered.setdefault(synopsis, "synopsis, placeholders filled")
        return self.invoke(command, stdin=stdin, **env)

    def elsewhere(self, example: str, reason: str) -> None:
        """An example this stack cannot run, and why."""
        self.covered[example] = f"not run here: {reason}"

    def invoke(self, command: str, *, stdin: str | None = None, **env: str) -> Result:
        if " | dondoc " in command:  # printf '...' | dondoc ...
            producer, command = command.split(" | ", 1)
            (_, text) = shlex.split(producer)
            stdin = text.replace("\\n", "\n")
        words = shlex.split(command)
        assert words[0] == "dondoc", command
        args = [a for w in words[1:] for a in
                (sorted(glob.glob(w)) if "*" in w and "/" in w else [w])]
        done = self.runner.invoke(app, args, input=stdin, env={**self.env, **env})
        assert done.exit_code == 0, (command, done.exit_code, done.output)
        return done


def stems(synopsis: str) -> list[str]:
    """'dondoc users sync --contacts FILE | list | add' -> dondoc users sync, dondoc users list,
    dondoc users add: each alternative's words before its first placeholder or option."""
    alternatives = synopsis.split(" | ")
    group = " ".join(alternatives[0].split()[:2])
    found = []
    for alternative in alternatives:
        words = []
        for word in alternative.split():
            if word.startswith(("-", "[", '"')) or re.fullmatch(r"[A-Z][A-Z.]*", word):
                break
            words.append(word)
        found.append(" ".join(words) if words[0] == "dondoc" else f"{group} {' '.join(words)}")
    return found


@pytest.fixture
def readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Readme]:
    """A working folder with the repository's definitions/, the dev server, no account yet."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "definitions", work / "definitions")
    # The dev server runs on the real clock, and quiet hours would hold the notices and the
    # digest until 07:00 in Viet Nam: the copies of the plans loaded send at any hour, so that
    # the test runs as it would by day, whatever the hour.
    for plan in (PLAN, RUNNING):
        copy = work / "definitions" / f"{plan}.yaml"
        copy.write_text(copy.read_text("utf-8") + "\npolicy: {quiet_hours: null}\n", "utf-8")
    monkeypatch.chdir(work)
    stack = Stack(tmp_path / "state")
    stack.server.start()
    try:
        asyncio.run(stack.server.wait_ready())
        yield Readme(stack)
    finally:
        stack.stop()


def test_every_readme_example_works_as_written(readme: Readme):
    stack = readme.stack
    written = examples()

    def x(prefix: str) -> str:
        """The README example that is `prefix`, else the one that starts with it."""
        (found,) = [e for e in written if e == prefix] or [
            e for e in written if e.startswith(prefix)]
        return found

    # -- Accounts: the first office account, signed in; the others from the contacts file.
    readme.run(x("dondoc db upgrade"))
    readme.run(x("dondoc users add vanphong@"), stdin=f"{PASSWORD}\n{PASSWORD}\n")
    readme.run(x("dondoc login vanphong@"), stdin=f"{PASSWORD}\n")
    token = Path(readme.env["DONDOC_STATE_DIR"]) / "session.token"
    assert token.stat().st_mode & 0o777 == 0o600
    stack.start_worker()
    readme.elsewhere(x("dondoc worker"), "it is the worker this stack runs (tests/stack.py)")

    # -- Plans.
    readme.run(x("dondoc validate definitions/*.yaml"))
    readme.run(x("dondoc validate definitions/quang-ninh-cds-2025.yaml --contacts"))
    readme.run(x("dondoc show definitions/quang-ninh-cds-2025.yaml --unit HL"))
    shown = json.loads(readme.run(x("dondoc show definitions/quang-ninh-cds-2025.yaml --json"))
                       .stdout)
    q1, pcn_q1, q2 = (f"{PLAN}/IV8-3/DVTT@2025-Q1", f"{PLAN}/IV8-3/PCN@2025-Q1",
                      f"{PLAN}/IV8-3/DVTT@2025-Q2")
    assert {q1, pcn_q1, q2} <= {o["ref"] for o in shown}
    readme.run(x('dondoc parse-deadline "Quý IV/2025'))
    lines = readme.run(x("printf 'Quý I/2025")).stdout.splitlines()  # one JSON line a phrase
    assert [json.loads(line)["kind"] for line in lines] == ["quarter", "ongoing"]
    schema = (ROOT / "definitions" / "plan.schema.json").read_text("utf-8")
    readme.run(x("dondoc schema"))
    assert Path("definitions/plan.schema.json").read_text("utf-8") == schema

    readme.run(x("dondoc users sync --contacts definitions/"))
    assert "ubnd-halong@quangninh.example.invalid" in readme.run(x("dondoc users list")).stdout
    readme.run(x("dondoc users grant giamdoc@"))
    readme.run(x("dondoc users add thanh-tra"))
    auditor = readme.run(x("dondoc users api-key thanh-tra")).stdout.strip()
    readme.run(x("dondoc users disable ubnd-halong@"))
    assert readme.run(x("dondoc whoami")).stdout.startswith(
        "vanphong@syt-quangninh.example.invalid (Chánh Văn phòng Sở Y tế): ")

    # -- Running the plan: the synopsis of `The dondoc command`, placeholders filled.
    loaded = json.loads(readme.instance(
        x("dondoc load definitions/quang-ninh-cds-2025.yaml"),
        "dondoc load definitions/quang-ninh-cds-2025.yaml --contacts "
        "definitions/contacts.example/quang-ninh-cds-2025.yaml --json").stdout)
    assert loaded["started"] == len(shown)
    stack.wait_for(lambda: len(json.loads(readme.instance(
        x("dondoc status"), f"dondoc status --plan {PLAN} --json").stdout)) == len(shown),
        60, "every occurrence listed")
    completed = readme.instance(x("dondoc complete REF"), f"dondoc complete {q1} --evidence "
                                '"số 123/BC-TTYT ngày 28/03/2025" --by DVTT --reason "Bản giấy"')
    assert "hoàn thành" in completed.stdout
    readme.instance(x("dondoc reopen REF"), f'dondoc reopen {q1} --reason "Báo cáo thiếu số liệu"')
    extend, decide, hold = x("dondoc extend REF"), x("dondoc approve-"), x("dondoc pause REF")
    users = x("dondoc users sync --contacts FILE")
    leader = readme.instance(users, "dondoc users api-key giamdoc@syt-quangninh.example.invalid"
                             ).stdout.strip()  # the Steering Committee decides extensions
    readme.instance(extend, f'dondoc extend {pcn_q1} --until 30/05/2025 --reason "Chờ số liệu" '
                            "--by PCN")
    readme.instance(decide, f"dondoc approve-extension {pcn_q1}", DONDOC_API_KEY=leader)
    readme.instance(extend, f'dondoc extend {q2} --until 30/08/2025 --reason "Chờ số liệu" '
                            "--by DVTT")
    readme.instance(decide, f'dondoc deny-extension {q2} --reason "Chưa đủ căn cứ"',
                    DONDOC_API_KEY=leader)
    readme.instance(hold, f'dondoc pause {q2} --reason "Chờ hướng dẫn"')
    readme.instance(hold, f'dondoc resume {q2} --reason "Đã có hướng dẫn"')
    readme.instance(hold, f'dondoc cancel {PLAN}/IV8-2 --reason "Bãi bỏ"')
    readme.run(x("dondoc trigger"))
    readme.instance(x("dondoc kpi record REF"),
                    f"dondoc kpi record {PLAN}/PL1-02 --value 58 --as-of 30/06/2025")
    history = json.loads(readme.instance(x("dondoc history REF"),
                                         f"dondoc history {q1} --json").stdout)
    assert [(r["type"], r["actor"], r["operator"]) for r in history if "operator" in r] == [
        ("completed", "DVTT", "vanphong@syt-quangninh.example.invalid"),
        ("reopened", "VP", "vanphong@syt-quangninh.example.invalid")]
    readme.instance(x("dondoc report --plan P"),
                    f"dondoc report --plan {PLAN} --period 2025-Q1 --by leader --json")

    # The weekly digest, which the Steering Committee keeps as the README's auditor has it.
    readme.instance(x("dondoc schedules"), "dondoc schedules --run-now")
    def anchored() -> list[str]:  # the committee's digest carries the plan's audit anchor
        return [str(n["text"]) for n in stack.outbox() if n["kind"] == "digest"
                and "dondoc-anchor: plan=quang-ninh-cds-2025" in str(n["text"])]

    stack.wait_for(lambda: bool(anchored()), 120, "the Steering Committee's digest")
    Path("tong-hop-tuan-14.eml").write_text(anchored()[0], "utf-8")

    # A check-in reports on an ongoing duty of a plan still running. The 2025 plan's duties
    # have all ended (each occurrence closes once its last quarter is past), so the check-in
    # is on one of the Điện Biên Phủ plan's, open until its last quarter, 2030-Q4; loaded
    # after the digest, which stays the Quảng Ninh plan's alone.
    readme.invoke(f"dondoc load definitions/{RUNNING}.yaml")
    duty = f"{RUNNING}/III1-4"
    checked = readme.instance(x("dondoc checkin REF"), f"dondoc checkin {duty} --note "
                              '"Đã triển khai tại 13/13 trạm" --by PKT --reason "Bản giấy"')
    assert "checkin.received bởi PKT" in readme.invoke(f"dondoc history {duty}").stdout, \
        checked.stdout

    readme.run(x("dondoc audit anchor"))
    readme.run(x("dondoc audit archive"))
    readme.run(x("dondoc audit retain --before 01/01/2016"))
    readme.instance(x("dondoc audit verify [--plan P]"),
                    f"dondoc audit verify --plan {PLAN} --digest tong-hop-tuan-14.eml")
    readme.instance(x("dondoc audit export --plan P"),
                    f"dondoc audit export --plan {PLAN} --format json --output nhat-ky.json")
    assert json.loads(Path("nhat-ky.json").read_text("utf-8"))
    readme.instance(x("dondoc audit bundle --plan P"),
                    f"dondoc audit bundle --plan {PLAN} --output bundle")
    readme.instance(x("dondoc audit verify --bundle DIR"), "dondoc audit verify --bundle bundle")
    db = x("dondoc db upgrade | ")
    readme.instance(db, "dondoc db upgrade")
    readme.instance(db, "dondoc db rekey-routes")  # grant-auditor: see `Access for auditors`
    readme.instance(users, "dondoc users sync --contacts "
                    "definitions/contacts.example/quang-ninh-cds-2025.yaml --plan "
                    "definitions/quang-ninh-cds-2025.yaml")
    readme.instance(users, "dondoc users enable ubnd-halong@quangninh.example.invalid")
    readme.instance(users, "dondoc users revoke giamdoc@syt-quangninh.example.invalid "
                    "--role steering_committee --plan quang-ninh-cds-2025 --party bcd")
    readme.instance(users, "dondoc users password thanh-tra --password-stdin",
                    stdin="mật khẩu thanh tra 2025\n")
    sign = x("dondoc login ACCOUNT")
    readme.instance(sign, "dondoc logout")
    assert not token.exists()
    readme.instance(sign, "dondoc login vanphong@syt-quangninh.example.invalid",
                    stdin=f"{PASSWORD}\n")
    readme.instance(sign, "dondoc whoami")

    # -- The auditor (`Access for auditors`): the block's `export` lines name the production
    # PostgreSQL login; here the auditor uses the API key the office gave them.
    readme.elsewhere(x("DONDOC_DATABASE_URL=postgresql+psycopg://admin@"),
                     "it needs the PostgreSQL server it names; tests/activities/"
                     "test_auditor.py runs it against a throwaway cluster")
    readme.run(x(f"dondoc audit verify --plan {PLAN} --digest"), DONDOC_API_KEY=auditor)
    readme.run(x(f"dondoc audit export --plan {PLAN} --format csv"), DONDOC_API_KEY=auditor)
    assert Path("nhat-ky.csv").read_bytes().startswith(b"\xef\xbb\xbfid,at,plan")
    readme.run(x(f"dondoc report --plan {PLAN} --period 2025 --by leader"),
               DONDOC_API_KEY=auditor)
    audited = readme.run(x(f"dondoc history {PLAN}/IV8-3/DVTT@2025-Q1"), DONDOC_API_KEY=auditor)
    assert "completed bởi DVTT" in audited.stdout
    readme.run(x(f"dondoc audit bundle --plan {PLAN} --output"), DONDOC_API_KEY=auditor)
    elsewhere = str(Path("elsewhere").absolute())  # no database, Temporal or account
    readme.run(x("dondoc audit verify --bundle bundle-"), DONDOC_STATE_DIR=elsewhere,
               DONDOC_API_KEY="", DONDOC_TEMPORAL_ADDRESS="127.0.0.1:9")
    readme.elsewhere(x("dondoc dev"), "it runs its own dev server, worker and web app in the "
                     "foreground until Ctrl-C (scripts/demo); this stack runs the same parts")

    assert sorted(readme.covered) == sorted(written), set(written) ^ set(readme.covered)
