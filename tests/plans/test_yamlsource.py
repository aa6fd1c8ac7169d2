"""The YAML reader refuses what no plan needs, with the line it found it on, and never
recurses on the input's depth."""

from __future__ import annotations

import pytest

from plans.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES
from plans.validation import check_plan
from plans.yamlsource import Position, YamlProblem, read_yaml


def refused(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        read_yaml(text)
    return caught.value


@pytest.mark.parametrize("text", [
    "[" * 200_000,  # flow style, far past Python's recursion limit
    "k: " + "{a: " * 100_000,
    "".join("  " * i + "k:\n" for i in range(MAX_DEPTH + 5)),  # block style
    "- " * 200_000 + "x",
])
def test_deep_nesting_is_refused_at_its_line(text: str):
    problem = refused(text)
    assert "nested deeper than" in problem.message or "maximum nesting depth" in problem.message
    assert problem.position.line >= 1


def test_nesting_to_the_limit_is_read():
    text = "".join("  " * i + "k:\n" for i in range(MAX_DEPTH - 1)) + "  " * (MAX_DEPTH - 1) + "k: 1"
    data = read_yaml(text).data
    for _ in range(MAX_DEPTH):
        data = data["k"]
    assert data == 1


def test_an_alias_inside_its_own_anchor_is_a_loop():
    problem = refused("a: &loop\n  b: [1, *loop]\n")
    assert problem.message == "alias *loop is used inside its own anchor &loop: a loop"
    assert problem.position == Position(2, 10)


def test_an_alias_without_anchor():
    assert refused("a: *nowhere").message == "alias *nowhere has no anchor &nowhere before it"


def test_an_alias_bomb_stops_at_the_value_limit():
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    problem = refused("\n".join(lines))
    assert problem.message.startswith(f"more than {MAX_VALUES:,} values (an alias counts every")
    assert problem.position.line == 5  # 10 + 100 + 1,000 + 10,000 + 100,000 values


def test_a_scalar_alias_as_the_seed_plans_use_it():
    source = read_yaml("a: &ct II. Các chỉ tiêu\nb: *ct\n")
    assert source.data == {"a": "II. Các chỉ tiêu", "b": "II. Các chỉ tiêu"}
    assert source.positions[("b",)] == Position(2, 1)


@pytest.mark.parametrize(("text", "tag"), [
    ("a: !!python/object:os.system x", "!!python/object:os.system"),
    ("a: !!binary aGk=", "!!binary"),
    ("a: !khac x", "!khac"),
    ("a: !!set {x: null}", "!!set"),
    ("a: !!omap [x: 1]", "!!omap"),
])
def test_tags_other_than_the_core_ones_are_refused(text: str, tag: str):
    problem = refused(text)
    assert problem.message == f"the tag {tag} is not allowed: a plan holds plain values; remove the tag"
    assert problem.position == Position(1, 4)


def test_core_tags_keep_their_meaning():
    assert read_yaml("a: !!str 2025\nb: !!int '7'").data == {"a": "2025", "b": 7}


def test_one_document_per_file():
    problem = refused("a: 1\n---\nb: 2\n")
    assert problem.position == Position(2, 1) and "one YAML document" in problem.message


def test_a_key_must_be_plain():
    assert refused("? [a, b]\n: c").message == "a key must be a plain value, not a list or mapping"
    assert refused("x: &m {a: 1}\n*m : c").position == Position(2, 1)


def test_text_over_the_size_limit_is_refused_before_parsing():
    problem = refused("a: " + "x" * MAX_FILE_BYTES)
    assert problem.message.startswith("the file is too large (more than 512 KiB)")
    assert refused("a: " + "đ" * (MAX_FILE_BYTES // 2)).position == Position(1, 1)  # bytes count


def test_a_lone_surrogate_is_a_character_problem():
    problem = refused("a:\n  b: x\ud800")
    assert problem.position == Position(2, 7)
    assert problem.message == "not valid YAML: character U+D800 is not allowed"


def test_a_plan_file_with_a_bomb_is_one_problem_line():
    lines = ["x: &l0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"x{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    (problem,) = check_plan("\n".join(lines), "kh.yaml").problems
    assert str(problem).startswith("kh.yaml:5:")
