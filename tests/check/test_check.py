#!/usr/bin/python3
"""`segue check` against fixtures/psp (docs/check.md).

usage: test_check.py SEGUE FIXTURES_PSP_DIR WORK_DIR

1. Every row of EXPECTED.tsv: `segue check --device psp --json FILE` gives
   the expected plays flag, exactly the expected fail and warn rule ids, the
   exit code that goes with them, and a fix profile exactly when a finding
   is fixed by converting.
2. The fix works: each fixture that fails or warns for a reason conversion
   can fix, converted with `segue convert --profile psp-mp3`, checks clean.
3. --profile-file overrides the built-in limits (WAV allowed, 16-bit PCM,
   a 128 kbit/s floor, 12-byte names): the rules the built-in keys leave
   untested (pcm_bits, bitrate, filename_length) fire alone.
4. The CLI contract: text output, several files at once, unknown device
   (69, known devices listed), usage errors (64), --help, a missing file.
5. AAC (made at test time with ffmpeg and mutagen): AAC-LC in M4A at
   44.1/48 kHz plays; AAC at 32 kHz, HE-AAC (the object type patched in the
   esds), a fragmented file, ADTS, a PNG or oversized cover each give the
   expected rule; with the aac encoder in the build, `segue convert
   --profile psp` fixes every one of them.
"""
import json
import os
import shutil
import subprocess
import sys

SEGUE, FIXTURES, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([SEGUE] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


def check_json(path, *extra):
    p = run("check", "--device", "psp", "--json", *extra, path)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    if len(lines) != 1:
        failures.append("%s: expected one JSON line, got %r (stderr %r)" % (path, p.stdout, p.stderr))
        return p.returncode, None
    return p.returncode, json.loads(lines[0])


def rule_sets(obj):
    fails = {f["rule"] for f in obj["findings"] if f["verdict"] == "fail"}
    warns = {f["rule"] for f in obj["findings"] if f["verdict"] == "warn"}
    return fails, warns


def load_expected():
    rows = []
    with open(os.path.join(FIXTURES, "EXPECTED.tsv"), encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    for ln in lines[1:]:
        row = dict(zip(header, ln.split("\t")))
        row["fail"] = set() if row["fail"] == "-" else set(row["fail"].split(","))
        row["warn"] = set() if row["warn"] == "-" else set(row["warn"].split(","))
        rows.append(row)
    return rows


def expected_table():
    rows = load_expected()
    check(len(rows) >= 20, "EXPECTED.tsv has %d rows" % len(rows))
    for row in rows:
        if row["made_from"] != "-":
            path = os.path.join(WORK, "names", row["file"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copyfile(os.path.join(FIXTURES, row["made_from"]), path)
        else:
            path = os.path.join(FIXTURES, row["file"])
        rc, obj = check_json(path)
        if obj is None:
            continue
        name = row["file"]
        plays = row["plays"] == "yes"
        fails, warns = rule_sets(obj)
        check(obj["plays"] is plays, "%s: plays %s, expected %s" % (name, obj["plays"], plays))
        check(rc == (0 if plays else 1), "%s: exit %d" % (name, rc))
        check(fails == row["fail"], "%s: fail rules %s, expected %s" % (name, sorted(fails), sorted(row["fail"])))
        check(warns == row["warn"], "%s: warn rules %s, expected %s" % (name, sorted(warns), sorted(row["warn"])))
        check(obj["device"] == "psp" and obj["file"] == path, "%s: device/file fields %r" % (name, obj))
        converts = any(f["remedy"] == "convert" for f in obj["findings"])
        check(obj["fix_profile"] == ("psp-mp3" if converts else None),
              "%s: fix_profile %r" % (name, obj["fix_profile"]))
        for f in obj["findings"]:
            check(len(f["message"]) > 10, "%s: empty message in %r" % (name, f))
    return rows


def the_fix_works(rows):
    """Everything conversion can fix is fixed by the psp-mp3 profile."""
    out_dir = os.path.join(WORK, "converted")
    os.makedirs(out_dir, exist_ok=True)
    fixable = [r for r in rows if r["made_from"] == "-" and (r["fail"] or r["warn"])
               and "readable" not in r["fail"]]
    check(len(fixable) >= 8, "only %d fixable fixtures" % len(fixable))
    for row in fixable:
        src = os.path.join(FIXTURES, row["file"])
        dst = os.path.join(out_dir, os.path.splitext(row["file"])[0] + ".mp3")
        p = run("convert", src, dst, "--profile", "psp-mp3")
        check(p.returncode == 0, "convert --profile psp-mp3 %s: exit %d: %s" % (row["file"], p.returncode,
                                                                               p.stderr.strip()))
        if p.returncode != 0:
            continue
        rc, obj = check_json(dst)
        if obj is None:
            continue
        check(rc == 0 and obj["plays"] is True and obj["findings"] == [],
              "%s converted with psp-mp3 still has findings: %r" % (row["file"], obj["findings"]))


def profile_file_overrides():
    prof = os.path.join(WORK, "psp-wav.profile")
    with open(prof, "w") as f:
        f.write("name = psp-wav-test\ncodec = pcm\ncontainer = wav\ndevice = psp\n"
                "device.containers = mp3 wav\ndevice.codecs = mp3 pcm\ndevice.pcm_bits = 16\n"
                "device.bitrate_min_kbps = 128\ndevice.filename_max_bytes = 12\n")
    cases = [("wav_s24_44k.wav", {"pcm_bits", "filename_length"}),
             ("wav_51_s16_44k.wav", {"channels", "filename_length"}),
             ("plain_mpeg1_44k.mp3", {"bitrate", "filename_length"})]
    for name, want in cases:
        rc, obj = check_json(os.path.join(FIXTURES, name), "--profile-file", prof)
        if obj is None:
            continue
        fails, _ = rule_sets(obj)
        check(fails == want and rc == 1, "profile file, %s: fail %s exit %d, expected %s" %
              (name, sorted(fails), rc, sorted(want)))
    # The user file names the device when --device is absent.
    p = run("check", "--profile-file", prof, os.path.join(FIXTURES, "mpeg1_48k.mp3"))
    check(p.returncode == 1 and "FAIL: will not play on psp" in p.stdout and "filename_length" in p.stdout,
          "profile file without --device: exit %d %r" % (p.returncode, p.stdout))
    bad = os.path.join(WORK, "bad.profile")
    with open(bad, "w") as f:
        f.write("name = bad\ncodec = mp3\ndevice = psp\ndevice.channels_max = two\n")
    p = run("check", "--device", "psp", "--profile-file", bad, os.path.join(FIXTURES, "mpeg1_48k.mp3"))
    check(p.returncode == 65 and p.stdout == "", "invalid profile file: exit %d" % p.returncode)
    p = run("check", "--device", "psp", "--profile-file", os.path.join(WORK, "absent.profile"),
            os.path.join(FIXTURES, "mpeg1_48k.mp3"))
    check(p.returncode == 66, "missing profile file: exit %d" % p.returncode)


def cli_contract():
    good = os.path.join(FIXTURES, "good_mpeg1_44k_stereo_id3v23_cover.mp3")
    bad = os.path.join(FIXTURES, "mpeg2_22k.mp3")
    p = run("check", good, "--device", "psp")
    check(p.returncode == 0 and "OK: plays on psp" in p.stdout, "text, good: %d %r" % (p.returncode, p.stdout))
    p = run("check", "--device", "psp", bad)
    check(p.returncode == 1 and "FAIL: will not play on psp" in p.stdout and
          "sample rate 22050 Hz: psp plays 32000, 44100, 48000 Hz" in p.stdout and
          "--profile psp-mp3" in p.stdout, "text, bad: %d %r" % (p.returncode, p.stdout))
    p = run("check", "--device", "psp", "--json", good, bad, good)
    objs = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    check(p.returncode == 1 and [o["plays"] for o in objs] == [True, False, True],
          "several files: exit %d, %r" % (p.returncode, [o.get("plays") for o in objs]))
    p = run("check", "--device", "psp", good, good)
    check(p.returncode == 0 and p.stdout.count("OK: plays on psp") == 2, "two good files: %d" % p.returncode)
    rc, obj = check_json(os.path.join(WORK, "no such file.mp3"))
    check(rc == 1 and obj is not None and rule_sets(obj)[0] == {"readable"}, "missing file: %d %r" % (rc, obj))
    p = run("check", "--device", "no-such-device", good)
    check(p.returncode == 69 and "psp" in p.stderr and p.stdout == "",
          "unknown device: exit %d, stderr %r" % (p.returncode, p.stderr))
    for args in (["check", good], ["check", "--device", "psp"], ["check", "--device"],
                 ["check", "--device", "psp", "--bogus", good], ["check", "--device", "psp", "-"]):
        p = run(*args)
        check(p.returncode == 64 and p.stdout == "", "usage %r: exit %d" % (args, p.returncode))
    p = run("check", "--help")
    check(p.returncode == 0 and "--device NAME" in p.stdout and "--json" in p.stdout and
          "--profile-file" in p.stdout and "69" in p.stdout, "--help: %d %r" % (p.returncode, p.stdout))


def ffmpeg(*args):
    p = subprocess.run(["ffmpeg", "-v", "error", "-y"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("ffmpeg %r: %s" % (args, p.stderr))


def patch_object_type(path, aot):
    """Rewrites the audio object type (the first 5 bits of the
    AudioSpecificConfig in the esds) in place, sizes unchanged."""
    data = bytearray(open(path, "rb").read())
    at = data.find(b"esds")
    assert at > 0
    o = at + 8  # type, version/flags
    def descr(o, tag):
        assert data[o] == tag, "descriptor %d at %d" % (tag, o)
        o += 1
        n = 0
        for _ in range(4):
            b = data[o]
            o += 1
            n = n << 7 | (b & 0x7F)
            if not b & 0x80:
                break
        return o, n
    o, _ = descr(o, 3)
    o += 3
    o, _ = descr(o, 4)
    o, _ = descr(o + 13, 5)
    data[o] = (aot << 3) | (data[o] & 7)
    open(path, "wb").write(bytes(data))


def aac_cases():
    if not shutil.which("ffmpeg"):
        print("skipped AAC cases: ffmpeg not installed")
        return
    d = os.path.join(WORK, "aac")
    os.makedirs(d)
    src = os.path.join(d, "src.wav")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1", "-ac", "2", src)
    def m4a(name, *args):
        out = os.path.join(d, name)
        ffmpeg("-i", src, *args, out)
        return out
    cases = [
        (m4a("lc_44k.m4a", "-c:a", "aac", "-b:a", "128k"), set(), set()),
        (m4a("lc_48k.m4a", "-ar", "48000", "-c:a", "aac", "-b:a", "128k"), set(), set()),
        (m4a("lc_32k.m4a", "-ar", "32000", "-c:a", "aac"), {"sample_rate"}, set()),
        (m4a("fragmented.m4a", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov",
             "-frag_duration", "200000"), {"mp4_boxes"}, set()),
        (m4a("adts.aac", "-c:a", "aac", "-f", "adts"), {"container"}, set()),
        (m4a("surround_6ch.m4a", "-ac", "6", "-c:a", "aac"), {"channels"}, set()),
    ]
    he = m4a("he_aac.m4a", "-c:a", "aac", "-b:a", "64k")
    patch_object_type(he, 5)
    cases.append((he, {"aac_profile"}, set()))
    try:
        from mutagen.mp4 import MP4, MP4Cover
    except ImportError:
        MP4 = None
        print("skipped AAC cover cases: no mutagen")
    if MP4:
        for name, size, fmt, warn in (("png_cover.m4a", "16x16", "png", "picture_format"),
                                      ("big_cover.m4a", "600x600", "mjpeg", "picture_size"),
                                      ("good_cover.m4a", "300x300", "mjpeg", None)):
            f = m4a(name, "-c:a", "aac")
            pic = os.path.join(d, name + ".img")
            ffmpeg("-f", "lavfi", "-i", "color=c=red:s=" + size, "-frames:v", "1", "-c:v", fmt,
                   "-f", "image2", pic)
            t = MP4(f)
            t["covr"] = [MP4Cover(open(pic, "rb").read(),
                                  MP4Cover.FORMAT_PNG if fmt == "png" else MP4Cover.FORMAT_JPEG)]
            t["\xa9nam"] = ["title"]
            t.save()
            cases.append((f, set(), {warn} if warn else set()))
    for path, want_fail, want_warn in cases:
        rc, obj = check_json(path)
        if obj is None:
            continue
        fails, warns = rule_sets(obj)
        check(fails == want_fail and warns == want_warn and obj["plays"] == (not want_fail) and
              rc == (1 if want_fail else 0),
              "%s: fail %s warn %s exit %d (want fail %s warn %s)" % (os.path.basename(path), sorted(fails),
                                                                      sorted(warns), rc, sorted(want_fail),
                                                                      sorted(want_warn)))
        if "aac_profile" in fails:
            msg = [f["message"] for f in obj["findings"] if f["rule"] == "aac_profile"][0]
            remedy = [f["remedy"] for f in obj["findings"] if f["rule"] == "aac_profile"][0]
            check("HE-AAC" in msg and "lc" in msg and remedy == "none",
                  "aac_profile: %r remedy %r (segue cannot decode HE-AAC to convert it)" % (msg, remedy))
    # The fix: with the aac encoder, --profile psp makes each file play.
    probe = os.path.join(d, "probe.m4a")
    p = run("convert", src, probe, "--profile", "psp")
    if p.returncode == 69 and "no aac encoder in this build" in p.stderr:
        check(not os.path.exists(probe), "a refused conversion left %s" % probe)
        print("skipped the AAC fix: no aac encoder in this build")
        return
    check(p.returncode == 0, "convert --profile psp: %d %r" % (p.returncode, p.stderr))
    for path, want_fail, want_warn in cases:
        if "aac_profile" in want_fail:
            continue  # segue does not decode HE-AAC: nothing to convert from
        out = os.path.join(d, "fixed_" + os.path.basename(path).rsplit(".", 1)[0] + ".m4a")
        p = run("convert", path, out, "--profile", "psp")
        check(p.returncode == 0, "convert %s --profile psp: %d %r" % (path, p.returncode, p.stderr))
        rc, obj = check_json(out)
        check(rc == 0 and obj is not None and not obj["findings"],
              "%s converted with psp still has findings: %r" % (path, obj and obj["findings"]))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rows = expected_table()
    cli_contract()
    profile_file_overrides()
    the_fix_works(rows)
    aac_cases()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("check: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
