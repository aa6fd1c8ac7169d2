"""How well the grammar reads the real phrase sets. Run: .venv/bin/python bench/accuracy.py [SET ...] [-v]

For each set in tests/data (all by default): phrases, unambiguous ones, read right (kind and every
due date), unknown, read otherwise (neither right nor unknown, ambiguous phrases included), and of
those the wrong dates (due dates given that are not the careful reader's). An ambiguous
phrase counts as right when it is unknown or has the careful reader's dates. The same rule as
tests/plans/test_grammar.py::test_real_phrases_from_other_plans; the figures go in the README's
Grammar accuracy section. -v lists the unknowns and the wrong dates.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from plans.calendar import WorkingCalendar  # noqa: E402
from plans.deadline import as_contract  # noqa: E402
from plans.grammar import parse_deadline  # noqa: E402

SETS = ("real", "heldout", "third", "fourth", "fifth", "sixth", "seventh")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def read(text: str, year: int, issued: date | None) -> dict:
    calendar = WorkingCalendar.vietnam([year])
    deadline = parse_deadline(text, year=year, issued=issued,
                              add_working_days=calendar.add_working_days)
    return as_contract(text, deadline, tz=HCM)


def measure(name: str, verbose: bool) -> None:
    items = yaml.safe_load((ROOT / "tests/data" / f"deadline_phrases_{name}.yaml").read_text("utf-8"))
    right = unknown = wrong = wrong_date = ambiguous_right = 0
    for item in items:
        issued = item.get("issued")
        got = read(item["text"], item["year"], date.fromisoformat(str(issued)) if issued else None)
        expected = [str(d) for d in item["due"]]
        if item.get("ambiguous"):
            if got["kind"] == "unknown" or got["due"] == expected:
                ambiguous_right += 1
            else:
                wrong += 1
                wrong_date += bool(got["due"])
                if verbose:
                    print(f"  WRONG (ambiguous) {item['text']!r}: {got['kind']} {got['due'][:4]}")
        elif (got["kind"], got["due"]) == (item["kind"], expected):
            right += 1
        elif got["kind"] == "unknown":
            unknown += 1
            if verbose:
                print(f"  unknown {item['text']!r}")
        else:
            wrong += 1
            wrong_date += bool(got["due"]) and got["due"] != expected
            if verbose:
                print(f"  WRONG {item['text']!r}: {got['kind']} {got['due'][:4]}"
                      f" (expected {item['kind']} {expected[:4]})")
    unambiguous = sum(not i.get("ambiguous") for i in items)
    print(f"| {name} | {len(items)} ({unambiguous} unambiguous) | {right} ({right / unambiguous:.0%})"
          f" | {unknown} | {wrong} | {wrong_date} | {ambiguous_right} of {len(items) - unambiguous} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"any of {', '.join(SETS)}")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    print("| set | phrases | read right | unknown | read otherwise | of which a wrong date"
          " | ambiguous read acceptably |")
    print("|---|---|---|---|---|---|---|")
    unknown_sets = set(args.sets) - set(SETS)
    if unknown_sets:
        parser.error(f"unknown set {sorted(unknown_sets)[0]!r}; choose from {', '.join(SETS)}")
    for name in args.sets or SETS:
        measure(name, args.verbose)


if __name__ == "__main__":
    main()
