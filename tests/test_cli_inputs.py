"""Hostile plan files through the real `dondoc` command: one line per problem, exit 1."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from dondoc.files import read_plan
from tests.plans import fuzzing
from tests.test_cli import ROOT, dondoc

SEED = ROOT / "definitions/quang-ninh-cds-2025.yaml"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): ")


def refused(path: Path, *args: str, command: str = "validate") -> list[str]:
    done = dondoc(command, str(path), *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    if command != "validate":  # the others end with a summary
        assert re.fullmatch(rf"{re.escape(str(path))}: not loaded \(\d+ errors?, \d+ warnings?\)",
                            lines.pop())
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), lines
    return lines


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text(SEED.read_text("utf-8") + "#" + "x" * 600_000 + "\n", "utf-8")
    (line,) = refused(big)
    assert line == f"{big}:1:1: (file): the file is too large (more than 512 KiB): split the plan"


def test_a_file_not_in_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path):
    latin = tmp_path / "kh.yaml"
    text = SEED.read_text("utf-8")
    latin.write_bytes(text.encode("utf-8").replace(b"title:", b"title: \xe0", 1))
    (line,) = refused(latin)
    number = next(i for i, row in enumerate(text.splitlines(), 1) if "title:" in row)
    assert line.startswith(f"{latin}:{number}:") and "not UTF-8 text" in line


def test_deep_nesting_and_alias_loops_through_the_cli(tmp_path: Path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("plan: " + "[" * 300_000, "utf-8")
    assert refused(deep)[0].startswith(f"{deep}:1:")
    loop = tmp_path / "loop.yaml"
    loop.write_text(SEED.read_text("utf-8").replace("units:\n", "units: &u\n  - *u\n", 1), "utf-8")
    (line,) = refused(loop, command="show")
    assert line.endswith("alias *u is used inside its own anchor &u: a loop")


def test_a_flooding_repeat_and_a_far_out_duration_are_refused_by_validate_and_show(
        tmp_path: Path):
    text = SEED.read_text("utf-8")
    flood = tmp_path / "flood.yaml"
    flood.write_text(text.replace("tasks:\n", "policy:\n  escalation_repeat: {every: PT0S}\n"
                                  "tasks:\n", 1), "utf-8")
    for command in ("validate", "show"):
        (line,) = refused(flood, command=command)
        assert line.endswith("policy.escalation_repeat.every: PT0S would repeat the escalation "
                             "without pause: at least PT1M (did you mean PT1M?)")
    far = tmp_path / "far.yaml"
    far.write_text(text.replace("tasks:\n", "policy:\n  escalation: [{after: P999999999D, "
                                "to: leader}]\ntasks:\n", 1), "utf-8")
    (line,) = refused(far, command="show")
    assert line.endswith("policy.escalation[0].after: P999999999D is more than ten years: "
                         "at most P3653D")


def test_contacts_of_another_plan_are_refused_by_validate_and_load(tmp_path: Path):
    plan = "definitions/quang-ninh-cds-2025.yaml"
    other = "definitions/contacts.example/vinh-phuc-cds-2025.yaml"
    done = dondoc("validate", plan, "--contacts", other)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = next(row for row in done.stderr.splitlines() if row.startswith(other))
    number = (ROOT / other).read_text("utf-8").splitlines().index("plan: vinh-phuc-cds-2025") + 1
    assert line == (f"{other}:{number}:1: plan: these contacts are for plan 'vinh-phuc-cds-2025', not "
                    "'quang-ninh-cds-2025': give the contacts file of 'quang-ninh-cds-2025'")
    state = tmp_path / "state"
    done = dondoc("load", plan, "--contacts", other, "--state-dir", str(state),
                  env={"DONDOC_TEMPORAL_ADDRESS": "127.0.0.1:9"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert line in done.stderr and not (state / "contacts").exists()


@settings(derandomize=True, deadline=None, database=None, max_examples=4,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=fuzzing.plan_files())
def test_mutated_plans_through_the_real_cli_agree_with_validation(text: str, tmp_path: Path):
    path = tmp_path / "kh.yaml"
    path.write_text(text, "utf-8")
    loaded, _ = read_plan(path, calendar_file=ROOT / "definitions/calendar.yaml")
    for command in ("validate", "show"):
        if loaded is None:
            refused(path, command=command)
        else:
            done = dondoc(command, str(path))
            assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_a_setting_that_does_not_read_is_named_in_one_line_without_its_value():
    done = dondoc("status", env={"DONDOC_LOGIN_LIFETIME": "mật-khẩu-lỡ-dán"})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == ("setting refused: DONDOC_LOGIN_LIFETIME: Input should be a valid "
                                   "timedelta, invalid digit in duration")
