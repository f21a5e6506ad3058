#!/usr/bin/python3
"""EBU Tech 3341 / 3342 test signals measured by `segue probe --loudness`.

usage: ebu_loudness.py SEGUE MAKE_EBU_LOUDNESS_PY OUT_DIR

Generates the signals with tools/make_ebu_loudness.py, measures each with
`segue probe --loudness --json` and checks every expected reading in the
case's JSON sidecar against its tolerance (integrated and M/S +-0.1 LU,
Tech 3342 LRA +-1 LU, true peak +0.2/-0.4 dB). Also checks the gains the
probe derives: ReplayGain 2.0 = -18 - I, R128 = -23 - I (Q7.8 rounded).
"""
import concurrent.futures
import glob
import json
import os
import subprocess
import sys


def main():
    segue, maker, out = sys.argv[1:4]
    subprocess.run([sys.executable, maker, out], check=True)
    sidecars = sorted(glob.glob(os.path.join(out, "*.json")))
    if len(sidecars) < 10:
        print("FAIL: the generator wrote only %d cases" % len(sidecars))
        return 1
    cases = []
    for side in sidecars:
        with open(side) as f:
            cases.append(json.load(f))

    def probe(case):
        return subprocess.run([segue, "probe", "--loudness", "--json",
                               os.path.join(out, case["file"])], capture_output=True, text=True)

    # Two at a time: the machine's two cores, and the sanitizer build is slow.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(probe, cases))
    failures = 0
    for case, res in zip(cases, results):
        if res.returncode != 0:
            print("FAIL %s: exit %d: %s" % (case["case"], res.returncode, res.stderr.strip()))
            failures += 1
            continue
        loud = json.loads(res.stdout)["loudness"]
        for key, nominal in sorted(case["expect"].get("informative", {}).items()):
            print("info %-20s %-20s %8.2f  nominal %.1f (not asserted: %s)" %
                  (case["case"], key, loud[key], nominal, case["document"]))
        for key, exp in sorted(case["expect"].items()):
            if key == "informative":
                continue
            got = loud.get(key)
            lo, hi = exp["value"] - exp["tol_minus"], exp["value"] + exp["tol_plus"]
            ok = got is not None and lo <= got <= hi
            print("%-4s %-20s %-20s %8s  expected %.1f (%.1f .. %.1f)" %
                  ("ok" if ok else "FAIL", case["case"], key,
                   "null" if got is None else "%.2f" % got, exp["value"], lo, hi))
            failures += not ok
        i = loud["integrated_lufs"]
        if i is not None:
            if abs(loud["replaygain_track_gain_db"] - (-18.0 - i)) > 1e-9 or \
               abs(loud["r128_track_gain_db"] - (-23.0 - i)) > 1e-9 or \
               loud["r128_track_gain_q78"] != round(256 * (-23.0 - i)):
                print("FAIL %s: derived gains %r" % (case["case"], loud))
                failures += 1
        if loud["true_peak"] < loud["sample_peak"]:
            print("FAIL %s: true peak below sample peak" % case["case"])
            failures += 1
    print("%d failure(s) over %d cases" % (failures, len(sidecars)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
