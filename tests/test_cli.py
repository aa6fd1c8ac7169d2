"""The `dondoc` command as a clerk types it, on the real seed plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DONDOC = str(Path(sys.executable).parent / "dondoc")


def dondoc(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DONDOC, *args], cwd=ROOT, capture_output=True, text=True, input=stdin,
                          timeout=120, env={**os.environ, **(env or {})})


def show(plan: str) -> list[dict]:
    done = dondoc("show", f"definitions/{plan}.yaml", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_definition_validates():
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "definitions").glob("*.yaml"))
    done = dondoc("validate", *files)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == len(files) and done.stderr == ""


@pytest.mark.parametrize("plan", ["quang-ninh-cds-2025", "vinh-phuc-cds-2025",
                                  "dong-nai-nq57-2025-2030", "dien-bien-phu-nq57-2030",
                                  "vinh-long-cntt-2025"])
def test_each_plan_validates_with_its_example_contacts(plan: str):
    done = dondoc("validate", f"definitions/{plan}.yaml", "--contacts",
                  f"definitions/contacts.example/{plan}.yaml")
    assert (done.returncode, done.stderr) == (0, "")
    contacts = (ROOT / f"definitions/contacts.example/{plan}.yaml").read_text("utf-8")
    assert "@" in contacts and all(
        address.endswith(".example.invalid") for address in
        (w.split("@")[1].strip(",}") for w in contacts.split() if "@" in w))


def test_quang_ninh_quarterly_reports_fall_due_on_the_plans_days():
    dues = defaultdict(list)
    for row in show("quang-ninh-cds-2025"):
        if "trước ngày 30 của tháng 03, 06, 09" in row["deadline_text"]:
            dues[row["unit"]].append(row["due"][:10])
    assert dues and all(days == ["2025-03-30", "2025-06-30", "2025-09-30", "2025-12-15"]
                        for days in dues.values())


def test_quang_ninh_localities_each_have_their_own_targets():
    rows = [r for r in show("quang-ninh-cds-2025") if r["kpis"] and r["unit"] in ("HL", "CT")]
    telehealth = {r["unit"]: r["kpis"][0] for r in rows
                  if "từ xa" in r["title"] and r["kpis"][0].get("target")}
    assert float(telehealth["HL"]["target"]) == 300 and float(telehealth["CT"]["target"]) == 30


def test_dong_nai_x_marks_expand_to_one_occurrence_per_year():
    rows = [r for r in show("dong-nai-nq57-2025-2030") if r["task"] == "PL2-I-02"]
    assert [(r["period"], r["waits_for"] is not None) for r in rows] == [
        (str(y), True) for y in range(2025, 2031)]
    yearly = [r["due"][:10] for r in show("dong-nai-nq57-2025-2030")
              if "10/12" in r["deadline_text"] and r["kind"] == "deadline"]
    assert yearly == [f"{y}-12-10" for y in range(2025, 2031)]


def test_dien_bien_phu_milestones_carry_their_dates():
    dues = {r["due"][:10] for r in show("dien-bien-phu-nq57-2030") if r["due"]}
    assert {"2025-09-30", "2026-12-31", "2028-12-31", "2030-12-31"} <= dues


def test_parse_deadline_reads_standard_input_one_object_per_line():
    done = dondoc("parse-deadline", "-", "--year", "2025", "--json",
                  stdin="Quý I/2025\nThường xuyên\n\ntrước ngày 31/02/2025\n")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["text"], r["kind"], r["due"]) for r in rows] == [
        ("Quý I/2025", "quarter", ["2025-03-31"]), ("Thường xuyên", "ongoing", []),
        ("", "unknown", []), ("trước ngày 31/02/2025", "unknown", [])]


def test_parse_deadline_answers_every_line_of_a_batch():
    lines = ["Quý I/2025", "İ", "29-21/9", "31/12/9999", "06  tháng/lần", "x" * 5000,
             "a\u2028b", "hằng quý hoặc đột xuất khi có yêu cầu", "Quý II/2025"]
    done = dondoc("parse-deadline", "-", "--year", "2025", "--json", stdin="\n".join(lines) + "\n")
    # every line answered, in order; the year 9999 refused with its reason, so the exit is 1
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "1 of 9 phrases refused" in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["text"] for r in rows] == lines  # one answer per "\n"-separated line, in order
    assert rows[3] == {"text": "31/12/9999", "error": "year 9999 is outside 1900-2200"}
    assert [r.get("kind") for r in rows] == ["quarter", "unknown", "unknown", None, "recurring",
                                             "unknown", "unknown", "recurring", "quarter"]
    assert rows[4]["due"] == ["2025-06-30", "2025-12-31"]  # a double space is still half-yearly
    assert rows[7]["relation"] == "or_ad_hoc"


@pytest.mark.parametrize("year", ["0", "-1", "10000"])
def test_parse_deadline_refuses_an_absurd_year(year: str):
    done = dondoc("parse-deadline", "Quý I", f"--year={year}", "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr and not done.stdout
    assert f"--year {year} is not a plan's year" in done.stderr


def test_a_bad_plan_file_gets_one_line_per_problem_and_exit_1(tmp_path: Path):
    bad = tmp_path / "kh.yaml"
    bad.write_text((ROOT / "definitions/quang-ninh-cds-2025.yaml").read_text("utf-8")
                   .replace("lead: [VP]", "lead: [VPP]", 1), "utf-8")
    done = dondoc("validate", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "unknown unit 'VPP' (did you mean 'VP'?)" in done.stderr.splitlines()[0]


def test_no_identity_is_one_line_and_exit_1(tmp_path: Path):
    env = {"DONDOC_STATE_DIR": str(tmp_path), "DONDOC_API_KEY": ""}
    assert dondoc("db", "upgrade", env=env).returncode == 0
    done = dondoc("status", env=env)
    assert (done.returncode, done.stderr) == (1, (
        "refused: chưa đăng nhập: chạy `dondoc login TÀI_KHOẢN` hoặc đặt DONDOC_API_KEY "
        "[NoIdentity]\n"))
    forged = dondoc("status", env={**env, "DONDOC_API_KEY": "dd_forged"})
    assert (forged.returncode, forged.stderr) == (1, (
        "refused: khóa đăng nhập không hợp lệ; chạy `dondoc login` [InvalidToken]\n"))


def test_an_unreachable_temporal_server_is_one_line_and_exit_1(tmp_path: Path):
    from tests.stack import bootstrap_office

    env = {**os.environ, "DONDOC_STATE_DIR": str(tmp_path)}
    env["DONDOC_API_KEY"] = bootstrap_office(env)
    done = dondoc("status", env={**env, "DONDOC_TEMPORAL_ADDRESS": "127.0.0.1:9"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("cannot reach Temporal at 127.0.0.1:9")
    assert len(done.stderr.strip().splitlines()) == 1


def test_every_command_has_help_that_prints():
    listing = dondoc("--help").stdout.split("Commands:")[1]
    commands = [line.split()[0] for line in listing.splitlines() if line.strip()]
    assert {"validate", "show", "parse-deadline", "load", "status", "complete", "reopen",
            "extend", "approve-extension", "deny-extension", "pause", "resume", "cancel",
            "checkin", "trigger", "history", "worker", "dev"} <= set(commands)
    for command in commands:
        done = dondoc(command, "--help")
        assert done.returncode == 0 and "Traceback" not in done.stderr, command
