#!/usr/bin/env python3
"""tests/batch/batch_signals.py - `segue batch` interrupted (docs/batch.md).

SIGKILL part-way: no partial file at any output name (each one decodes to
its source's full length), only hidden *.segue-part-* temp files may be
left, and the next run removes them and completes the work. SIGINT
part-way: exit 130 and no temp files left. SIGTERM: exit 143.

usage: batch_signals.py SEGUE WORKDIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import wave

import numpy as np

SEGUE, WORK = sys.argv[1], sys.argv[2]
PROFILE = "psp-mp3"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write_wav(path, seconds, seed):
    rate = 48000  # resampled to 44.1 kHz: more work per file
    t = np.arange(int(seconds * rate)) / rate
    sig = 0.3 * np.sin(2 * np.pi * (300 + seed) * t)
    pcm = (np.repeat(sig[:, None], 2, axis=1) * 32767).astype("<i2").tobytes()
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


def outputs(dst):
    """Visible files at output names (not our hidden temp/manifest/lock)."""
    return [os.path.join(r, n) for r, _, fs in os.walk(dst) for n in fs if not n.startswith(".")]


def part_files(dst):
    return [os.path.join(r, n) for r, _, fs in os.walk(dst) for n in fs if ".segue-part-" in n]


def decoded_seconds(path):
    r = subprocess.run([SEGUE, "probe", "--json", path], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    info = json.loads(r.stdout)
    return info["frames"] / info["sample_rate"]


def start_and_wait(dst, min_outputs, timeout=40.0):
    proc = subprocess.Popen([SEGUE, "batch", SRC, dst, "--profile", PROFILE, "-j", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.isdir(dst) and len(outputs(dst)) >= min_outputs:
            return proc
        time.sleep(0.005)
    return proc


shutil.rmtree(WORK, ignore_errors=True)
SRC = os.path.join(WORK, "src")
os.makedirs(os.path.join(SRC, "sub"))
SECONDS = 2.0
COUNT = 30
for i in range(COUNT):
    write_wav(os.path.join(SRC, "sub" if i % 2 else "", f"t{i:03d}.wav"), SECONDS, i)

# ---- SIGKILL ------------------------------------------------------------------
dst = os.path.join(WORK, "killed")
proc = start_and_wait(dst, 3)
if proc.poll() is not None:
    print("note: the run finished before it could be killed; the kill case is not exercised")
else:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = outputs(dst)
    print(f"killed after {len(done)} outputs; {len(part_files(dst))} temp files left")
    check(0 < len(done) < COUNT, "killed part-way")
    for path in done:
        got = decoded_seconds(path)
        check(got is not None and abs(got - SECONDS) <= 2.0 / 44100, f"{path}: complete after SIGKILL ({got})")
    leftovers = [p for r, _, fs in os.walk(dst) for p in fs if p.startswith(".") and
                 p not in (".segue-manifest", ".segue-lock") and ".segue-part-" not in p]
    check(not leftovers, f"only hidden temp files besides outputs: {leftovers}")
r = subprocess.run([SEGUE, "batch", SRC, dst, "--profile", PROFILE, "-j", "2"], capture_output=True, text=True)
check(r.returncode == 0, f"the next run completes (exit {r.returncode}): {r.stderr[-1000:]}")
check(len(outputs(dst)) == COUNT, f"all {COUNT} outputs after the next run ({len(outputs(dst))})")
check(not part_files(dst), "no *.segue-part-* files after the next run")
for path in outputs(dst):
    got = decoded_seconds(path)
    check(got is not None and abs(got - SECONDS) <= 2.0 / 44100, f"{path}: complete ({got})")

# ---- SIGINT and SIGTERM ---------------------------------------------------------
for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
    dst = os.path.join(WORK, f"sig{int(sig)}")
    proc = start_and_wait(dst, 2)
    if proc.poll() is not None:
        print(f"note: the run finished before signal {int(sig)}; case not exercised")
        continue
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        check(False, f"signal {int(sig)}: the run stops promptly")
        continue
    check(proc.returncode == code, f"signal {int(sig)}: exit {code} (got {proc.returncode})")
    check(not part_files(dst), f"signal {int(sig)}: no temp files left")
    for path in outputs(dst):
        got = decoded_seconds(path)
        check(got is not None and abs(got - SECONDS) <= 2.0 / 44100, f"{path}: complete ({got})")
    check(len(outputs(dst)) < COUNT, f"signal {int(sig)}: stopped before the end")
    # The finished work is kept: a rerun converts only the rest.
    r = subprocess.run([SEGUE, "batch", SRC, dst, "--profile", PROFILE, "-j", "2"], capture_output=True,
                       text=True)
    check(r.returncode == 0 and len(outputs(dst)) == COUNT, f"signal {int(sig)}: rerun completes")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
