#!/usr/bin/env python3
"""Two Python threads converting two files against one thread converting
both, through segue.convert (path to path).

ctypes releases the GIL around each library call, so the two conversions
should overlap on two cores: the parallel wall time should approach half
the serial one while the CPU time stays the same. This is a benchmark, not
a test: it reports medians of alternating runs and asserts nothing.

    SEGUE_LIBRARY=build/libsegue.so PYTHONPATH=bindings/python \
        /usr/bin/python3 bench/bench_python_threads.py [--repeat 5] [--profile store-mp3-v0]

Inputs: two 30 s clips of ../shared/corpus when present, else two 3 s
committed fixtures (said in the output).
"""
import argparse
import json
import os
import statistics
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

        def parallel():
            ts = [threading.Thread(target=segue.convert, args=(src, dst),
                                   kwargs={"profile": args.profile})
                  for src, dst in zip(files, outs)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        serial()  # warm up: page cache, lazy library set-up
        runs = {"serial": [], "parallel": []}
        for _ in range(args.repeat):  # alternate, so drift hits both alike
            runs["serial"].append(timed(serial))
            runs["parallel"].append(timed(parallel))
    med = {k: (statistics.median(w for w, _c in v), statistics.median(c for _w, c in v))
           for k, v in runs.items()}
    result = {
        "inputs": [os.path.relpath(f, REPO) for f in files], "origin": origin,
        "profile": args.profile, "repeat": args.repeat, "cpus": os.cpu_count(),
        "serial_wall_s": med["serial"][0], "serial_cpu_s": med["serial"][1],
        "parallel_wall_s": med["parallel"][0], "parallel_cpu_s": med["parallel"][1],
        "speedup_wall": med["serial"][0] / med["parallel"][0],
        "library": segue.library_path, "version": segue.version(),
    }
    print(f"inputs: {origin}; profile {args.profile}; median of {args.repeat}")
    print(f"one thread, both files : wall {result['serial_wall_s']:.3f} s, "
          f"CPU {result['serial_cpu_s']:.3f} s")
    print(f"two threads, one each  : wall {result['parallel_wall_s']:.3f} s, "
          f"CPU {result['parallel_cpu_s']:.3f} s")
    print(f"speedup (wall)         : {result['speedup_wall']:.2f}x on {os.cpu_count()} CPUs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
