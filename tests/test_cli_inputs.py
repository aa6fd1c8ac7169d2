"""Hostile plan files through the real `dondoc` command: one line per problem, exit 1."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import ROOT, dondoc

SEED = ROOT / "definitions/quang-ninh-cds-2025.yaml"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): ")


def refused(path: Path, *args: str, command: str = "validate") -> list[str]:
    done = dondoc(command, str(path), *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    if command != "validate":  # the others end with a summary
        assert lines.pop() == f"{path}: not loaded (1 error, 0 warnings)"
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
