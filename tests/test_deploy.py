"""Deployment files are validated here (no container engine runs on these machines)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
import yaml

from dondoc.settings import Settings

DEPLOY = Path(__file__).parents[1] / "deploy"
KNOWN = {f"DONDOC_{name.upper()}" for name in Settings.model_fields}


def test_compose_file_is_well_formed_and_uses_real_settings():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"postgresql", "temporal", "temporal-ui", "migrate",
                                        "worker", "web"}
    for name in ("worker", "web"):
        service = compose["services"][name]
        assert set(service["environment"]) <= KNOWN, set(service["environment"]) - KNOWN
        # compose resolves the build context from the compose file, the Dockerfile from it
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).resolve() \
            == (DEPLOY / "Dockerfile").resolve()
    worker = compose["services"]["worker"]
    # Migrations run once, before the workers: a worker whose schema is behind stops.
    assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["dondoc", "db", "upgrade"]
    assert migrate["volumes"] == worker["volumes"] and migrate["build"] == worker["build"]
    web = compose["services"]["web"]
    assert web["command"][:2] == ["dondoc", "web"]
    # the web app shares the worker's state folder, so both use one SQLite database
    assert web["volumes"] == worker["volumes"]
    for service in compose["services"].values():
        for dependency in service.get("depends_on", []):
            assert dependency in compose["services"]


def test_dockerfile_copies_what_the_package_needs():
    copied = re.findall(r"^COPY (\S+)", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    for needed in ("plans", "workflows", "activities", "storage", "dondoc", "worker.py",
                   "pyproject.toml"):
        assert needed in copied


@pytest.mark.parametrize(("unit_file", "command", "env_file"), [
    ("dondoc-worker.service", "dondoc worker", "worker.env.example"),
    ("dondoc-web.service", "dondoc web --host 127.0.0.1 --port 8080", "web.env.example"),
])
def test_systemd_unit_and_env_example(unit_file: str, command: str, env_file: str) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / unit_file).read_text())
    assert unit["Service"]["ExecStart"].endswith(command)
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    assert unit["Service"]["EnvironmentFile"].endswith(env_file.removesuffix(".example"))
    # Migrations are a one-shot step that runs before the worker and the web app.
    assert "dondoc-migrate.service" in unit["Unit"]["Requires"]
    migrate = configparser.ConfigParser(strict=False, interpolation=None)
    migrate.read_string((DEPLOY / "dondoc-migrate.service").read_text())
    assert migrate["Service"]["Type"] == "oneshot"
    assert migrate["Service"]["ExecStart"].endswith("dondoc db upgrade")
    assert migrate["Service"]["EnvironmentFile"].endswith("worker.env")
    lines = [line for line in (DEPLOY / env_file).read_text().splitlines()
             if line and not line.startswith("#")]
    names = {line.split("=", 1)[0] for line in lines}
    assert names <= KNOWN, names - KNOWN
    Settings.model_validate({k.removeprefix("DONDOC_").lower(): v for k, v in (
        line.split("=", 1) for line in lines)})
