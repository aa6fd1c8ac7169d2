"""Deployment files are validated here (no container engine runs on these machines)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

from dondoc.settings import Settings

DEPLOY = Path(__file__).parents[1] / "deploy"
KNOWN = {f"DONDOC_{name.upper()}" for name in Settings.model_fields}


def test_compose_file_is_well_formed_and_uses_real_settings():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"postgresql", "temporal", "temporal-ui", "worker"}
    worker = compose["services"]["worker"]
    assert set(worker["environment"]) <= KNOWN, set(worker["environment"]) - KNOWN
    # compose resolves the build context from the compose file, the Dockerfile from the context
    assert (DEPLOY / worker["build"]["context"] / worker["build"]["dockerfile"]).resolve() \
        == (DEPLOY / "Dockerfile").resolve()
    for service in compose["services"].values():
        for dependency in service.get("depends_on", []):
            assert dependency in compose["services"]


def test_dockerfile_copies_what_the_package_needs():
    copied = re.findall(r"^COPY (\S+)", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    for needed in ("plans", "workflows", "activities", "storage", "dondoc", "worker.py",
                   "pyproject.toml"):
        assert needed in copied


def test_systemd_unit_and_env_example():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "dondoc-worker.service").read_text())
    assert unit["Service"]["ExecStart"].endswith("dondoc worker")
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    names = {line.split("=", 1)[0] for line in (DEPLOY / "worker.env.example").read_text()
             .splitlines() if line and not line.startswith("#")}
    assert names <= KNOWN, names - KNOWN
    Settings.model_validate({k.removeprefix("DONDOC_").lower(): v for k, v in (
        line.split("=", 1) for line in (DEPLOY / "worker.env.example").read_text().splitlines()
        if line and not line.startswith("#"))})
