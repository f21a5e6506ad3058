#!/usr/bin/python3
"""Tests of the `segue` command against DESIGN.md's CLI contract.

    test_cli.py SEGUE_BINARY FIXTURES_DIR

Exit codes (sysexits): 0 ok, 64 usage, 65 corrupt or unrecognised input,
66 input cannot be opened, 69 unsupported, 73 output cannot be created,
74 I/O error while writing. Every failure must also say why on stderr and
leave nothing behind: no output, no temporary file. An input is never
modified. Malformed inputs are generated here, not committed.

Each check runs on its own; the script reports every failure and exits 1 if
there was any. ffmpeg is required (a WAV written to a pipe must decode in
it): without it the script fails rather than skips.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

SEGUE = None
FIXTURES = None
WORK = None
FAILURES = []
CHECKS = [0]

# Matches "segue: <something>" on stderr: every error names the program.
MESSAGE = re.compile(r"segue: \S")


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    CHECKS[0] += 1
    if not cond:
        fail(msg)
    return cond


def run(args, stdin=None, stdout=subprocess.PIPE, cwd=None):
    """Runs segue with `args`; stdin is bytes or a file object."""
    kw = {"stdin": stdin} if stdin is not None and not isinstance(stdin, bytes) else {}
    return subprocess.run([SEGUE] + args, input=stdin if isinstance(stdin, bytes) else None,
                          stdout=stdout, stderr=subprocess.PIPE, cwd=cwd, **kw)


def show(args, p):
    err = p.stderr.decode("utf-8", "replace").strip()
    return "`segue %s` -> exit %d, stderr %r" % (" ".join(args), p.returncode, err[:300])


def fixture(name):
    return os.path.join(FIXTURES, name)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fresh_dir(name):
    d = os.path.join(WORK, name)
    os.makedirs(d)
    return d


def listing(d):
    return sorted(os.listdir(d))


def f32_decode(path_or_dash, stdin=None):
    p = run(["decode", path_or_dash, "-o", "-", "--format", "f32", "--raw"], stdin=stdin)
    return p


def ffmpeg_f32(data):
    """ffmpeg's f32 decode of a WAV given as bytes (through a pipe)."""
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "wav", "-i", "pipe:0",
                        "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"],
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p


# ---- WAV builders for malformed inputs ---------------------------------------

def fmt_payload(tag=1, channels=2, rate=44100, block_align=4, bits=16, byte_rate=None):
    if byte_rate is None:
        byte_rate = rate * block_align
    return struct.pack("<HHIIHH", tag, channels, rate, byte_rate, block_align, bits)


def riff(chunks):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunk(cid, payload, declared=None):
    size = len(payload) if declared is None else declared
    pad = b"\x00" if len(payload) & 1 else b""
    return cid + struct.pack("<I", size) + payload + pad


def make_wav(fmt=None, data=bytes(4000), data_declared=None, extra_fmt=b""):
    return riff([chunk(b"fmt ", (fmt or fmt_payload()) + extra_fmt),
                 chunk(b"data", data, data_declared)])


# ---- tests ---------------------------------------------------------------------

VERSION_RE = re.compile(r"^segue \d+\.\d+\.\d+", re.M)


def test_help_and_version():
    for args in (["--help"], ["-h"], ["help"]):
        p = run(args)
        check(p.returncode == 0 and b"usage: segue" in p.stdout, "top-level help: " + show(args, p))
    p = run(["--version"])
    check(p.returncode == 0 and VERSION_RE.search(p.stdout.decode()),
          "--version: " + show(["--version"], p) + " stdout %r" % p.stdout[:80])
    for cmd in ("probe", "decode", "convert"):
        for flag in ("--help", "-h"):
            p = run([cmd, flag])
            check(p.returncode == 0 and p.stdout.startswith(b"usage: segue " + cmd.encode()),
                  "%s %s: %s stdout %r" % (cmd, flag, show([cmd, flag], p), p.stdout[:60]))
        # Every command answers --version, like the top level (the issue asks
        # for --help and --version on each command).
        p = run([cmd, "--version"])
        check(p.returncode == 0 and VERSION_RE.search(p.stdout.decode()),
              "%s --version should print the version and exit 0: %s" % (
                  cmd, show([cmd, "--version"], p)))
    # No command at all is a usage error, with the usage on stderr.
    p = run([])
    check(p.returncode == 64 and b"usage: segue" in p.stderr, "no arguments: " + show([], p))


def test_usage_errors():
    d = fresh_dir("usage")
    src = fixture("sine_440_s16_stereo_44k.wav")
    out = os.path.join(d, "out.wav")
    cases = [
        ["frobnicate"],
        ["--frobnicate"],
        ["--cpu", "pentium", "probe", src],
        ["probe"],
        ["probe", src, "--frobnicate"],
        ["probe", src, src],
        ["decode", src],                       # no -o
        ["decode", src, "-o"],                 # -o without a value
        ["decode", src, "-o", out, "--frobnicate"],
        ["decode", src, "-o", out, "--format", "s8"],
        ["decode", src, "-o", out, "--format"],
        ["convert", src],                      # no OUT
        ["convert", src, out, "--frobnicate"],
        ["convert", src, out, "--format", "s12"],
        ["convert", src, out, "extra"],
        ["convert", src, os.path.join(d, "out.raw")],   # raw needs --format
        ["convert", src, os.path.join(d, "out.xyz")],   # cannot tell the format
        ["convert", src, out, "--codec", "nonsense"],
        ["convert", src, out, "--rate", "0"],
        ["convert", src, out, "--channels", "-2"],
        ["convert", src, "-", "--verify"],     # verify needs a file
    ]
    for args in cases:
        p = run(args)
        check(p.returncode == 64 and MESSAGE.search(p.stderr.decode("utf-8", "replace")),
              "usage error expected (64 + message): " + show(args, p))
    check(listing(d) == [], "usage errors left files behind: %r" % listing(d))


def probe_json(args, stdin=None):
    p = run(["probe"] + args + ["--json"], stdin=stdin)
    if not check(p.returncode == 0, "probe --json: " + show(args, p)):
        return None
    try:
        return json.loads(p.stdout.decode("utf-8"))
    except ValueError as e:
        fail("probe %s --json is not valid JSON (%s): %r" % (args, e, p.stdout[:200]))
        return None


REQUIRED_KEYS = {"container": str, "codec": str, "sample_rate": int, "channels": int,
                 "frames": int, "duration": float, "bit_depth": int, "tags": dict}


def test_probe_json():
    expect = {
        # name: (sample_rate, channels, frames, bit_depth, sample_format, channel_mask)
        "tags_info_s16_mono_44k.wav": (44100, 1, 11025, 16, "s16", None),
        "surround51_s16_48k.wav": (48000, 6, 12000, 16, "s16", 0x3F),
        "fmt_u8_stereo_32k.wav": (32000, 2, 8000, 8, "u8", None),
        "fmt_s24_stereo_32k.wav": (32000, 2, 8000, 24, "s24", None),
        "fmt_s32_stereo_32k.wav": (32000, 2, 8000, 32, "s32", None),
        "fmt_f32_stereo_32k.wav": (32000, 2, 8000, 32, "f32", None),
        "fmt_f64_stereo_32k.wav": (32000, 2, 8000, 64, "f64", None),
        # Extensible with 20 valid bits in 24: the depth is the valid bits.
        "fmt_s24_valid20_ext_stereo_32k.wav": (32000, 2, 8000, 20, "s24", 0x3),
        "mono_8k_s16.wav": (8000, 1, 4000, 16, "s16", None),
        "hires_s24_stereo_96k.wav": (96000, 2, 24000, 24, "s24", None),
        "odd_chunk_s16_mono_44k.wav": (44100, 1, 11025, 16, "s16", None),
    }
    for name, (rate, ch, frames, bits, sfmt, mask) in expect.items():
        info = probe_json([fixture(name)])
        if info is None:
            continue
        for key, typ in REQUIRED_KEYS.items():
            check(isinstance(info.get(key), typ) and not isinstance(info.get(key), bool),
                  "probe %s: key %r missing or not %s: %r" % (name, key, typ.__name__,
                                                             info.get(key)))
        got = (info.get("container"), info.get("codec"), info.get("sample_rate"),
               info.get("channels"), info.get("frames"), info.get("bit_depth"),
               info.get("sample_format"))
        check(got == ("wav", "pcm", rate, ch, frames, bits, sfmt),
              "probe %s: got %r, expected %r" % (name, got, ("wav", "pcm", rate, ch, frames,
                                                             bits, sfmt)))
        check(abs(info.get("duration", -1) - frames / rate) < 1e-6,
              "probe %s: duration %r, expected %r" % (name, info.get("duration"), frames / rate))
        if mask is not None:
            check(info.get("channel_mask") == mask,
                  "probe %s: channel_mask %r, expected %r" % (name, info.get("channel_mask"), mask))

    # LIST/INFO tags map onto the canonical keys (include/segue/metadata.h).
    info = probe_json([fixture("tags_info_s16_mono_44k.wav")])
    want_tags = {"TITLE": ["Sine 440"], "ARTIST": ["Segue Fixture Makers"],
                 "ALBUM": ["Conformance Album"], "COMMENT": ["made by make_fixtures.py"],
                 "DATE": ["2024-05-01"], "GENRE": ["Test Tone"], "TRACKNUMBER": ["7"]}
    if info is not None:
        check(info.get("tags") == want_tags,
              "probe tags: got %r, expected %r" % (info.get("tags"), want_tags))
    # No tags -> an empty object, not a missing key.
    info = probe_json([fixture("sine_1k_s16_mono_48k.wav")])
    if info is not None:
        check(info.get("tags") == {}, "probe untagged file: tags %r" % info.get("tags"))

    # The text form works too and names the rate.
    p = run(["probe", fixture("surround51_s16_48k.wav")])
    check(p.returncode == 0 and b"48000" in p.stdout, "probe (text): " + show(["probe"], p))

    # Tags survive a WAV -> WAV conversion.
    d = fresh_dir("tags")
    out = os.path.join(d, "tagged.wav")
    p = run(["convert", fixture("tags_info_s16_mono_44k.wav"), out])
    if check(p.returncode == 0, "convert tagged file: " + show(["convert"], p)):
        info = probe_json([out])
        if info is not None:
            check(info.get("tags") == want_tags,
                  "tags after convert: got %r, expected %r" % (info.get("tags"), want_tags))


def test_pipes():
    src = fixture("fmt_s24_stereo_32k.wav")
    with open(src, "rb") as f:
        src_bytes = f.read()
    ref = f32_decode(src)
    if not check(ref.returncode == 0 and len(ref.stdout) == 8000 * 2 * 4,
                 "decode to stdout: " + show(["decode", src, "-o", "-"], ref)):
        return
    ref_f32 = ref.stdout

    # probe from stdin: same stream facts as from the file.
    from_file = probe_json([src])
    with open(src, "rb") as f:
        from_pipe = probe_json(["-"], stdin=f)
    keys = ("container", "codec", "sample_rate", "channels", "frames", "bit_depth",
            "sample_format")
    if from_file and from_pipe:
        check(all(from_file.get(k) == from_pipe.get(k) for k in keys),
              "probe - differs from probe FILE: %r vs %r" % (
                  {k: from_pipe.get(k) for k in keys}, {k: from_file.get(k) for k in keys}))

    # decode from stdin (a real pipe, not a seekable redirect) to stdout.
    p = f32_decode("-", stdin=src_bytes)
    check(p.returncode == 0 and p.stdout == ref_f32,
          "decode - -o - --raw from a pipe differs from the file decode: " + show(["decode", "-"], p))

    # A WAV written to a pipe cannot be back-patched; it must still be a WAV
    # ffmpeg decodes to the same samples.
    for args, stdin in ((["decode", src, "-o", "-", "--format", "f32"], None),
                        (["decode", "-", "-o", "-", "--format", "s24"], src_bytes),
                        (["convert", src, "-", "--format", "f32"], None),
                        (["convert", "-", "-", "--format", "s24"], src_bytes)):
        p = run(args, stdin=stdin)
        if not check(p.returncode == 0 and p.stdout[:4] == b"RIFF",
                     "WAV to stdout: " + show(args, p)):
            continue
        ff = ffmpeg_f32(p.stdout)
        check(ff.returncode == 0 and not ff.stderr and ff.stdout == ref_f32,
              "ffmpeg reading the WAV that `segue %s` wrote to a pipe: exit %d, stderr %r, "
              "%d bytes vs %d expected" % (" ".join(args), ff.returncode, ff.stderr[:200],
                                           len(ff.stdout), len(ref_f32)))

    # stdin to a file, and to a file via the default format: the decode help
    # promises s24 for a 24-bit source, whether it comes from a file or a pipe.
    d = fresh_dir("pipes")
    for name, stdin in (("from_file.wav", None), ("from_pipe.wav", src_bytes)):
        out = os.path.join(d, name)
        args = ["decode", "-" if stdin else src, "-o", out]
        p = run(args, stdin=stdin)
        check(p.returncode == 0, "decode to a file: " + show(args, p))
    a, b = (os.path.join(d, n) for n in ("from_file.wav", "from_pipe.wav"))
    if os.path.exists(a) and os.path.exists(b):
        check(sha256(a) == sha256(b),
              "`segue decode - -o OUT` (stdin) wrote a different file than `segue decode FILE "
              "-o OUT` for a 24-bit source: the default output format must follow the source "
              "(s24), as `segue decode --help` says; stdin gives %d bytes, the file %d" % (
                  os.path.getsize(b), os.path.getsize(a)))


def expect_failure(label, args, code, out_dir, stdin=None, allowed=None):
    """Runs a command that must fail with `code` (or one of `allowed`), print a
    message, and leave `out_dir` empty."""
    before = listing(out_dir)
    p = run(args, stdin=stdin)
    codes = allowed or (code,)
    check(p.returncode in codes and MESSAGE.search(p.stderr.decode("utf-8", "replace")),
          "%s: expected exit %s with a message: %s" % (label, "/".join(map(str, codes)),
                                                        show(args, p)))
    check(listing(out_dir) == before,
          "%s: left files behind in the output folder: %r" % (label, listing(out_dir)))
    return p


def test_bad_inputs():
    inp = fresh_dir("bad_in")
    outd = fresh_dir("bad_out")
    with open(fixture("sine_440_s16_stereo_44k.wav"), "rb") as f:
        good = f.read()

    def put(name, data):
        path = os.path.join(inp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    cases = [
        ("missing file", os.path.join(inp, "does-not-exist.wav"), 66),
        ("a directory", inp, 66),
        ("zero-length file", put("empty.wav", b""), 65),
        ("PNG", put("image.wav", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" +
                    bytes(64)), 65),
        ("text", put("notes.wav", b"These are liner notes, not audio.\n" * 20), 65),
        ("truncated header (20 bytes)", put("trunc20.wav", good[:20]), 65),
        ("RIFF but not WAVE", put("avi.wav", b"RIFF" + struct.pack("<I", 100) + b"AVI " +
                                  bytes(100)), 65),
        ("no data chunk", put("nodata.wav", riff([chunk(b"fmt ", fmt_payload())])), 65),
        ("no fmt chunk", put("nofmt.wav", riff([chunk(b"data", bytes(400))])), 65),
        ("fmt size 0xFFFFFFF0", put("hugefmt.wav", riff([
            b"fmt " + struct.pack("<I", 0xFFFFFFF0) + fmt_payload(),
            chunk(b"data", bytes(4000))])), 65),
        ("fmt chunk too short", put("shortfmt.wav", riff([chunk(b"fmt ", fmt_payload()[:10]),
                                                          chunk(b"data", bytes(400))])), 65),
        ("channels 0", put("ch0.wav", make_wav(fmt_payload(channels=0, block_align=0))), 65),
        ("sample rate 0", put("rate0.wav", make_wav(fmt_payload(rate=0))), 65),
        ("block align mismatch", put("align.wav", make_wav(fmt_payload(block_align=3))), 65),
        ("bits per sample 0", put("bits0.wav", make_wav(fmt_payload(bits=0))), 65),
        ("MP3 in WAV (tag 0x0055)", put("mp3.wav", make_wav(
            struct.pack("<HHIIHHH", 0x0055, 2, 44100, 16000, 1, 0, 0))), 69),
        ("unknown format tag 0x1234", put("tag1234.wav", make_wav(
            fmt_payload(tag=0x1234))), 69),
    ]
    out = os.path.join(outd, "out.wav")
    for label, path, code in cases:
        expect_failure(label + " (probe)", ["probe", path], code, outd)
        expect_failure(label + " (decode)", ["decode", path, "-o", out], code, outd)
        expect_failure(label + " (convert)", ["convert", path, out, "--format", "f32"], code,
                       outd)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            expect_failure(label + " (decode from stdin)", ["decode", "-", "-o", out], code,
                           outd, stdin=data)

    # The directory message must not claim the path does not exist.
    p = run(["probe", inp])
    err = p.stderr.decode("utf-8", "replace")
    check("No such file" not in err and "director" in err.lower(),
          "a directory as input should be reported as a directory: %s" % show(["probe", inp], p))

    # Data chunk declaring more bytes than the file has: from a (seekable)
    # file, segue decodes what is there and exits 0, reporting the frames
    # actually present. 4000 bytes of s16 stereo = 1000 frames.
    payload = bytes(range(256)) * 15 + bytes(160)
    short = put("pasteof.wav", make_wav(data=payload, data_declared=400000))
    info = probe_json([short])
    if info is not None:
        check(info.get("frames") == 1000,
              "data past EOF: probe frames %r, expected the 1000 present" % info.get("frames"))
    p = run(["decode", short, "-o", "-", "--format", "s16", "--raw"])
    check(p.returncode == 0 and p.stdout == payload,
          "data past EOF: decode of a file should give the 4000 bytes present: %s, %d bytes" % (
              show(["decode", short], p), len(p.stdout)))
    p = run(["decode", short, "-o", out])
    check(p.returncode == 0 and os.path.exists(out),
          "data past EOF: decode to a file: " + show(["decode", short, "-o", out], p))
    if os.path.exists(out):
        info = probe_json([out])
        check(info is not None and info.get("frames") == 1000,
              "data past EOF: the output WAV should hold 1000 frames: %r" % (
                  info and info.get("frames")))
        os.unlink(out)
    # From a pipe the length cannot be checked up front. DESIGN allows only
    # "decode what is there" (0) or "corrupt input" (65); anything else, e.g.
    # 70 (internal error), is wrong. Either way nothing partial may remain.
    p = run(["decode", "-", "-o", out], stdin=make_wav(data=payload, data_declared=400000))
    ok = check(p.returncode in (0, 65),
               "data past EOF from stdin to a file: expected 0 or 65: " +
               show(["decode", "-", "-o", out], p))
    if ok and p.returncode == 0:
        info = probe_json([out])
        check(info is not None and info.get("frames") == 1000,
              "data past EOF from stdin: output should hold the 1000 frames present: %r" % (
                  info and info.get("frames")))
    elif ok:
        check(listing(outd) == [], "data past EOF from stdin (65) left %r" % listing(outd))
    for n in listing(outd):
        os.unlink(os.path.join(outd, n))
    p = run(["decode", "-", "-o", "-", "--format", "s16", "--raw"],
            stdin=make_wav(data=payload, data_declared=400000))
    check((p.returncode == 0 and p.stdout == payload) or p.returncode == 65,
          "data past EOF, stdin to raw stdout: expected the 4000 bytes present with exit 0, "
          "or 65: %s, %d bytes" % (show(["decode", "-", "-o", "-", "--raw"], p), len(p.stdout)))


def test_bad_outputs():
    d = fresh_dir("outputs")
    src = os.path.join(d, "input.wav")
    shutil.copyfile(fixture("sine_440_s16_stereo_44k.wav"), src)
    digest = sha256(src)

    # A folder that does not exist.
    missing = os.path.join(d, "no-such-folder", "out.wav")
    expect_failure("output in a missing folder", ["convert", src, missing], 73, d)
    expect_failure("decode into a missing folder", ["decode", src, "-o", missing], 73, d)

    # The output is the input, by the same name, another spelling, a symlink.
    os.symlink("input.wav", os.path.join(d, "link.wav"))
    for args in (["convert", src, src],
                 ["convert", src, os.path.join(d, ".", "input.wav")],
                 ["convert", src, os.path.join(d, "link.wav"), "--format", "f32"],
                 ["decode", src, "-o", src],
                 ["decode", src, "-o", src, "--raw", "--format", "s16"]):
        expect_failure("output equal to the input", args, 73, d)
        check(sha256(src) == digest, "the input changed after `segue %s`" % " ".join(args))
    # Relative paths from the input's folder.
    p = subprocess.run([SEGUE, "convert", "input.wav", "./input.wav"], cwd=d,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 73 and sha256(src) == digest,
          "relative output equal to the input: " + show(["convert", "input.wav", "./input.wav"], p))

    # A directory where the output file should be.
    sub = os.path.join(d, "taken.wav")
    os.mkdir(sub)
    expect_failure("output path is a directory", ["convert", src, sub], 73, d)
    check(listing(sub) == [], "output-is-a-directory left files inside it: %r" % listing(sub))

    # Settings this version cannot write (the AAC encoder codes at most
    # 5.1): 69, nothing created.
    for name, extra in (("out.m4a", ["--channels", "8"]), ("out.aac", ["--channels", "7"])):
        expect_failure("unsupported output %s %s" % (name, extra),
                       ["convert", src, os.path.join(d, name)] + extra, 69, d)
    # Options that do not apply, unknown formats: usage errors, nothing created.
    for name, extra in (("out.wav", ["--bitrate", "128"]), ("out.wav", ["--quality", "2"]),
                        ("out.xyz", []), ("out.wav", ["--codec", "nonsense"]),
                        ("out.mp3", ["--format", "s16"]), ("out.wav", ["--compression", "9"])):
        expect_failure("bad option for output %s %s" % (name, extra),
                       ["convert", src, os.path.join(d, name)] + extra, 64, d)
    check(sha256(src) == digest, "the input changed")

    # --verify on a good conversion succeeds and the output is complete.
    for fmt in ("s16", "f32", "s24"):
        out = os.path.join(d, "verified_%s.wav" % fmt)
        p = run(["convert", src, out, "--verify", "--format", fmt])
        if check(p.returncode == 0 and os.path.exists(out),
                 "convert --verify: " + show(["convert", src, out, "--verify"], p)):
            a = f32_decode(src).stdout
            b = f32_decode(out).stdout
            check(len(a) == len(b) and len(a) > 0,
                  "verified output has %d bytes of f32, input %d" % (len(b), len(a)))
    check(not [n for n in listing(d) if "segue" in n or n.startswith(".")],
          "temporary files left: %r" % listing(d))


def test_write_errors():
    src = fixture("sine_440_s16_stereo_44k.wav")
    # Standard output on a full device: a write error, 74, with a message.
    for args in (["decode", src, "-o", "-"], ["convert", src, "-", "--format", "f32"],
                 ["decode", src, "-o", "-", "--raw", "--format", "s16"]):
        with open("/dev/full", "wb") as full:
            p = run(args, stdout=full)
        check(p.returncode == 74 and MESSAGE.search(p.stderr.decode("utf-8", "replace")),
              "stdout on /dev/full: expected 74 with a message: " + show(args, p) + " >/dev/full")

    # A path naming a character device that is full. The temporary-file-and-
    # rename scheme must not replace a device node with a regular file: the
    # write either fails on the device (74) or is refused (73), and the node
    # stays. As root, a private node from mknod is used, so a misbehaving
    # build cannot replace the system's /dev/full; otherwise /dev/full
    # itself, where an unprivileged process cannot create a temporary file.
    d = fresh_dir("devfull")
    dev = os.path.join(d, "full")
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, OSError):
        dev = None
    if dev is None and os.geteuid() != 0:
        dev = "/dev/full"
    if dev is None:
        # Root without CAP_MKNOD: running against /dev/full could replace it.
        fail("cannot create a private full device (mknod refused as root); "
             "the output-to-device check cannot run safely here")
        return
    parent = os.path.dirname(dev)
    before = set(os.listdir(parent))
    for args in (["convert", src, dev, "--codec", "wav"], ["decode", src, "-o", dev]):
        p = run(args)
        try:
            is_dev = stat.S_ISCHR(os.stat(dev).st_mode)
        except OSError:
            is_dev = False
        check(p.returncode in (73, 74) and MESSAGE.search(p.stderr.decode("utf-8", "replace"))
              and is_dev,
              "output to a full character device: expected 73 or 74 with a message and the "
              "device left in place: %s; still a character device: %s" % (show(args, p), is_dev))
        if not is_dev and dev.startswith(WORK):
            os.unlink(dev)
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        left = set(os.listdir(parent)) - before
        check(not left, "output to a full device left %r in %s" % (sorted(left), parent))


def test_simd_levels():
    # --cpu scalar must give the same bytes as the default dispatch: the
    # scalar kernels are the specification (DESIGN.md "SIMD kernels").
    for name, fmt in (("fmt_f32_stereo_32k.wav", "s16"), ("hires_s24_stereo_96k.wav", "s16"),
                      ("noise_s16_stereo_44k.wav", "f32"), ("fmt_s32_stereo_32k.wav", "s24")):
        args = ["decode", fixture(name), "-o", "-", "--raw", "--format", fmt]
        a = run(args)
        b = run(["--cpu", "scalar"] + args)
        check(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout and a.stdout,
              "--cpu scalar differs from the default for %s -> %s" % (name, fmt))


def test_damaged_input_warns():
    """Damage the decoder conceals converts (exit 0, as ffmpeg does) but is
    reported: a CRC-protected MP3 with one frame's side information flipped
    decodes that frame as silence, and the CLI says so on stderr."""
    if not shutil.which("lame"):
        fail("lame not found on PATH (make deps installs it)")
        return
    src = os.path.join(WORK, "crc.mp3")
    subprocess.run(["lame", "--quiet", "-p", "-b", "128", "--nohist", fixture("sine_440_s16_stereo_44k.wav"),
                    src], check=True)
    data = bytearray(open(src, "rb").read())
    # The 10th frame header after the first (Xing/Info) frame: 0xFFFB/0xFFFA
    # sync, protection bit 0 (CRC present) is 0xFA.
    frames = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xFA]
    check(len(frames) > 15, "lame -p wrote %d CRC-protected frame headers" % len(frames))
    if len(frames) <= 15:
        return
    data[frames[10] + 6 + 2] ^= 0x40  # side information, covered by the CRC-16
    bad = os.path.join(WORK, "crc_damaged.mp3")
    open(bad, "wb").write(bytes(data))
    out = os.path.join(WORK, "crc_damaged.wav")
    p = run(["convert", bad, out])
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0, "damaged mp3 converts (exit %d): %s" % (p.returncode, err))
    check("damaged" in err and "1 packet(s) concealed" in err and "CRC mismatch" in err,
          "damaged mp3: the concealment is reported: %r" % err)
    p = run(["convert", src, os.path.join(WORK, "crc_clean.wav")])
    check(p.returncode == 0 and b"damaged" not in p.stderr,
          "an undamaged protected mp3 converts without a damage warning: %r" % p.stderr)


def main(argv):
    global SEGUE, FIXTURES, WORK
    if len(argv) != 3:
        print("usage: test_cli.py SEGUE_BINARY FIXTURES_DIR", file=sys.stderr)
        return 2
    SEGUE = os.path.abspath(argv[1])
    FIXTURES = os.path.abspath(argv[2])
    if not shutil.which("ffmpeg"):
        print("FAIL: ffmpeg not found on PATH (make deps installs it)")
        return 1
    tests = [test_help_and_version, test_usage_errors, test_probe_json, test_pipes,
             test_bad_inputs, test_bad_outputs, test_write_errors, test_simd_levels,
             test_damaged_input_warns]
    with tempfile.TemporaryDirectory(prefix="segue-cli-") as work:
        WORK = work
        for t in tests:
            n = len(FAILURES)
            try:
                t()
            except Exception as e:  # a crash in one test must not hide the others
                fail("%s raised %s: %s" % (t.__name__, type(e).__name__, e))
            print("%s %s" % ("ok  " if len(FAILURES) == n else "FAIL", t.__name__), flush=True)
    print("%d checks, %d failed" % (CHECKS[0], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
