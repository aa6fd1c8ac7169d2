"""Fuzzing the plan reader with mutations of the five seed plans: every file is refused with
`FILE:LINE:COL` lines or accepted and fully expanded, never a traceback, never a hang.

Derandomized so that CI runs the same examples every time (about ten seconds of CPU); the
longer, random run is bench/fuzz_inputs.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.plans import fuzzing

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
CI = settings(derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(fuzzing.SEEDS))
def test_the_seed_plans_themselves_expand(name: str):
    assert fuzzing.validate_like_a_user(fuzzing.SEEDS[name]).ok


@settings(CI, max_examples=200)
@given(fuzzing.plan_files())
def test_mutated_seed_plans_are_refused_with_lines_or_expand(text: str):
    event("accepted" if fuzzing.validate_like_a_user(text).ok else "refused")


@settings(CI, max_examples=150)
@given(fuzzing.plan_files([fuzzing.deadline_phrase, fuzzing.policy]))
def test_mutated_deadlines_and_policies(text: str):
    event("accepted" if fuzzing.validate_like_a_user(text).ok else "refused")


@settings(CI, max_examples=100)
@given(fuzzing.contacts_files())
def test_mutated_contacts_are_refused_with_lines_or_read(text: str):
    fuzzing.check_contacts_like_a_user(text)


@settings(CI, max_examples=40)
@given(st.binary(max_size=400).map(lambda b: b.decode("utf-8", "replace")))
def test_random_bytes_are_refused_with_lines(text: str):
    fuzzing.validate_like_a_user(text)


def test_the_full_plan_is_valid():
    assert fuzzing.validate_like_a_user(fuzzing.FULL_PLAN).ok


@pytest.mark.parametrize("wrong", ["[]", "{}", "[1, {a: b}]", "null", "-1", "''"])
def test_every_value_of_a_full_plan_replaced_by_a_wrong_type(wrong: str):
    lines = fuzzing.FULL_PLAN.split("\n")
    for index, line in enumerate(lines):
        if ": " in line:
            fuzzing.validate_like_a_user("\n".join(fuzzing._set_value(lines, index, wrong)))
        for key in re.findall(r"(?<=[{,] )(\w+): ", line):  # the keys of a flow mapping
            changed = re.sub(rf"\b{key}: [^,}}]+", f"{key}: {wrong}", line, count=1)
            fuzzing.validate_like_a_user("\n".join([*lines[:index], changed, *lines[index + 1:]]))
