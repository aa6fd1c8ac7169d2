"""The architecture as the tree shows it: which package may import which, and one meaning per
type name (a reader who sees `Delivery` knows which one it is)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("plans", "workflows", "storage", "activities", "dondoc")
# What each package may import of ours. `worker` and `webserver` are the composition roots:
# dondoc's `worker`, `web` and `dev` commands start them, nothing else imports them.
ALLOWED = {
    "plans": {"plans"},
    "workflows": {"workflows", "plans"},
    "storage": {"storage", "plans", "workflows"},
    "activities": {"activities", "storage", "plans", "workflows"},
    "dondoc": {"dondoc", "storage", "plans", "workflows", "worker", "webserver"},
}
OURS = {*PACKAGES, "worker", "webserver"}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & OURS


def test_each_package_imports_only_the_layers_below_it():
    wrong = [f"{path.relative_to(ROOT)} imports {sorted(imported(path) - ALLOWED[package])}"
             for package in PACKAGES for path in modules(package)
             if imported(path) - ALLOWED[package]]
    assert wrong == []


def test_only_the_worker_and_dev_commands_start_a_worker():
    importers = {str(path.relative_to(ROOT)) for path in modules("dondoc")
                 if "worker" in imported(path)}
    assert importers == {"dondoc/dev.py", "dondoc/cli/runtime.py"}


def test_only_the_web_and_dev_commands_build_the_web_app():
    importers = {str(path.relative_to(ROOT)) for path in modules("dondoc")
                 if "webserver" in imported(path)}
    assert importers <= {"dondoc/dev.py", "dondoc/cli/web.py"}


def test_no_two_types_share_a_name():
    defined: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in modules(package):
            for node in ast.parse(path.read_text("utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    defined[node.name].append(str(path.relative_to(ROOT)))
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript) \
                        and isinstance(node.value.value, ast.Name) \
                        and node.value.value.id == "Literal":
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            defined[target.id].append(str(path.relative_to(ROOT)))
    shared = {name: places for name, places in defined.items() if len(places) > 1}
    assert shared == {}


def workflow_code() -> list[Path]:
    """The workflow modules, and the pure modules they import: code that runs in a workflow."""
    found = set(modules("workflows"))
    for path in modules("workflows"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("plans"):
                names = [node.module] if node.module != "plans" else [
                    f"plans.{alias.name}" for alias in node.names]
                found |= {ROOT / f"{name.replace('.', '/')}.py" for name in names}
    # The plan file's model: workflows carry its values (a policy's quiet hours), while its
    # timezone check and `tz` run where plans are read, never in a workflow.
    return sorted(found - {ROOT / "plans/model.py"})


def test_workflow_code_has_no_assert_and_reads_no_time_zone_database():
    """An assert that fails (or is stripped by -O) in a workflow fails its task for ever or
    hides a bug; ZoneInfo reads the system's tz database, which a replay elsewhere could read
    differently: workflow code takes the plan's fixed UTC offset instead."""
    code = workflow_code()
    assert ROOT / "plans/steps.py" in code and ROOT / "plans/schedule.py" in code
    wrong = []
    for path in code:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Assert):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: assert")
            elif isinstance(node, ast.Call) and "ZoneInfo" in ast.unparse(node.func):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: ZoneInfo(...)")
    assert wrong == []
