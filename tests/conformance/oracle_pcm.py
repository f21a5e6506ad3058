#!/usr/bin/python3
"""Oracle test for segue's PCM path: WAV, RF64, AIFF and AIFF-C.

    oracle_pcm.py SEGUE_BINARY FIXTURES_DIR

(a) Every committed fixture is rewritten by ffmpeg and by sox into each
    stored format they can write; segue and ffmpeg then decode each result to
    32-bit float and the bytes must be equal.
(b) WAVs that segue writes (`segue convert --format F`, every F) must read
    back in ffmpeg and sox as the samples segue itself reads from them.
(c) s16 -> f32 -> s16, s24 -> f32 -> s24 (and u8, and s16 -> s24 -> s16)
    round trips through `segue convert` must give back the same data bytes.

ffmpeg and sox are required: a missing tool is a failure, not a skip
(`make test` installs both). Exit status 0 only if every check passed.
"""

import concurrent.futures
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

SEGUE = None
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def text(b):
    return b.decode("utf-8", "replace").strip()


# ---- writers ----------------------------------------------------------------
# (name, extension, ffmpeg output options). ffmpeg picks the WAV header itself:
# WAVE_FORMAT_EXTENSIBLE above 16 bits, more than 2 channels or 48 kHz; fact
# chunks for float; a LIST/INFO chunk always. `-rf64 always` writes RF64/ds64.
FFMPEG_TARGETS = [
    ("ff_wav_u8", "wav", ["-c:a", "pcm_u8", "-f", "wav"]),
    ("ff_wav_s16", "wav", ["-c:a", "pcm_s16le", "-f", "wav"]),
    ("ff_wav_s24", "wav", ["-c:a", "pcm_s24le", "-f", "wav"]),
    ("ff_wav_s32", "wav", ["-c:a", "pcm_s32le", "-f", "wav"]),
    ("ff_wav_f32", "wav", ["-c:a", "pcm_f32le", "-f", "wav"]),
    ("ff_wav_f64", "wav", ["-c:a", "pcm_f64le", "-f", "wav"]),
    ("ff_rf64_s16", "wav", ["-c:a", "pcm_s16le", "-f", "wav", "-rf64", "always"]),
    ("ff_rf64_s24", "wav", ["-c:a", "pcm_s24le", "-f", "wav", "-rf64", "always"]),
    ("ff_rf64_f32", "wav", ["-c:a", "pcm_f32le", "-f", "wav", "-rf64", "always"]),
    # AIFF for big-endian integers; the same muxer switches to AIFF-C for
    # the rest: 'sowt' (s16le), 'fl32', 'fl64', 'raw ' (u8).
    ("ff_aiff_s8", "aiff", ["-c:a", "pcm_s8", "-f", "aiff"]),
    ("ff_aiff_s16", "aiff", ["-c:a", "pcm_s16be", "-f", "aiff"]),
    ("ff_aiff_s24", "aiff", ["-c:a", "pcm_s24be", "-f", "aiff"]),
    ("ff_aiff_s32", "aiff", ["-c:a", "pcm_s32be", "-f", "aiff"]),
    ("ff_aifc_sowt", "aifc", ["-c:a", "pcm_s16le", "-f", "aiff"]),
    ("ff_aifc_fl32", "aifc", ["-c:a", "pcm_f32be", "-f", "aiff"]),
    ("ff_aifc_fl64", "aifc", ["-c:a", "pcm_f64be", "-f", "aiff"]),
    ("ff_aifc_raw_u8", "aifc", ["-c:a", "pcm_u8", "-f", "aiff"]),
]
# 'raw ' (unsigned 8-bit AIFF-C, a QuickTime addition) is rare enough that a
# reader may decline it: segue must then say so with exit 69, not misdecode.
MAY_BE_UNSUPPORTED = {"ff_aifc_raw_u8"}

# sox writes WAVE_FORMAT_EXTENSIBLE itself above 16 bits or 2 channels (with
# a fact chunk), an 18-byte fmt for float; `-t wavpcm` forces the plain
# 16-byte PCM header even for 24/32 bits. `-t aifc` writes 'NONE', 'fl32',
# 'fl64' with a compression name string. -D: no dither, so runs repeat.
SOX_TARGETS = [
    ("sox_wav_u8", "wav", ["-t", "wav", "-e", "unsigned-integer", "-b", "8"]),
    ("sox_wav_s16", "wav", ["-t", "wav", "-e", "signed-integer", "-b", "16"]),
    ("sox_wav_s24", "wav", ["-t", "wav", "-e", "signed-integer", "-b", "24"]),
    ("sox_wav_s32", "wav", ["-t", "wav", "-e", "signed-integer", "-b", "32"]),
    ("sox_wav_f32", "wav", ["-t", "wav", "-e", "floating-point", "-b", "32"]),
    ("sox_wav_f64", "wav", ["-t", "wav", "-e", "floating-point", "-b", "64"]),
    ("sox_wavpcm_s24", "wav", ["-t", "wavpcm", "-e", "signed-integer", "-b", "24"]),
    ("sox_wavpcm_s32", "wav", ["-t", "wavpcm", "-e", "signed-integer", "-b", "32"]),
    ("sox_aiff_s8", "aiff", ["-t", "aiff", "-e", "signed-integer", "-b", "8"]),
    ("sox_aiff_s16", "aiff", ["-t", "aiff", "-e", "signed-integer", "-b", "16"]),
    ("sox_aiff_s24", "aiff", ["-t", "aiff", "-e", "signed-integer", "-b", "24"]),
    ("sox_aiff_s32", "aiff", ["-t", "aiff", "-e", "signed-integer", "-b", "32"]),
    ("sox_aifc_s16", "aifc", ["-t", "aifc", "-e", "signed-integer", "-b", "16"]),
    ("sox_aifc_s24", "aifc", ["-t", "aifc", "-e", "signed-integer", "-b", "24"]),
    ("sox_aifc_fl32", "aifc", ["-t", "aifc", "-e", "floating-point", "-b", "32"]),
    ("sox_aifc_fl64", "aifc", ["-t", "aifc", "-e", "floating-point", "-b", "64"]),
]
# sox 14.4 refuses to read a WAVE_FORMAT_EXTENSIBLE whose valid bits are
# fewer than the container bits ("fmt with padded samples is not supported
# yet"), so it cannot be the writer for that fixture; ffmpeg still is.
SOX_CANNOT_READ = {"fmt_s24_valid20_ext_stereo_32k.wav"}


def fixture_inputs(fixtures_dir):
    names = sorted(n for n in os.listdir(fixtures_dir) if n.endswith(".wav"))
    if len(names) < 10:
        fail("expected the committed fixtures in %s, found %d WAVs" % (fixtures_dir, len(names)))
    return [os.path.join(fixtures_dir, n) for n in names]


# ---- decoding ----------------------------------------------------------------

def segue_f32(path):
    """segue's decode of `path` as raw little-endian f32, or (None, reason)."""
    p = run([SEGUE, "decode", path, "-o", "-", "--format", "f32", "--raw"])
    if p.returncode != 0:
        return None, p.returncode, text(p.stderr)
    return p.stdout, 0, ""


def ffmpeg_f32_many(paths, out_dir, tag):
    """Decodes several files to raw f32 in one ffmpeg process (ffmpeg's start-
    up dominates the run time otherwise). Returns {path: bytes} and stderr."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for p in paths:
        cmd += ["-i", p]
    outs = []
    for i, p in enumerate(paths):
        o = os.path.join(out_dir, "%s_%d.f32" % (tag, i))
        cmd += ["-map", "%d:a:0" % i, "-c:a", "pcm_f32le", "-f", "f32le", o]
        outs.append(o)
    r = run(cmd)
    result = {}
    for p, o in zip(paths, outs):
        if os.path.exists(o):
            with open(o, "rb") as f:
                result[p] = f.read()
    return result, r.returncode, text(r.stderr)


def describe_diff(a, b):
    """Where two f32 byte strings differ, for the failure message."""
    if len(a) != len(b):
        return "lengths differ: %d vs %d bytes" % (len(a), len(b))
    x = np.frombuffer(a, "<f4")
    y = np.frombuffer(b, "<f4")
    bad = np.flatnonzero(x.view("<u4") != y.view("<u4"))
    i = int(bad[0])
    return "%d of %d samples differ; first at sample %d: %r vs %r; max |diff| %g" % (
        len(bad), len(x), i, float(x[i]), float(y[i]),
        float(np.max(np.abs(x[bad].astype(np.float64) - y[bad].astype(np.float64)))))


def probe_json(path):
    p = run([SEGUE, "probe", path, "--json"])
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, text(p.stderr))
    try:
        return json.loads(p.stdout), ""
    except ValueError as e:
        return None, "invalid JSON (%s)" % e


def ffprobe_stream(path):
    p = run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
             "stream=codec_name,sample_rate,channels", "-of", "json", path])
    if p.returncode != 0:
        return None
    streams = json.loads(p.stdout).get("streams") or [None]
    return streams[0]


# ---- (a) files written by ffmpeg and sox, decoded by segue and ffmpeg -------

def oracle_one_input(src, work):
    base = os.path.basename(src)
    stem = os.path.splitext(base)[0]
    d = os.path.join(work, "a_" + stem)
    os.makedirs(d)
    src_info = ffprobe_stream(src)
    if not src_info:
        fail("(a) ffprobe cannot read fixture %s" % base)
        return 0

    files = {}  # name -> path
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src]
    for name, ext, opts in FFMPEG_TARGETS:
        out = os.path.join(d, "%s.%s" % (name, ext))
        cmd += opts + [out]
        files[name] = out
    r = run(cmd)
    if r.returncode != 0:
        fail("(a) ffmpeg could not write the targets for %s: %s" % (base, text(r.stderr)))
        return 0
    if base not in SOX_CANNOT_READ:
        for name, ext, opts in SOX_TARGETS:
            out = os.path.join(d, "%s.%s" % (name, ext))
            r = run(["sox", "-D", "-V1", src] + opts + [out])
            if r.returncode != 0:
                fail("(a) sox %s could not write from %s: %s" % (name, base, text(r.stderr)))
                continue
            files[name] = out

    paths = [src] + [files[n] for n in sorted(files)]
    # Only ffmpeg's exit status counts here, not its messages: for an odd
    # data size ffmpeg's RF64 muxer puts the pad byte into the ds64 data size
    # and its own demuxer then complains about a 1-byte partial packet. The
    # samples are the oracle; segue must drop that partial frame as ffmpeg does.
    ref, rc, err = ffmpeg_f32_many(paths, d, "ff")
    if rc != 0:
        fail("(a) ffmpeg decode of %s's targets: exit %d: %s" % (base, rc, err))
    checked = 0
    for path in paths:
        label = "%s <- %s" % (os.path.basename(path), base)
        name = os.path.splitext(os.path.basename(path))[0]
        got, code, msg = segue_f32(path)
        if got is None:
            if name in MAY_BE_UNSUPPORTED and code == 69 and msg:
                continue
            fail("(a) segue decode %s: exit %d: %s" % (label, code, msg))
            continue
        if path not in ref:
            fail("(a) ffmpeg produced no decode of %s" % label)
            continue
        if got != ref[path]:
            fail("(a) segue != ffmpeg for %s: %s" % (label, describe_diff(got, ref[path])))
            continue
        # The header fields segue reports must agree with the samples.
        info, why = probe_json(path)
        if info is None:
            fail("(a) segue probe %s: %s" % (label, why))
            continue
        ch = int(src_info["channels"])
        rate = int(src_info["sample_rate"])
        frames = len(got) // 4 // ch
        if (info.get("channels"), info.get("sample_rate"), info.get("frames")) != (ch, rate, frames):
            fail("(a) segue probe %s: channels/rate/frames %r/%r/%r, expected %d/%d/%d" % (
                label, info.get("channels"), info.get("sample_rate"), info.get("frames"),
                ch, rate, frames))
            continue
        checked += 1
    return checked


# ---- (b) WAVs written by segue, read by ffmpeg and sox -----------------------

CONVERT_FORMATS = ["u8", "s16", "s24", "s32", "f32", "f64"]
FFMPEG_CODEC = {"u8": "pcm_u8", "s16": "pcm_s16le", "s24": "pcm_s24le", "s32": "pcm_s32le",
                "f32": "pcm_f32le", "f64": "pcm_f64le"}
B_INPUTS = ["sine_440_s16_stereo_44k.wav", "surround51_s16_48k.wav", "hires_s24_stereo_96k.wav",
            "fmt_f32_stereo_32k.wav", "fmt_s32_stereo_32k.wav", "noise_s16_stereo_44k.wav",
            "tags_info_s16_mono_44k.wav"]


def sox_matches(fmt, sox_s32, seg_f32):
    """Compares sox's internal 32-bit samples with segue's float decode.

    sox keeps every sample as a 32-bit integer (full scale 2^31). For 8/16/24-
    bit files that integer is the stored value shifted up, so it equals
    segue's float times 2^31 exactly. For s32 files segue's float is the
    integer rounded to 24 mantissa bits, so float32(sox) must equal it.
    For float files sox converts float to that integer grid, truncating in
    sox 14.4.2 and rounding in later versions, and clips outside [-1, 1):
    one step of 2^-31 is the most that conversion can move a sample, while
    a misread header (offset, byte order, format) moves samples by far more.
    """
    s = np.frombuffer(sox_s32, "<i4")
    f = np.frombuffer(seg_f32, "<f4")
    if len(s) != len(f):
        return "lengths differ: %d vs %d samples" % (len(s), len(f))
    if fmt in ("u8", "s16", "s24"):
        bad = np.flatnonzero(s.astype(np.float64) != f.astype(np.float64) * 2.0 ** 31)
    elif fmt == "s32":
        bad = np.flatnonzero(s.astype(np.float32) != (f * np.float32(2.0 ** 31)))
    else:
        want = np.clip(f.astype(np.float64) * 2.0 ** 31, -2.0 ** 31, 2.0 ** 31 - 1)
        bad = np.flatnonzero(np.abs(s.astype(np.float64) - want) > 1.0)
    if len(bad):
        i = int(bad[0])
        return "%d of %d samples differ; first at %d: sox %d, segue %r" % (
            len(bad), len(s), i, int(s[i]), float(f[i]))
    return None


def segue_writes_one_input(src, work):
    base = os.path.basename(src)
    d = os.path.join(work, "b_" + os.path.splitext(base)[0])
    os.makedirs(d)
    src_info = ffprobe_stream(src)
    outs = {}
    for fmt in CONVERT_FORMATS:
        out = os.path.join(d, "out_%s.wav" % fmt)
        r = run([SEGUE, "convert", src, out, "--format", fmt])
        if r.returncode != 0:
            fail("(b) segue convert %s --format %s: exit %d: %s" % (base, fmt, r.returncode,
                                                                   text(r.stderr)))
            continue
        outs[fmt] = out
    if not outs:
        return 0
    ref, rc, err = ffmpeg_f32_many(list(outs.values()), d, "ff")
    # -v error: anything ffmpeg says about a segue-written header is a defect.
    if rc != 0 or err:
        fail("(b) ffmpeg reading segue's WAVs from %s: exit %d: %s" % (base, rc, err))
    checked = 0
    for fmt, out in outs.items():
        label = "%s --format %s" % (base, fmt)
        info = ffprobe_stream(out)
        want = {"codec_name": FFMPEG_CODEC[fmt], "sample_rate": src_info["sample_rate"],
                "channels": src_info["channels"]}
        if not info or any(info.get(k) != v for k, v in want.items()):
            fail("(b) ffprobe sees %r in segue's %s, expected %r" % (info, label, want))
            continue
        mine, code, msg = segue_f32(out)
        if mine is None:
            fail("(b) segue cannot decode its own %s: exit %d: %s" % (label, code, msg))
            continue
        if out not in ref or ref[out] != mine:
            fail("(b) ffmpeg != segue reading segue's %s: %s" % (
                label, describe_diff(mine, ref.get(out, b""))))
            continue
        # sox: header fields, then the samples as sox's internal integers.
        r = run(["sox", "--i", "-c", out])
        if r.returncode != 0 or text(r.stdout) != str(src_info["channels"]):
            fail("(b) sox --i -c on segue's %s: exit %d, %r %s" % (
                label, r.returncode, text(r.stdout), text(r.stderr)))
            continue
        r = run(["sox", "-V2", out, "-t", "raw", "-e", "signed-integer", "-b", "32", "-"])
        # Two sox warnings are not about the file: "input clipped" (float
        # overs in the fixtures) and "wave header missing extended part of fmt
        # chunk", which sox 14.4 prints for every WAVE_FORMAT_EXTENSIBLE float
        # file: it reads the 22-byte extension, switches to the float subformat,
        # then looks for a cbSize again and finds the chunk used up. It does so
        # for ffmpeg's and sox's own extensible float files too.
        benign = ("clipped", "missing extended part of fmt chunk")
        warnings = [ln for ln in text(r.stderr).splitlines()
                    if ln and not any(b in ln for b in benign)]
        if r.returncode != 0 or warnings:
            fail("(b) sox reading segue's %s: exit %d: %s" % (label, r.returncode,
                                                             "; ".join(warnings)))
            continue
        why = sox_matches(fmt, r.stdout, mine)
        if why:
            fail("(b) sox != segue reading segue's %s: %s" % (label, why))
            continue
        checked += 1
    return checked


# ---- (c) round trips ---------------------------------------------------------

def wav_data(path):
    """(format tag, bits, data bytes) from a RIFF/RF64 WAV, parsed here so the
    comparison does not go through segue's own reader."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] not in (b"RIFF", b"RF64") or b[8:12] != b"WAVE":
        raise ValueError("not a WAV")
    pos, tag, bits, ds64_data = 12, None, None, None
    while pos + 8 <= len(b):
        cid = b[pos:pos + 4]
        size = struct.unpack("<I", b[pos + 4:pos + 8])[0]
        if cid == b"ds64":
            ds64_data = struct.unpack("<Q", b[pos + 16:pos + 24])[0]
        elif cid == b"fmt ":
            tag, _, _, _, _, bits = struct.unpack("<HHIIHH", b[pos + 8:pos + 24])
            if tag == 0xFFFE:
                tag = struct.unpack("<H", b[pos + 32:pos + 34])[0]
        elif cid == b"data":
            if size == 0xFFFFFFFF and ds64_data is not None:
                size = ds64_data
            return tag, bits, b[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


ROUND_TRIPS = [
    # (fixture, via, back): back is the fixture's own stored format.
    ("sine_440_s16_stereo_44k.wav", "f32", "s16"),
    ("noise_s16_stereo_44k.wav", "f32", "s16"),
    ("fmt_s16_stereo_32k.wav", "f32", "s16"),
    ("surround51_s16_48k.wav", "f32", "s16"),
    ("fmt_s24_stereo_32k.wav", "f32", "s24"),
    ("hires_s24_stereo_96k.wav", "f32", "s24"),
    ("fmt_s24_valid20_ext_stereo_32k.wav", "f32", "s24"),
    ("fmt_u8_stereo_32k.wav", "f32", "u8"),
    ("fmt_s16_stereo_32k.wav", "s24", "s16"),
    ("fmt_s16_stereo_32k.wav", "f64", "s16"),
    ("fmt_f32_stereo_32k.wav", "f64", "f32"),
]


def round_trips(fixtures_dir, work):
    d = os.path.join(work, "c")
    os.makedirs(d)
    checked = 0
    for name, via, back in ROUND_TRIPS:
        src = os.path.join(fixtures_dir, name)
        mid = os.path.join(d, "%s.%s.wav" % (name, via))
        out = os.path.join(d, "%s.%s.%s.wav" % (name, via, back))
        label = "%s -> %s -> %s" % (name, via, back)
        ok = True
        for a, b, f in ((src, mid, via), (mid, out, back)):
            r = run([SEGUE, "convert", a, b, "--format", f])
            if r.returncode != 0:
                fail("(c) %s: segue convert %s %s --format %s: exit %d: %s" % (
                    label, os.path.basename(a), os.path.basename(b), f, r.returncode,
                    text(r.stderr)))
                ok = False
                break
        if not ok:
            continue
        try:
            tag0, bits0, data0 = wav_data(src)
            tag1, bits1, data1 = wav_data(out)
        except (ValueError, struct.error) as e:
            fail("(c) %s: cannot parse a WAV: %s" % (label, e))
            continue
        if (tag0, bits0) != (tag1, bits1) or data0 != data1:
            first = next((i for i, (x, y) in enumerate(zip(data0, data1)) if x != y),
                         min(len(data0), len(data1)))
            fail("(c) %s not bit-exact: format %s/%s bits %s/%s, %d vs %d data bytes, "
                 "first difference at byte %d" % (label, tag0, tag1, bits0, bits1, len(data0),
                                                  len(data1), first))
            continue
        # And segue's own reading of both ends agrees.
        a, _, _ = segue_f32(src)
        b, _, _ = segue_f32(out)
        if a is None or a != b:
            fail("(c) %s: segue decodes the ends differently" % label)
            continue
        checked += 1
    return checked


def main(argv):
    global SEGUE
    if len(argv) != 3:
        print("usage: oracle_pcm.py SEGUE_BINARY FIXTURES_DIR", file=sys.stderr)
        return 2
    SEGUE = os.path.abspath(argv[1])
    fixtures_dir = os.path.abspath(argv[2])
    for tool in ("ffmpeg", "ffprobe", "sox"):
        if not shutil.which(tool):
            # A missing oracle is a failure: `make test` installs them.
            print("FAIL: %s not found on PATH (make deps installs it)" % tool)
            return 1
    if not os.access(SEGUE, os.X_OK):
        print("FAIL: %s is not an executable" % SEGUE)
        return 1

    inputs = fixture_inputs(fixtures_dir)
    with tempfile.TemporaryDirectory(prefix="segue-oracle-") as work:
        workers = max(2, min(8, os.cpu_count() or 2))
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            a_jobs = [pool.submit(oracle_one_input, p, work) for p in inputs]
            b_jobs = [pool.submit(segue_writes_one_input, os.path.join(fixtures_dir, n), work)
                      for n in B_INPUTS]
            c_job = pool.submit(round_trips, fixtures_dir, work)
            a = sum(j.result() for j in a_jobs)
            b = sum(j.result() for j in b_jobs)
            c = c_job.result()
    print("(a) %d tool-written files decoded identically by segue and ffmpeg" % a)
    print("(b) %d segue-written WAVs read identically by ffmpeg and sox" % b)
    print("(c) %d of %d round trips bit-exact" % (c, len(ROUND_TRIPS)))
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
