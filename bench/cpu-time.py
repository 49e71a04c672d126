#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a PyTorch reference script unchanged and reports the CPU time of its timed sections.

    python3 bench/cpu-time.py SCRIPT [ARGS...]

The reference scripts time each training epoch between two calls of time.perf_counter() and
report tokens per wall-clock second. On a shared machine the wall clock counts the time other
processes held the CPU, so this wrapper also notes the process's CPU time (user + system, every
thread: time.process_time) at each perf_counter call the script's own code makes (calls from
torch or the standard library are left out). Its first 2 * epochs marks bracket the epochs.

The script runs as __main__ with its own arguments; its stdout is untouched. At exit, one line on
stderr: `cpu-time: {"marks": [...], "process_cpu_seconds": x}`.
"""
import json, os, resource, runpy, sys, time

if len(sys.argv) < 2:
    sys.exit(__doc__)
script = os.path.abspath(sys.argv[1])
marks = []
wall_clock = time.perf_counter


def perf_counter():
    if sys._getframe(1).f_code.co_filename == script:
        marks.append(time.process_time())
    return wall_clock()


time.perf_counter = perf_counter
sys.argv = sys.argv[1:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("cpu-time: " + json.dumps({"marks": [round(m, 4) for m in marks], "process_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3)}), file=sys.stderr)
