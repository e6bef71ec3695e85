"""Runs one command as a child process and measures it: wall time and the child's own peak RSS.

Every side of the comparison (the engage binary, and each peer library's fit in a Python child)
is measured the same way: `os.wait4` returns the resource usage of exactly that child, so a
large earlier child never inflates a later one's peak (as `RUSAGE_CHILDREN` deltas would).
"""
import os
import subprocess
import sys
import time
from dataclasses import dataclass


class CommandFailed(Exception):
    """A measured command exited non-zero; carries its command line and the tail of its output."""

    def __init__(self, argv, returncode, output):
        self.argv = argv
        self.returncode = returncode
        self.output = output
        tail = output[-3000:]
        super().__init__(f"command failed with exit status {returncode}: {' '.join(argv)}\n{tail}")


@dataclass
class Measurement:
    """What one child process did: its output, how long it took and its peak resident memory."""

    argv: list
    wall_seconds: float
    peak_rss_mib: float
    output: str
    returncode: int


def run(argv, cwd=None, env=None, check=True, echo=False):
    """Runs `argv` to completion with stdout and stderr captured together.

    The output goes through a temporary file rather than a pipe so that `os.wait4` can reap the
    child directly without a reader thread; `echo` copies it to our stderr afterwards.
    """
    import tempfile

    with tempfile.TemporaryFile(mode="w+b") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sink.seek(0)
        output = sink.read().decode("utf-8", errors="replace")
    if echo and output:
        sys.stderr.write(output)
    # Linux reports ru_maxrss in KiB.
    measured = Measurement(argv=list(argv), wall_seconds=wall, peak_rss_mib=usage.ru_maxrss / 1024.0,
                           output=output, returncode=process.returncode)
    if check and process.returncode != 0:
        raise CommandFailed(list(argv), process.returncode, output)
    return measured


def core_count():
    """The cores this process may run on (respects CPU affinity and taskset), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
