"""Alternating process runner for the benchmark (bench/measure.ts drives it).

Reads a plan as JSON on stdin: {"rounds": N, "warmup": W, "commands": [{"id", "argv", "cwd"?, "env"?, "unset"?,
"before"?}]}. "before" is an argv run (untimed, to completion) before each run of its command, e.g. to restore a
registry; "{n}" in argv or before is replaced by a number unique to the run (a fresh repository each time).
Each round runs every command once, as whole processes, one after another (A B A B ...; the starting command
rotates each round so neither side always runs first). A command's wall time is measured from spawn to reap,
its CPU time (user + system, all threads) and peak RSS come from wait4's rusage of that very child (ru_maxrss, KiB on Linux): no polling, no
extra process in between. Writes {"samples": {id: [{"ms", "rss_kib"}]}} as JSON on stdout.
"""
import json
import os
import subprocess
import tempfile
import sys
import time

plan = json.load(sys.stdin)
commands = plan["commands"]
samples = {c["id"]: [] for c in commands}
devnull = os.open(os.devnull, os.O_RDWR)
errlog = os.open(tempfile.gettempdir(), os.O_RDWR | os.O_TMPFILE, 0o600)


counter = [0]


def run(cmd):
    counter[0] += 1
    n = str(counter[0])
    cmd = dict(cmd, argv=[a.replace("{n}", n) for a in cmd["argv"]])
    if cmd.get("before"):
        before = [a.replace("{n}", n) for a in cmd["before"]]
        if subprocess.run(before, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).returncode != 0:
            sys.stderr.write(f"runner: before {cmd['id']} failed: {' '.join(before)}\n")
            sys.exit(1)
    env = dict(os.environ)
    env.update(cmd.get("env", {}))
    for name in cmd.get("unset", []):
        env.pop(name, None)
    cwd = cmd.get("cwd")
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        # stderr goes to a scratch file, shown when the command fails (a failed run stops the benchmark).
        os.ftruncate(errlog, 0)
        os.lseek(errlog, 0, os.SEEK_SET)
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, errlog, 2)]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(cmd["argv"][0], cmd["argv"], env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
    finally:
        os.chdir(old)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        os.lseek(errlog, 0, os.SEEK_SET)
        tail = os.read(errlog, 1 << 16).decode("utf-8", "replace")[-4000:]
        sys.stderr.write(f"runner: {cmd['id']} exited with {code}: {' '.join(cmd['argv'])}\n{tail}\n")
        sys.exit(1)
    cpu = (usage.ru_utime + usage.ru_stime) * 1000
    return {"ms": (t1 - t0) / 1e6, "cpu_ms": cpu, "rss_kib": usage.ru_maxrss}


for r in range(plan.get("warmup", 0) + plan["rounds"]):
    k = r % len(commands)
    for cmd in commands[k:] + commands[:k]:
        s = run(cmd)
        if r >= plan.get("warmup", 0):
            samples[cmd["id"]].append(s)

json.dump({"samples": samples}, sys.stdout)
