"""Where a storm's time goes, seen from outside: CPU seconds of each process (from /proc), the
dev server's own counters (its Prometheus /metrics: persistence calls and their time by
operation, history tasks, frontend requests) and what one workflow's history holds."""

from __future__ import annotations

import os
import re
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE = re.compile(r'^(\w+)\{([^}]*)\} ([0-9.e+-]+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')
# (metric, label it is grouped by, what it says)
COUNTERS = (
    ("persistence_latency_sum", "operation", "SQLite time, s"),
    ("persistence_requests", "operation", "SQLite calls"),
    ("task_requests", "operation", "history tasks"),
    ("service_requests", "operation", "requests"),
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / TICK


def scrape(port: int) -> dict[tuple[str, str], float]:
    """The server's counters of COUNTERS, summed by their grouping label."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    wanted = {name: label for name, label, _ in COUNTERS}
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read()
    except OSError:
        return {}
    for line in text.decode().splitlines():
        match = SAMPLE.match(line)
        if match and match[1] in wanted:
            labels = dict(LABEL.findall(match[2]))
            totals[match[1], labels.get(wanted[match[1]], "")] += float(match[3])
    return totals


@dataclass
class Phase:
    """CPU seconds of named processes and the server's counters between `begin` and `end`."""

    name: str
    pids: dict[str, int]
    metrics_port: int
    cpu: dict[str, float] = field(default_factory=dict)
    counters: dict[tuple[str, str], float] = field(default_factory=dict)

    def begin(self) -> None:
        self.cpu = {who: cpu_seconds(pid) for who, pid in self.pids.items()}
        self.counters = scrape(self.metrics_port)

    def end(self) -> None:
        self.cpu = {who: cpu_seconds(pid) - self.cpu[who] for who, pid in self.pids.items()}
        after = scrape(self.metrics_port)
        self.counters = {k: v - self.counters.get(k, 0.0) for k, v in after.items()
                         if v - self.counters.get(k, 0.0) > 0}

    def report(self, notices: int, top: int = 6) -> str:
        per = max(notices, 1)
        lines = [f"{self.name}: CPU s " + ", ".join(
            f"{who} {s:.0f} ({s * 1000 / per:.1f} ms/notice)" for who, s in self.cpu.items())]
        for name, _, what in COUNTERS:
            rows = sorted(((v, op) for (n, op), v in self.counters.items() if n == name),
                          reverse=True)[:top]
            if rows:
                fmt = "{:.0f} ms" if name.endswith("_sum") else "{:.2f}"
                scale = 1000 / per if name.endswith("_sum") else 1 / per
                lines.append(f"  {what} per notice: " + ", ".join(
                    f"{op} {fmt.format(v * scale)}" for v, op in rows))
        return "\n".join(lines)


def history_shape(events: list[str]) -> str:
    """Event types of one workflow's history, most frequent first."""
    counts = Counter(e.removeprefix("EVENT_TYPE_").lower() for e in events)
    return ", ".join(f"{name} {count}" for name, count in counts.most_common())
