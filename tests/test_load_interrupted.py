"""`dondoc load` when Temporal fails midway: one line saying what was and was not started, a
non-zero exit, and the same command run again finishes the rest without starting anything twice."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

from temporalio.client import Client
from temporalio.service import RPCError

from tests.stack import DONDOC, Stack, start_stack

UNITS = 300


def fanned_out_plan(units: int) -> str:
    """One task given to every commune health station: `units` occurrences."""
    return "\n".join([
        "plan: {id: ngat, title: Kế hoạch báo cáo tiêm chủng, issuer: Sở Y tế, year: 2030}",
        "units:", "  - {id: VP, name: Văn phòng Sở Y tế, kind: department}",
        *(f"  - {{id: X{i:04d}, name: Trạm Y tế xã số {i}, kind: center, groups: [xa]}}"
          for i in range(units)),
        "groups:", "  - {id: xa, name: Các trạm y tế xã}",
        "people:", "  - {id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}",
        "  - {id: bcd, title: Ban Chỉ đạo, kind: committee}",
        "roles: {office: VP, steering_committee: bcd, default_leader: pgd}",
        "tasks:",
        "  - id: T1", "    source: Phụ lục I, dòng 1",
        "    title: Báo cáo số liệu tiêm chủng quý IV",
        "    for_each: {group: xa}",
        "    deadline: {rule: {kind: before_date, date: 2030-12-20}}",
    ]) + "\n"


def running(stack: Stack) -> int:
    """Occurrence workflows the server lists; 0 while it cannot answer yet (just started)."""
    async def count() -> int:
        client = await Client.connect(stack.server.address)
        return (await client.count_workflows("WorkflowType = 'OccurrenceWorkflow'")).count

    try:
        return asyncio.run(count())
    except RPCError:
        return 0


def test_a_load_cut_off_by_the_server_says_what_was_started_and_a_rerun_finishes(
        tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    try:
        plan = tmp_path / "ngat.yaml"
        plan.write_text(fanned_out_plan(UNITS), "utf-8")
        load = subprocess.Popen([DONDOC, "load", str(plan)], env=stack.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stack.wait_for(lambda: running(stack) >= 10, 120, "the first occurrences to start")
        stack.server.stop()  # the server goes away while the load is starting the rest
        _, err = load.communicate(timeout=180)

        assert load.returncode == 1
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
        said = re.search(r"load of ngat stopped: a request to Temporal failed \(.+\); "
                         r"(\d+) started, 0 amended, 0 cancelled, 0 already running, "
                         r"(\d+) not done; run the same command again to finish", err)
        assert said, err
        started, not_done = int(said[1]), int(said[2])
        assert started + not_done == UNITS and 10 <= started < UNITS

        stack.server.start()
        asyncio.run(stack.server.wait_ready())
        stack.wait_for(lambda: running(stack) >= started, 120, "the restarted server")
        # The same command starts the rest and nothing twice: what reached the server before
        # it stopped (a start whose answer was lost too) is found already running.
        again = stack.dondoc("load", str(plan))
        rerun = re.search(r"ngat \(version \w+\): (\d+) started, (\d+) already running, "
                          r"0 amended, 0 cancelled", again.stdout)
        assert rerun, again.stdout
        assert int(rerun[1]) + int(rerun[2]) == UNITS and int(rerun[2]) >= started
        stack.wait_for(lambda: running(stack) == UNITS, 120, f"{UNITS} occurrences listed")
        assert "already loaded" in stack.dondoc("load", str(plan)).stdout
    finally:
        stack.stop()
