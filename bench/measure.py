"""Runs one command as a child process and measures it: wall time and the child's own peak RSS.

Every side of the comparison (the engage binary, and each peer library's fit in a Python child)
is measured the same way: rusage_launcher.py, a small process, forks the command and reads its
resource usage with `os.wait4`, so the number is that command's own peak, not inflated by the
driver's memory (Linux carries the peak RSS across exec) nor by an earlier, larger child (as
`RUSAGE_CHILDREN` deltas would be).
"""
import json
import os
import subprocess
import sys
import tempfile
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
    # User + system seconds of the command and the descendants it waited for (wait4's rusage).
    cpu_seconds: float = None


# 1-minute load averages seen at the start of each measured command: how busy the machine was.
load_samples = []

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rusage_launcher.py")


def run(argv, cwd=None, env=None, check=True, echo=False):
    """Runs `argv` to completion with stdout and stderr captured together; `echo` copies the
    output to our stderr afterwards."""
    load_samples.append(os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as scratch:
        result_path = os.path.join(scratch, "rusage.json")
        output_path = os.path.join(scratch, "output.txt")
        with open(output_path, "wb") as sink:
            launcher = subprocess.run([sys.executable, "-S", "-I", LAUNCHER, result_path] + [str(a) for a in argv],
                                      cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        with open(output_path, "rb") as handle:
            output = handle.read().decode("utf-8", errors="replace")
        if launcher.returncode != 0 or not os.path.exists(result_path):
            raise CommandFailed(list(argv), launcher.returncode, "the measuring launcher failed:\n" + output)
        with open(result_path) as handle:
            usage = json.load(handle)
    if echo and output:
        sys.stderr.write(output)
    measured = Measurement(argv=list(argv), wall_seconds=usage["wall_seconds"], peak_rss_mib=usage["peak_rss_kib"] / 1024.0,
                           output=output, returncode=usage["returncode"], cpu_seconds=usage.get("cpu_seconds"))
    if check and measured.returncode != 0:
        raise CommandFailed(list(argv), measured.returncode, output)
    return measured


def core_count():
    """The cores this process may run on (respects CPU affinity and taskset), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
