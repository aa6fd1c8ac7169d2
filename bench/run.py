"""Speed and memory of dondoc's hot paths. Run: .venv/bin/python bench/run.py [--temporal | --grammar]

Pure: reading deadline phrases, validating the five seed plans, expanding their schedules.
With --temporal: loading the largest seed plan into a fresh dev server (starts per second).
With --grammar: only the phrases (wall clock and CPU time, which a loaded machine disturbs less)
and the adversarial phrases. Numbers go in the README's Benchmarks section; tests never time anything.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from dondoc.files import read_plan  # noqa: E402
from plans import schedule  # noqa: E402
from plans.calendar import WorkingCalendar  # noqa: E402
from plans.grammar import parse_deadline  # noqa: E402

PLANS = sorted(p for p in (ROOT / "definitions").glob("*.yaml") if p.name != "calendar.yaml")


def measure(name: str, work: Callable[[], int], repeat: int = 5) -> None:
    """Best-of and median wall time, items per second, and peak traced memory of one run."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(times)
    print(f"| {name} | {count} | {best * 1000:.1f} ms | {statistics.median(times) * 1000:.1f} ms"
          f" | {count / best:,.0f}/s | {peak / 2**20:.1f} MiB |")


def phrases() -> list[tuple[str, int]]:
    items = []
    for name in ("deadline_phrases_real.yaml", "deadline_phrases_heldout.yaml",
                 "deadline_phrases_third.yaml", "deadline_phrases_fourth.yaml",
                 "deadline_phrases_fifth.yaml", "deadline_phrases_sixth.yaml"):
        items += [(i["text"], i["year"]) for i in yaml.safe_load(
            (ROOT / "tests/data" / name).read_text("utf-8"))]
    return items


def grammar() -> None:
    texts = phrases()
    calendar = WorkingCalendar.vietnam(range(2006, 2031))
    print("| what | items | best | median | rate | peak memory |\n|---|---|---|---|---|---|")

    def read_all() -> int:
        return sum(1 for text, year in texts
                   if parse_deadline(text, year=year, add_working_days=calendar.add_working_days))

    measure("parse-deadline, the real phrases of the six sets", read_all)
    cpu = []
    for _ in range(15):
        start = time.process_time()
        read_all()
        cpu.append(time.process_time() - start)
    print(f"| the same, CPU time, best of 15 | {len(texts)} | {min(cpu) * 1000:.1f} ms | "
          f"{statistics.median(cpu) * 1000:.1f} ms | {len(texts) / min(cpu):,.0f}/s | |")
    worst_cases()


def pure() -> None:
    grammar()
    print("\n| what | items | best | median | rate | peak memory |\n|---|---|---|---|---|---|")
    measure("validate the 5 seed plans (tasks)", lambda: sum(
        len(read_plan(p)[0].plan.tasks) for p in PLANS), repeat=3)  # type: ignore[union-attr]
    loaded = [read_plan(p)[0] for p in PLANS]
    measure("expand the 5 seed plans (occurrences)", lambda: sum(
        len(schedule.expand(lo.plan)) for lo in loaded if lo))

    def instants() -> int:
        count = 0
        for lo in loaded:
            assert lo is not None
            for occ in schedule.expand(lo.plan):
                if occ.due and occ.due_date:
                    count += len(schedule.reminders(occ.due_date, occ.due, occ.policy,
                                                    lo.calendar))
                    count += len(schedule.escalations(occ.due_date, occ.due, occ.policy,
                                                      lo.calendar, count=4))
        return count

    measure("reminder and escalation instants", instants)


def adversarial() -> dict[str, list[str]]:
    """Inputs that made the old regex passes backtrack (issue 11), at the cap and far above it."""
    seeds = [" ", "1", "(", "quý I, ", "trong 1 ngày kể từ ", "tháng 1, ", "ngày 30 của tháng 03, ",
             "1/", "hằng quý hoặc ", "Quý I/2025; ", "İ", "29-21/9 ",
             # the families of issue 10's third round
             "10 ngày làm việc đầu tiên của tháng tiếp theo ", "03 tháng trước ngày ", "tháng tư ",
             "trong 30 ngày kể từ ngày kết thúc quý và ", "ngày mùng 5 ", "7-10 ngày ",
             # the fourth round's grammar of periods: runs of what its Earley parse reads
             "ngày thứ ", "thứ Hai tuần sau ", "05 ngày đầu tiên của tháng ", "báo cáo quý, "]
    out: dict[str, list[str]] = {}
    for size, label in ((400, "400 characters (the cap)"), (10_240, "10 KB"), (1 << 20, "1 MiB")):
        out[label] = [(seed * (size // len(seed) + 1))[:size] for seed in seeds]
    return out


def worst_cases() -> None:
    """The slowest single phrase of each size: the bound issue 11 sets is 10 ms up to 10 KB and
    2 s up to 1 MiB."""
    print("\n| adversarial phrase size | phrases | slowest | mean | slowest, CPU time (best of 3) |"
          "\n|---|---|---|---|---|")
    for label, texts in adversarial().items():
        times, cpu = [], []
        for text in texts:
            start = time.perf_counter()
            parse_deadline(text, year=2025)
            times.append(time.perf_counter() - start)
            best = float("inf")
            for _ in range(3):
                began = time.process_time()
                parse_deadline(text, year=2025)
                best = min(best, time.process_time() - began)
            cpu.append(best)
        print(f"| {label} | {len(texts)} | {max(times) * 1000:.2f} ms | "
              f"{statistics.mean(times) * 1000:.2f} ms | {max(cpu) * 1000:.2f} ms |")


async def temporal_load() -> None:
    from plans.access import Grant, Principal

    operator = Principal(account="bench", name="bench", grants=(Grant(role="office"),))

    from dondoc.devserver import DevServer
    from dondoc.services import load as loading
    from dondoc.settings import Settings
    from dondoc.temporal import connect

    with tempfile.TemporaryDirectory() as state:
        server = DevServer(Path(state), port=17299, ui_port=18299)
        server.start()
        try:
            await server.wait_ready()
            client = await connect(Settings(temporal_address=server.address))
            biggest = max((read_plan(p)[0] for p in PLANS),
                          key=lambda lo: len(schedule.expand(lo.plan)))  # type: ignore[union-attr]
            assert biggest is not None
            start = time.perf_counter()
            summary = await loading.load(client, biggest, task_queue="bench",
                                         now=datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")),
                                         principal=operator)
            took = time.perf_counter() - start
            started = summary.count("started")
            print(f"| load {biggest.plan.plan.id} into a fresh dev server | {started} | "
                  f"{took:.2f} s | | {started / took:.0f} starts/s | |")
            start = time.perf_counter()
            again = await loading.load(client, biggest, task_queue="bench",
                                       now=datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")),
                                       principal=operator)
            took = time.perf_counter() - start
            print(f"| reload it (nothing new) | {again.count('unchanged')} | {took:.2f} s | | | |")
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--temporal", action="store_true")
    parser.add_argument("--grammar", action="store_true")
    args = parser.parse_args()
    if args.grammar:
        grammar()
        sys.exit()
    pure()
    if args.temporal:
        asyncio.run(temporal_load())
