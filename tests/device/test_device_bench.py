#!/usr/bin/python3
"""tests/device: the device-budget harness on a short MP3.

(a) A deliberately tight budget (tight_budgets.tsv): the harness exits
    non-zero and prints exactly one FAIL line per exceeded item, each naming
    an item the JSON report marks FAIL, and every tight item is among them.
(b) Two runs on the same input count identical instructions, frame by frame.

    test_device_bench.py WORKDIR

Exit 77 (ctest: skipped) when a cross compiler, qemu-user or lame is missing.
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(ROOT, "tools", "device_bench.py")
TIGHT = os.path.join(HERE, "tight_budgets.tsv")
SECONDS = "2"
# Every limit in tight_budgets.tsv, as the report names the items.
TIGHT_ITEMS = {"instructions_per_audio_second", "share_of_clock_pct",
               "worst_frame_share_of_clock_pct", "state_bytes", "heap_peak_bytes",
               "stack_peak_bytes", "code_bytes", "table_bytes"}


def harness(work, out, extra=()):
    cmd = ["/usr/bin/python3", TOOL, "--budgets", TIGHT, "--build", os.path.join(work, "build"),
           "--out", os.path.join(work, out), "--codecs", "mp3-128-cbr", "--seconds", SECONDS,
           "--no-determinism-check", *extra]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(os.path.join(work, out, "device_bench.json"), encoding="utf-8") as f:
        report = json.load(f)
    return p, report


def main():
    work = sys.argv[1]
    tools = ["mipsel-linux-gnu-gcc", "mipsel-linux-gnu-nm", "qemu-mipsel", "lame", "sox", "cmake", "cc"]
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        print("skipped: missing " + ", ".join(missing))
        return 77
    os.makedirs(work, exist_ok=True)
    failures = []

    # (a) the tight budget
    p, report = harness(work, "run1")
    if p.returncode != 1:
        failures.append(f"tight budget: exit {p.returncode}, expected 1\n{p.stderr}")
    fail_lines = [l for l in p.stdout.splitlines() if l.startswith("FAIL ")]
    (result,) = report["results"]
    failed_items = [i for i in result["items"] if i["status"] == "FAIL"]
    if len(fail_lines) != len(failed_items):
        failures.append(f"{len(fail_lines)} FAIL lines for {len(failed_items)} failed items:\n"
                        + "\n".join(fail_lines))
    if sorted(fail_lines) != sorted(i["message"] for i in failed_items):
        failures.append("FAIL lines differ from the failed items' messages")
    for line in fail_lines:
        if not re.match(r"^FAIL psp-tight mp3-128-cbr: \S.* exceeds the budget \S+|"
                        r"^FAIL psp-tight mp3-128-cbr: \d+ executed instructions the device lacks",
                        line):
            failures.append(f"unclear FAIL line: {line}")
    not_failed = TIGHT_ITEMS - {i["item"] for i in failed_items}
    if not_failed:
        failures.append("tight items that did not fail: " + ", ".join(sorted(not_failed)))
    if result["instructions"] <= 0 or result["decode_calls"] < 50:
        failures.append(f"implausible run: {result['instructions']} instructions, "
                        f"{result['decode_calls']} calls")

    # (b) the same input again: identical counts, frame by frame
    p2, report2 = harness(work, "run2")
    (result2,) = report2["results"]
    if result2["regions"] != result["regions"] or result2["instructions"] != result["instructions"]:
        diff = sum(1 for a, b in zip(result["regions"], result2["regions"]) if a != b)
        failures.append(f"two runs differ: {result['instructions']} vs {result2['instructions']} "
                        f"instructions, {diff} frames differ")
    if result2["checksum"] != result["checksum"]:
        failures.append("two runs decoded different PCM")

    print(f"tight budget: exit {p.returncode}, {len(fail_lines)} FAIL lines")
    for line in fail_lines:
        print("  " + line)
    print(f"determinism: {result['instructions']} and {result2['instructions']} instructions "
          f"in {len(result['regions'])} decode calls")
    for f in failures:
        print("FAILED: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
