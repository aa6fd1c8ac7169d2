"""Hostile plan files, timed from outside and fuzzed at length.

    .venv/bin/python bench/fuzz_inputs.py [--examples 3000] [--code DIR]

1. Worst cases, each written to a file and run through `dondoc validate FILE` as a user runs
   it (wall time of the whole command, its exit code and the first line it prints). `--code DIR`
   runs the same files through the dondoc of another checkout (e.g. `git worktree add` of an
   older commit) for the README's before/after.
2. The fuzz suite of tests/plans/test_fuzz.py with random seeds and many more examples: every
   file refused with FILE:LINE:COL lines or accepted and expanded, within 2 s of CPU. Prints
   the slowest example's CPU time; exits 1 on the first failure (hypothesis prints it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from plans.limits import MAX_DEPTH, MAX_PHRASE_CHARS, MAX_TASKS  # noqa: E402
from tests.plans import fuzzing  # noqa: E402
from tests.plans.factory import plan_text  # noqa: E402

SEED = (ROOT / "definitions/vinh-long-cntt-2025.yaml").read_text("utf-8")


def _task(i: int, deadline: str, extra: str = "") -> str:
    return (f"  - id: T{i}\n    title: Nhiệm vụ {i}\n    source: Phụ lục I, dòng {i}\n"
            f"    lead: [VP]\n    deadline: {deadline}\n{extra}")


def worst_cases() -> dict[str, str]:
    """Files at or past every limit, and the shapes the fuzzing campaign found."""
    slow_phrase = "1" * MAX_PHRASE_CHARS  # the grammar's slowest phrase per character
    bomb = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"] + [
        f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]
    units = "".join(f"  - {{id: U{i}, name: Đơn vị {i}, kind: station, groups: [tram]}}\n"
                    for i in range(55))
    monthly_fan_out = plan_text(
        tasks="  - id: BC\n    title: Báo cáo tháng\n    source: Mục IV\n"
              "    for_each: {group: tram}\n    deadline: hằng tháng\n", until=2054
    ).replace("units:\n", "units:\n" + units).replace(
        "groups:\n", "groups:\n  - {id: tram, name: Các trạm}\n")
    return {
        "the largest seed plan (Vĩnh Long, 113 KB)": SEED,
        "1 MiB: the seed padded": SEED + "#" + "x" * (1 << 20) + "\n",
        f"{MAX_TASKS} tasks with distinct {MAX_PHRASE_CHARS}-digit phrases": plan_text(
            tasks="".join(_task(i, f'"{i}{slow_phrase[len(str(i)):]}"') for i in range(MAX_TASKS))),
        "a 10 KB phrase of digits": plan_text(tasks=_task(1, "1" * 10_000)),
        "alias bomb (10^9 values)": "\n".join(bomb) + "\n" + SEED,
        "alias loop": SEED.replace("units:\n", "units: &u\n  - *u\n", 1),
        "nesting 300,000 deep": "plan: " + "[" * 300_000,
        f"nesting {MAX_DEPTH + 1} deep, block style": "".join(
            "  " * i + "k:\n" for i in range(MAX_DEPTH + 1)),
        "two due days in one period": plan_text(tasks=_task(
            1, "{text: x, rule: {kind: recurring, rules: [{every: month}, {every: month, day: 15}]}}")),
        "escalation_repeat every PT0S": plan_text(
            tasks=_task(1, "Quý I/2025"), policy="policy:\n  escalation_repeat: {every: PT0S}"),
        "escalation after P999999999D": plan_text(
            tasks=_task(1, "Quý I/2025"),
            policy="policy:\n  escalation: [{after: P999999999D, to: leader}]"),
        "55 units x monthly x 30 years (19,800 occurrences, accepted)": monthly_fan_out,
    }


def run_cli(code: Path | None, path: Path) -> tuple[float, int, str]:
    if code is None:
        command = [str(Path(sys.executable).parent / "dondoc"), "validate", str(path)]
        env = dict(os.environ)
    else:
        command = [sys.executable, "-c", "from dondoc.cli import main; main()", "validate",
                   str(path)]
        env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=code or ROOT, capture_output=True, text=True,
                              timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return 120.0, -1, "(killed after 120 s)"
    took = time.perf_counter() - start
    lines = (done.stderr or done.stdout).strip().splitlines()
    first = next((line for line in lines if "Traceback" in line or "Error:" in line),
                 lines[0] if lines else "")
    if "Traceback" in done.stderr:
        first = "Traceback: " + lines[-1]
    return took, done.returncode, first.replace(str(path), "FILE")[:110]


def in_process(path: Path) -> float:
    """CPU seconds of what `validate` does, without the interpreter's start."""
    from dondoc.files import read_plan
    from plans import schedule

    started = time.thread_time()
    loaded, _ = read_plan(path, calendar_file=ROOT / "definitions/calendar.yaml")
    if loaded is not None:
        schedule.expand(loaded.plan)
    return time.thread_time() - started


def timings(code: Path | None) -> None:
    print("| file | size | `dondoc validate` | in process (CPU) | exit | first line |\n"
          "|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in worst_cases().items():
            path = Path(folder) / "kh.yaml"
            path.write_text(text, "utf-8")
            took, code_, first = run_cli(code, path)
            cpu = "" if code else f"{in_process(path):.2f} s"
            size = len(text.encode("utf-8"))
            print(f"| {name} | {size / 1024:,.0f} KiB | {took:.2f} s | {cpu} | {code_} | "
                  f"`{first}` |")


def fuzz(examples: int) -> None:
    slowest = [0.0, ""]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fuzzing.plan_files())
    def every_file(text: str) -> None:
        started = time.thread_time()
        fuzzing.validate_like_a_user(text)
        spent = time.thread_time() - started
        if spent > slowest[0]:
            slowest[:] = [spent, f"{len(text):,} characters"]

    start = time.perf_counter()
    every_file()
    print(f"fuzz: {examples:,} mutated seed plans in {time.perf_counter() - start:.0f} s, no "
          f"traceback; slowest {slowest[0]:.2f} s of CPU ({slowest[1]})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--code", type=Path, help="another checkout to time (before/after)")
    parser.add_argument("--no-fuzz", action="store_true")
    args = parser.parse_args()
    timings(args.code)
    if not args.no_fuzz and args.code is None:
        fuzz(args.examples)
