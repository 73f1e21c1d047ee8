"""How busy the rest of the machine was during a run: CPU used by processes outside the benchmark.

The machine is shared, so every figure is a ratio to a ceiling measured in the same run; this
measures how much the ratio could have been disturbed. The benchmark's own processes are the
load generator (a waited child: resource usage of children), the gunicorn process groups and,
on PostgreSQL, the postmaster and its backends. Everything else that used CPU is "others".
"""

import os
import resource
import time
from pathlib import Path

PROC = Path("/proc")


def _machine():
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in PROC.joinpath("stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def _processes():
    """{pid: (ppid, pgid, cpu jiffies)} of every process we can read."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = entry.joinpath("stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]))
    return found


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Measure others' CPU share over one run: start(), then stop() -> percent of the machine."""

    def __init__(self, process_groups=(), parents=()):
        """`process_groups`: gunicorn masters' pgids; `parents`: pids whose children are ours (postmaster)."""
        self.groups = set(process_groups)
        self.parents = set(parents)
        self._start = None

    def _ours(self, table):
        return {
            pid: cpu for pid, (ppid, pgid, cpu) in table.items()
            if pgid in self.groups or pid in self.parents or ppid in self.parents or pid == os.getpid()
        }

    def start(self):
        """Take the first sample."""
        self._start = (_machine(), self._ours(_processes()), _children_cpu())

    def stop(self):
        """Others' CPU use since start(), in percent of the whole machine (all cores)."""
        (busy0, total0), ours0, children0 = self._start
        ours1 = self._ours(_processes())
        busy1, total1 = _machine()
        ours = sum(cpu - ours0.get(pid, 0) for pid, cpu in ours1.items())
        ours += _children_cpu() - children0  # wrk, which has exited and been waited for
        total = total1 - total0
        if total <= 0:
            return None
        return max(0.0, 100.0 * ((busy1 - busy0) - ours) / total)


class QuietGate:
    """Before a run, wait a little for a moment when other work leaves the machine alone.

    It only waits while the benchmark itself is idle (between runs), so all CPU use seen is
    others'. Each wait and the whole database's waiting are capped: a machine that never
    gets quiet delays the benchmark by at most `budget` seconds, and the noise column says so.
    """

    def __init__(self, meter, threshold, max_wait, budget, window=1.0):
        """`threshold`: others' CPU percent that counts as quiet; times in seconds."""
        self.meter, self.threshold, self.max_wait, self.window = meter, threshold, max_wait, window
        self.budget = budget
        self.waited = 0.0

    def wait(self):
        """Seconds waited before the machine was quiet (or the caps ran out)."""
        waited = 0.0
        while waited < self.max_wait and self.waited < self.budget:
            self.meter.start()
            time.sleep(self.window)
            others = self.meter.stop()
            if others is None or others < self.threshold:
                break
            waited += self.window
            self.waited += self.window
        return waited
