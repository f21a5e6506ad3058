#!/usr/bin/env python3
"""tests/batch/batch_tree.py - `segue batch` end to end (docs/batch.md).

Builds a tree of 200 short files at test time (WAV written here, FLAC and
Ogg Vorbis made with sox, MP3 made with `segue convert`), nested folders,
names with spaces, non-ASCII and FAT-illegal characters, plus broken
inputs (random bytes named .flac/.mp3, a truncated FLAC, a zero-length
file, an unreadable file, a WMA and an AIFF-C we refuse) and files to
ignore. Then checks: every good file converted and decodes to its source's
length; every bad one failed with a reason; exit 1; a second run converts
nothing in < 2 s; a content change or a touch re-converts just that file;
--dry-run writes nothing; --delete-orphans removes an orphan's output.

usage: batch_tree.py SEGUE WORKDIR
"""
import json
from concurrent.futures import ThreadPoolExecutor
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import wave

import numpy as np

SEGUE, WORK = sys.argv[1], sys.argv[2]
PROFILE = "psp-mp3"          # MP3 CBR 192k, 44.1 kHz stereo, FAT names
OUT_RATE = 44100
rng = random.Random(1234)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write_wav(path, seconds, rate, channels, seed):
    frames = int(round(seconds * rate))
    t = np.arange(frames) / rate
    freq = 200 + (seed % 50) * 20
    sig = 0.3 * np.sin(2 * np.pi * freq * t)
    data = np.repeat(sig[:, None], channels, axis=1)
    pcm = (data * 32767).astype("<i2").tobytes()
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return frames / rate


def aifc_ima4(path):
    """An AIFF-C with IMA ADPCM ('ima4') compression, which segue refuses."""
    comm = struct.pack(">hIh", 1, 100, 16) + b"\x40\x0d\xac\x44" + b"\0" * 6 + b"ima4" + b"\x04ima4\0"
    ssnd = struct.pack(">II", 0, 0) + bytes(34 * 4)
    body = b"AIFC" + b"FVER" + struct.pack(">II", 4, 0xA2805140)
    body += b"COMM" + struct.pack(">I", len(comm)) + comm
    body += b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    with open(path, "wb") as f:
        f.write(b"FORM" + struct.pack(">I", len(body)) + body)


def run(args, **kw):
    return subprocess.run([SEGUE] + args, capture_output=True, text=True, errors="replace", **kw)


def read_report(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def probe_seconds(path):
    r = run(["probe", "--json", path])
    if r.returncode != 0:
        return None
    info = json.loads(r.stdout)
    return info["frames"] / info["sample_rate"] if info.get("frames", -1) >= 0 else None


def dst_snapshot(dst):
    snap = {}
    for root, _, files in os.walk(dst):
        for name in files:
            p = os.path.join(root, name)
            st = os.stat(p)
            snap[os.path.relpath(p, dst)] = (st.st_size, st.st_mtime_ns)
    return snap


def part_files(dst):
    return [os.path.join(r, n) for r, _, fs in os.walk(dst) for n in fs if ".segue-part-" in n]


# ---- the tree -------------------------------------------------------------
shutil.rmtree(WORK, ignore_errors=True)
SRC, DST = os.path.join(WORK, "src"), os.path.join(WORK, "dst")
SCRATCH = os.path.join(WORK, "scratch")
os.makedirs(SRC)
os.makedirs(SCRATCH)
folders = ["", "Artist One/Album A", "Artist One/Album B", "Ünïcødé Ärtist/日本語", "odd: names?/disc 1",
           "deep/a/b/c/d"]
names = ["Track {:02d}", "Song {:02d} (live)", "Żółć {:02d}", "what? {:02d}", "a<b>c {:02d}", "pipe|star* {:02d}"]
good = {}        # relative source path -> seconds
kinds = ["wav"] * 80 + ["flac"] * 50 + ["mp3"] * 30 + ["ogg"] * 28
for i, kind in enumerate(kinds):
    folder = folders[i % len(folders)]
    name = names[i % len(names)].format(i) + "." + kind
    rel = os.path.join(folder, name)
    path = os.path.join(SRC, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    seconds = rng.choice([0.2, 0.35, 0.5, 0.75, 1.0])
    rate = rng.choice([44100, 48000, 32000]) if kind != "mp3" else 44100
    channels = rng.choice([1, 2])
    if kind == "wav":
        seconds = write_wav(path, seconds, rate, channels, i)
    else:
        tmp = os.path.join(SCRATCH, f"{i}.wav")
        seconds = write_wav(tmp, seconds, rate, channels, i)
        if kind == "mp3":
            r = run(["convert", tmp, path, "--codec", "mp3", "--bitrate", "128"])
            assert r.returncode == 0, r.stderr
        else:
            subprocess.run(["sox", tmp, path], check=True, capture_output=True)
    good[rel] = seconds
# Two names that map to the same FAT name: both must get outputs.
for rel in ["collide/a:b.wav", "collide/a?b.wav", "collide/Case.wav", "collide/case.wav"]:
    os.makedirs(os.path.join(SRC, "collide"), exist_ok=True)
    good[rel] = write_wav(os.path.join(SRC, rel), 0.2, 44100, 2, len(good))

bad = {}
os.makedirs(os.path.join(SRC, "bad"), exist_ok=True)
for rel in ["bad/random.flac", "bad/random.mp3"]:
    with open(os.path.join(SRC, rel), "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(4000)))
    bad[rel] = "corrupt"
tmp = os.path.join(SCRATCH, "long.wav")
write_wav(tmp, 1.0, 44100, 2, 7)
subprocess.run(["sox", tmp, os.path.join(SCRATCH, "long.flac")], check=True)
with open(os.path.join(SCRATCH, "long.flac"), "rb") as f:
    whole = f.read()
with open(os.path.join(SRC, "bad/truncated.flac"), "wb") as f:
    f.write(whole[: len(whole) // 2])
bad["bad/truncated.flac"] = "truncated"
open(os.path.join(SRC, "bad/empty.flac"), "wb").close()
bad["bad/empty.flac"] = "zero-length"
subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=0.3", "-c:a", "wmav2",
                os.path.join(SRC, "bad/windows.wma")], check=True)
bad["bad/windows.wma"] = "unsupported"
aifc_ima4(os.path.join(SRC, "bad/adpcm.aifc"))
bad["bad/adpcm.aifc"] = "unsupported"
unreadable = os.path.join(SRC, "bad/locked.wav")
write_wav(unreadable, 0.2, 44100, 2, 1)
os.chmod(unreadable, 0)
if os.geteuid() == 0:
    print("note: running as root, which can read a chmod 000 file: the unreadable case is skipped")
    os.unlink(unreadable)
else:
    bad["bad/locked.wav"] = "unreadable"

ignored = ["cover.jpg", "Artist One/Album A/folder.JPG", "notes.txt", "Artist One/Album A/rip.log",
           "Artist One/Album A/album.cue", "list.m3u"]
for rel in ignored:
    with open(os.path.join(SRC, rel), "w") as f:
        f.write("not audio\n")
# A symlink loop must not be followed.
os.symlink("..", os.path.join(SRC, "deep", "loop"))
total = len(good) + len(bad) + len(ignored)
print(f"tree: {len(good)} good, {len(bad)} bad, {len(ignored)} ignored = {total} files")
check(total >= 200, "at least 200 files")

# ---- first run --------------------------------------------------------------
report = os.path.join(WORK, "run1.jsonl")
t0 = time.monotonic()
r = run(["batch", SRC, DST, "--profile", PROFILE, "-j", "2", "--report", report])
print(f"run 1: exit {r.returncode} in {time.monotonic() - t0:.2f} s")
check(r.returncode == 1, f"run 1 exits 1 (got {r.returncode}): {r.stderr[-2000:]}")
items = {it["input"]: it for it in read_report(report)}
outputs = set()
# Probe the outputs two at a time (each probe is a process start).
with ThreadPoolExecutor(2) as pool:
    probed = dict(zip(good, pool.map(
        lambda rel: probe_seconds(os.path.join(DST, items[rel]["output"]))
        if rel in items and items[rel]["output"] else None, list(good))))
for rel, seconds in good.items():
    it = items.get(rel)
    check(it is not None and it["status"] == "converted", f"{rel} converted: {it}")
    if not it or it["status"] != "converted":
        continue
    check(it["error"] is None and it["codec"] == "mp3", f"{rel}: report fields")
    out = os.path.join(DST, it["output"])
    check(it["output"] not in outputs, f"{rel}: output name unique")
    outputs.add(it["output"])
    check(not any(c in it["output"] for c in '<>:"\\|?*'), f"{rel}: FAT-safe output name {it['output']}")
    got = probed[rel]
    # Gapless MP3 at 44.1 kHz: the length is the resampled source length,
    # which rounds to within a frame or two of the output rate.
    check(got is not None and abs(got - seconds) <= 2.0 / OUT_RATE,
          f"{rel}: output length {got} vs source {seconds}")
    check(abs(it["input_seconds"] - seconds) <= 1e-6 + 1.0 / 48000, f"{rel}: input_seconds {it['input_seconds']}")
for rel, why in bad.items():
    it = items.get(rel)
    check(it is not None and it["status"] == "failed" and it["error"], f"{rel} ({why}) failed with a reason: {it}")
    if it and it.get("output"):
        check(not os.path.exists(os.path.join(DST, it["output"])), f"{rel}: no output left behind")
for rel in ignored:
    it = items.get(rel)
    check(it is not None and it["status"] == "ignored" and it["output"] is None, f"{rel} ignored: {it}")
check(not part_files(DST), "no temp files after run 1")
check(sum(1 for k in items if k.startswith("deep/loop")) == 0 and "deep/loop" not in items or
      items["deep/loop"]["status"] == "ignored", "symlink loop not followed")

# ---- second run: nothing to do, fast ----------------------------------------
report2 = os.path.join(WORK, "run2.jsonl")
t0 = time.monotonic()
r = run(["batch", SRC, DST, "--profile", PROFILE, "-j", "2", "--report", report2])
elapsed = time.monotonic() - t0
print(f"run 2: exit {r.returncode} in {elapsed:.3f} s")
check(elapsed < 2.0, f"second run under 2 s wall (took {elapsed:.3f} s)")
items2 = {it["input"]: it for it in read_report(report2)}
check(all(items2[rel]["status"] == "up-to-date" for rel in good), "run 2: every good file up to date")
check(r.returncode == 1, "run 2 still exits 1 (the bad files)")

# ---- a content change and a touch each re-convert just that file --------------
changed = sorted(k for k in good if k.endswith(".wav"))[3]
touched = sorted(k for k in good if k.endswith(".flac"))[5]
good[changed] = write_wav(os.path.join(SRC, changed), 0.6, 44100, 2, 999)
future = time.time() + 100
os.utime(os.path.join(SRC, touched), (future, future))

# --dry-run first: reports the change, writes nothing.
before = dst_snapshot(DST)
with open(os.path.join(DST, ".segue-manifest"), "rb") as f:
    manifest_before = f.read()
report_dry = os.path.join(WORK, "dry.jsonl")
r = run(["batch", SRC, DST, "--profile", PROFILE, "--dry-run", "--report", report_dry])
dry = {it["input"]: it for it in read_report(report_dry)}
check(dry[changed]["status"] == "would-convert", f"dry run: {changed} would convert")
# Failed files have no record, so a dry run (which decodes nothing) lists
# them as would-convert too.
would = sorted(k for k, v in dry.items() if v["status"] == "would-convert")
check(would == sorted([changed, touched] + list(bad)), f"dry run: only those two and the bad ones ({would})")
check(dst_snapshot(DST) == before, "dry run leaves DST untouched")
with open(os.path.join(DST, ".segue-manifest"), "rb") as f:
    check(f.read() == manifest_before, "dry run leaves the manifest untouched")

report3 = os.path.join(WORK, "run3.jsonl")
r = run(["batch", SRC, DST, "--profile", PROFILE, "--report", report3])
items3 = {it["input"]: it for it in read_report(report3)}
converted3 = [k for k, v in items3.items() if v["status"] == "converted"]
check(sorted(converted3) == sorted([changed, touched]), f"run 3 converts only the changed and the touched file (got {converted3})")
got = probe_seconds(os.path.join(DST, items3[changed]["output"]))
check(got is not None and abs(got - 0.6) <= 2.0 / OUT_RATE, f"re-converted output has the new length ({got})")

# ---- --delete-orphans --------------------------------------------------------
victim = sorted(k for k in good if k.endswith(".ogg"))[0]
victim_out = os.path.join(DST, items[victim]["output"])
check(os.path.exists(victim_out), "victim output exists")
os.unlink(os.path.join(SRC, victim))
del good[victim]
r = run(["batch", SRC, DST, "--profile", PROFILE])
check(os.path.exists(victim_out), "without --delete-orphans the orphan is kept")
report4 = os.path.join(WORK, "run4.jsonl")
r = run(["batch", SRC, DST, "--profile", PROFILE, "--delete-orphans", "--report", report4])
check(not os.path.exists(victim_out), "--delete-orphans removes the orphan's output")
items4 = read_report(report4)
check([it["status"] for it in items4 if it["output"] == items[victim]["output"]] == ["deleted"],
      "the deletion is reported")
check(all(os.path.exists(os.path.join(DST, items[k]["output"])) for k in good if k != changed),
      "other outputs are kept")
with open(os.path.join(DST, ".segue-manifest"), encoding="utf-8") as f:
    check(items[victim]["output"] not in f.read(), "the orphan's record is gone")

# ---- a corrupt manifest is ignored, never trusted ----------------------------
with open(os.path.join(DST, ".segue-manifest"), "r+b") as f:
    data = bytearray(f.read())
    data[len(data) // 2] ^= 0x01
    f.seek(0)
    f.write(data)
report5 = os.path.join(WORK, "run5.jsonl")
r = run(["batch", SRC, DST, "--profile", PROFILE, "-j", "2", "--report", report5])
check("manifest is corrupt" in r.stderr, "corrupt manifest warned about")
items5 = {it["input"]: it for it in read_report(report5)}
check(all(items5[k]["status"] == "converted" for k in good), "after a corrupt manifest everything is redone")

# ---- usage and missing folders ------------------------------------------------
check(run(["batch", SRC]).returncode == 64, "missing DST: 64")
check(run(["batch", SRC, DST]).returncode == 64, "no profile: 64")
check(run(["batch", SRC, DST, "--profile", PROFILE, "-j", "0"]).returncode == 64, "-j 0: 64")
check(run(["batch", os.path.join(WORK, "nope"), DST, "--profile", PROFILE]).returncode == 66, "SRC missing: 66")
blocker = os.path.join(WORK, "file-not-dir")
open(blocker, "w").close()
check(run(["batch", SRC, os.path.join(blocker, "dst"), "--profile", PROFILE]).returncode == 73,
      "DST cannot be created: 73")

# ---- report strings: invalid UTF-8 and control characters --------------------
odd_src, odd_dst = os.path.join(WORK, "odd-src"), os.path.join(WORK, "odd-dst")
os.makedirs(odd_src)
write_wav(os.path.join(odd_src, "tmp.wav"), 0.2, 44100, 2, 5)
os.rename(os.path.join(os.fsencode(odd_src), b"tmp.wav"),
          os.path.join(os.fsencode(odd_src), b"bad\xff utf8 \x01ctl \"q\".wav"))
odd_report = os.path.join(WORK, "odd.jsonl")
r = run(["batch", odd_src, odd_dst, "--profile", PROFILE, "--report", odd_report])
with open(odd_report, "rb") as f:
    raw = f.read()
check(r.returncode == 0, f"odd names convert ({r.returncode})")
check(b"\x01" not in raw and b"\xff" not in raw, "no raw control or invalid bytes in the report")
odd = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
check(len(odd) == 1 and odd[0]["input"] == 'bad\ufffd utf8 \x01ctl "q".wav', f"report escapes: {odd}")
check(odd and odd[0]["output"] == 'bad\ufffd utf8 _ctl _q_.mp3', f"FAT mapping of odd names: {odd}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
