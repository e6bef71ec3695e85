"""Runs one command from a small process and writes its wall time, peak RSS and CPU time as JSON.

    python -S -I rusage_launcher.py RESULT.json COMMAND [ARG…]

Why a launcher: Linux carries a process's peak RSS across `exec` (the kernel keeps the larger of
the old and new image's high-water marks), so a child forked from the benchmark driver, which
holds pandas and scikit-learn, would report at least the driver's size. This launcher starts
with a few MiB, and the command it forks inherits only that.
"""
import json
import os
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: rusage_launcher.py RESULT.json COMMAND [ARG…]\n")
        return 2
    result_path, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as error:
            os.write(2, f"cannot run {argv[0]}: {error}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as handle:
        # Linux reports ru_maxrss in KiB.
        # cpu_seconds: user + system time of the command and of every descendant it waited for.
        json.dump({"wall_seconds": wall, "peak_rss_kib": usage.ru_maxrss, "returncode": code,
                   "cpu_seconds": usage.ru_utime + usage.ru_stime}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
