"""Databases for tests: a SQLite file, and a throwaway PostgreSQL 15 cluster started with
initdb/pg_ctl as the `postgres` user (PostgreSQL refuses to run as root) on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yield a superuser URL to a fresh cluster; everything is removed afterwards."""
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        raise RuntimeError("PostgreSQL (initdb, pg_ctl) is not installed")
    base = Path(tempfile.mkdtemp(prefix="dondoc-pg-"))
    data, port = base / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    subprocess.run(_as_postgres("initdb", "-D", str(data), "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--locale=C.UTF-8"),
                   check=True, capture_output=True)
    # The superuser connects without a password; every other role proves its password, so
    # the roles dondoc creates (auditors) are tested as they log in for real.
    (data / "pg_hba.conf").write_text("local all all trust\n"
                                      "host all postgres 127.0.0.1/32 trust\n"
                                      "host all all 127.0.0.1/32 scram-sha-256\n")
    subprocess.run(_as_postgres("pg_ctl", "start", "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                                f"-p {port} -c listen_addresses=127.0.0.1 -k {base}"),
                   check=True, capture_output=True)
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(url).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(_as_postgres("pg_ctl", "-D", str(data), "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def server_log(url: str) -> Path:
    """The cluster's log file (beside its data folder)."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        data = conn.execute("SHOW data_directory").fetchone()
    assert data is not None
    return Path(data[0]).parent / "log"


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
