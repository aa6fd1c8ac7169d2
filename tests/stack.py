"""The dev stack for end-to-end tests: the Temporal dev server in a state folder, `dondoc`
subprocesses with its settings, and a worker subprocess that can be killed and restarted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dondoc.devserver import DevServer
from tests.activities.servers import free_port

DONDOC = str(Path(sys.executable).parent / "dondoc")


class Stack:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.server = DevServer(state, port=free_port(), ui_port=free_port())
        self.env = {**os.environ, "DONDOC_STATE_DIR": str(state),
                    "DONDOC_TEMPORAL_ADDRESS": self.server.address, "DONDOC_LOG_LEVEL": "INFO",
                    "DONDOC_OUTBOX_ONLY": "true"}
        self.worker: subprocess.Popen[bytes] | None = None

    def dondoc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([DONDOC, *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"dondoc {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done

    def sign_in_office(self) -> str:
        """Every later command acts as the office of every plan (`admin`)."""
        self.env["DONDOC_API_KEY"] = bootstrap_office(self.env)
        return self.env["DONDOC_API_KEY"]

    def start_worker(self) -> None:
        self.dondoc("db", "upgrade")  # the deployment's one-shot step; workers only check
        log = (self.state / "worker.log").open("ab")
        self.worker = subprocess.Popen([DONDOC, "worker"], env=self.env, stdout=log, stderr=log)

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def outbox(self) -> list[dict[str, object]]:
        folder = self.state / "outbox"
        return [json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")] \
            if folder.exists() else []

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; outbox: {self.outbox()}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.worker and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            self.worker.wait(timeout=30)
        self.server.stop()


def bootstrap_office(env: dict[str, str], account: str = "admin") -> str:
    """The first office account of every plan, as the README has the office create it, and an
    API key for it (what scripts use)."""
    upgraded = subprocess.run([DONDOC, "db", "upgrade"], env=env, capture_output=True,
                              text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    added = subprocess.run([DONDOC, "users", "add", account, "--name", "Văn phòng Sở Y tế",
                            "--role", "office", "--plan", "*", "--api-key"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    return added.stdout.splitlines()[-1].strip()


def start_stack(tmp_path: Path) -> Stack:
    stack = Stack(tmp_path / "state")
    stack.server.start()
    asyncio.run(stack.server.wait_ready())
    stack.sign_in_office()
    return stack



