#!/usr/bin/env python3
"""Two Python threads converting two files against one thread converting
both, through segue.convert (path to path).

ctypes releases the GIL around each library call, so the two conversions
should overlap on two cores: the parallel wall time should approach half
the serial one while the CPU time stays the same. The peer, in the same
process and alternating with it, is the same library loaded a second time
through ctypes.PyDLL, which keeps the GIL during calls: its two threads can
only take turns. On a loaded shared machine the wall times depend on the
CPU share the process gets (with autogroup scheduling a second thread gets
no extra share while other sessions keep the CPUs busy); the load average
is printed with the figures, and the two rows of one run are the
comparison. A figure that does not depend on the share is printed too:
"both runnable", the fraction of samples (taken every 2 ms by a separate
process from /proc/PID/task/TID/stat) in which both converting threads were
running or waiting only for a CPU. Threads that take turns on the GIL show
one of them asleep; threads that run the library concurrently show both. This is a
benchmark, not a test: it reports medians and asserts nothing.

    SEGUE_LIBRARY=build/libsegue.so PYTHONPATH=bindings/python \
        /usr/bin/python3 bench/bench_python_threads.py [--repeat 5] [--profile store-mp3-v0]

Inputs: two 30 s clips of ../shared/corpus when present, else two 3 s
committed fixtures (said in the output).
"""
import argparse
import contextlib
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))

import segue  # noqa: E402


def inputs():
    corpus = os.path.join(REPO, "..", "shared", "corpus")
    names = ["orchestral_dense.flac", "drums_acoustic.flac"]
    if all(os.path.exists(os.path.join(corpus, n)) for n in names):
        return [os.path.join(corpus, n) for n in names], "../shared/corpus (30 s each)"
    demo = os.path.join(REPO, "fixtures", "demo")
    return ([os.path.join(demo, "chord_s16_stereo_44k.wav"),
             os.path.join(demo, "sweep_s24_mono_48k.wav")],
            "skipped ../shared/corpus: not present; fixtures/demo (3 s each)")


@contextlib.contextmanager
def gil_held():
    """Routes the bindings through a PyDLL handle (GIL kept) for a while."""
    from segue import _batch, _core, _lib
    peer = _lib.declare(ctypes.PyDLL(_lib.library_path))
    saved = _lib.lib, _core.L, _batch.L
    _lib.lib = _core.L = _batch.L = peer
    try:
        yield
    finally:
        _lib.lib, _core.L, _batch.L = saved


SAMPLER = r"""
import sys, time
pid = sys.argv[1]
tids = sys.stdin.readline().split()
both = total = 0
import select
while not select.select([sys.stdin], [], [], 0.002)[0]:
    states = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            states.append("X")
    total += 1
    both += all(s == "R" for s in states)
print(both, total)
"""


def both_runnable(run_threads):
    """Runs run_threads(ready) with a sampler process watching the threads'
    scheduler states; returns the fraction of samples with both runnable."""
    sampler = subprocess.Popen([sys.executable, "-c", SAMPLER, str(os.getpid())],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ready(tids):
        sampler.stdin.write(" ".join(map(str, tids)) + "\n")
        sampler.stdin.flush()

    try:
        run_threads(ready)
    finally:
        out, _ = sampler.communicate("stop\n")
    both, total = map(int, out.split())
    return both / total if total else float("nan")


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", default="store-mp3-v0")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    files, origin = inputs()
    with tempfile.TemporaryDirectory() as tmp:
        outs = [os.path.join(tmp, f"{i}.out.mp3") for i in range(len(files))]

        def serial():
            for src, dst in zip(files, outs):
                segue.convert(src, dst, profile=args.profile)

        def parallel(ready=None):
            ids = []
            go = threading.Event()
            barrier = threading.Barrier(len(files) + 1)

            def one(src, dst):
                ids.append(threading.get_native_id())
                barrier.wait()
                go.wait()
                segue.convert(src, dst, profile=args.profile)

            ts = [threading.Thread(target=one, args=(src, dst)) for src, dst in zip(files, outs)]
            for t in ts:
                t.start()
            barrier.wait()
            if ready:
                ready(ids)
            go.set()
            for t in ts:
                t.join()

        serial()  # warm up: page cache, lazy library set-up
        modes = {"released": contextlib.nullcontext, "held": gil_held}
        runs = {(m, k): [] for m in modes for k in ("serial", "parallel")}
        overlap = {m: [] for m in modes}
        for _ in range(args.repeat):  # alternate, so drift hits all alike
            for m, ctx in modes.items():
                with ctx():
                    runs[(m, "serial")].append(timed(serial))
                    runs[(m, "parallel")].append(timed(parallel))
            for m, ctx in modes.items():  # a separate, sampled parallel run
                with ctx():
                    overlap[m].append(both_runnable(parallel))
    med = {k: (statistics.median(w for w, _c in v), statistics.median(c for _w, c in v))
           for k, v in runs.items()}
    result = {
        "inputs": [os.path.relpath(f, REPO) for f in files], "origin": origin,
        "profile": args.profile, "repeat": args.repeat, "cpus": os.cpu_count(),
        "loadavg_1min": os.getloadavg()[0],
        "library": segue.library_path, "version": segue.version(),
    }
    for m in modes:
        sw, sc = med[(m, "serial")]
        pw, pc = med[(m, "parallel")]
        result[m] = {"serial_wall_s": sw, "serial_cpu_s": sc, "parallel_wall_s": pw,
                     "parallel_cpu_s": pc, "speedup_wall": sw / pw,
                     "both_runnable": statistics.median(overlap[m])}
    print(f"inputs: {origin}; profile {args.profile}; median of {args.repeat}; "
          f"{os.cpu_count()} CPUs, load average {result['loadavg_1min']:.1f}")
    print("| GIL during calls | one thread, both files: wall / CPU s "
          "| two threads: wall / CPU s | speedup (wall) | both runnable |")
    print("|---|---:|---:|---:|---:|")
    for m, label in (("released", "released (ctypes.CDLL, the bindings)"),
                     ("held", "held (ctypes.PyDLL, peer)")):
        r = result[m]
        print(f"| {label} | {r['serial_wall_s']:.3f} / {r['serial_cpu_s']:.3f} "
              f"| {r['parallel_wall_s']:.3f} / {r['parallel_cpu_s']:.3f} "
              f"| {r['speedup_wall']:.2f}x | {100 * r['both_runnable']:.0f}% |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
