#!/usr/bin/env python3
"""`segue profiles`: the table, --json (parsed with json), NAME (the file
text, which must agree with --json), and the usage errors.

usage: test_profiles_cli.py SEGUE PROFILE_DIR
"""
import json
import os
import re
import subprocess
import sys


def run(segue, *args):
    p = subprocess.run([segue, "profiles", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    segue, profile_dir = sys.argv[1], sys.argv[2]
    files = sorted(f[:-len(".profile")] for f in os.listdir(profile_dir) if f.endswith(".profile"))
    assert files, "no built-in profile files"
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    # --json: one entry per built-in file, with every key.
    rc, out, err = run(segue, "--json")
    check(rc == 0, f"--json exit {rc}: {err}")
    doc = json.loads(out)
    profiles = doc["profiles"]
    names = [p["name"] for p in profiles]
    check(sorted(names) == files, f"--json names {names} != files {files}")
    check(len(set(names)) == len(names), "duplicate names")
    digests = set()
    for p in profiles:
        s = p["settings"]
        check(s.get("name") == p["name"], f"{p['name']}: settings.name")
        check("codec" in s, f"{p['name']}: no codec")
        check(re.fullmatch(r"[0-9a-f]{64}", p["digest"]) is not None, f"{p['name']}: digest")
        check(p["description"] == s.get("description", ""), f"{p['name']}: description")
        check(re.fullmatch(r"[a-z0-9]+", p["extension"]) is not None, f"{p['name']}: extension")
        digests.add(p["digest"])
        # NAME prints the file: its key = value lines equal the settings.
        rc, text, err = run(segue, p["name"])
        check(rc == 0, f"profiles {p['name']}: exit {rc}")
        with open(os.path.join(profile_dir, p["name"] + ".profile"), encoding="utf-8") as f:
            check(text == f.read(), f"profiles {p['name']}: not the file's text")
        pairs = {}
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                k, v = line.split("=", 1)
                pairs[k.strip()] = v.strip()
        check(pairs == s, f"profiles {p['name']}: file keys differ from --json settings")
        # NAME --json: just that one.
        rc, one, err = run(segue, "--json", p["name"])
        check(rc == 0 and json.loads(one)["profiles"] == [p], f"profiles --json {p['name']}")
    check(len(digests) == len(profiles), "digests not distinct")

    psp = next((p for p in profiles if p["name"] == "psp-mp3"), None)
    check(psp is not None and psp["settings"].get("device") == "psp", "psp-mp3 device")

    # The table: a header and one row per profile, name first.
    rc, out, err = run(segue)
    check(rc == 0, f"table exit {rc}")
    rows = out.splitlines()
    check(rows and rows[0].split()[:2] == ["NAME", "CODEC"], f"table header: {rows[:1]}")
    check(sorted(r.split()[0] for r in rows[1:]) == files, "table rows")
    for r in rows[1:]:
        p = next(p for p in profiles if p["name"] == r.split()[0])
        check(r.split()[1] == p["settings"]["codec"], f"table codec for {p['name']}")
        check(r.endswith(p["description"]), f"table description for {p['name']}")

    # Usage.
    rc, out, err = run(segue, "--help")
    check(rc == 0 and "usage: segue profiles" in out and "--json" in out, "--help")
    rc, out, err = run(segue, "no-such-profile")
    check(rc == 64 and "no-such-profile" in err and out == "", f"unknown NAME: {rc} {err}")
    rc, out, err = run(segue, "--bogus")
    check(rc == 64 and "--bogus" in err, f"unknown option: {rc}")
    rc, out, err = run(segue, "psp-mp3", "web-opus-128")
    check(rc == 64, f"two NAMEs: {rc}")

    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        return 1
    print(f"ok: {len(profiles)} profiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
