#!/usr/bin/python3
"""tests/engine/engine_cli.py - the transcode stages through `segue convert`.

usage: engine_cli.py SEGUE WORKDIR CASE

Every input is generated here with numpy (written as WAV by this script) and
every output is read back by this script's own WAV reader, or decoded by
`segue decode` first, so each check compares samples, not sizes.
"""
import math
import os
import struct
import subprocess
import sys
from fractions import Fraction

import numpy as np

SEGUE = sys.argv[1]
WORK = sys.argv[2]
CASE = sys.argv[3]
os.makedirs(WORK, exist_ok=True)
RNG = np.random.default_rng(20261121)


def path(name):
    return os.path.join(WORK, CASE + "-" + name)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- WAV writing and reading ------------------------------------------------

def write_wav(name, samples, rate, fmt="s16", mask=None):
    """samples: float array (frames, channels) in [-1, 1)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    frames, ch = samples.shape
    if fmt == "s16":
        data = np.clip(np.round(samples * 32768), -32768, 32767).astype("<i2").tobytes()
        bits, tag = 16, 1
    elif fmt == "s24":
        ints = np.clip(np.round(samples * 8388608), -8388608, 8388607).astype("<i4")
        raw = ints.reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3]
        data = raw.tobytes()
        bits, tag = 24, 1
    elif fmt == "f32":
        data = samples.astype("<f4").tobytes()
        bits, tag = 32, 3
    else:
        raise ValueError(fmt)
    block = ch * bits // 8
    if mask is not None or ch > 2:
        sub = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt_chunk = struct.pack("<HHIIHHHHI", 0xFFFE, ch, rate, rate * block, block, bits, 22,
                                bits, mask or 0) + sub
    else:
        fmt_chunk = struct.pack("<HHIIHH", tag, ch, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    body += b"data" + struct.pack("<I", len(data)) + data
    p = path(name)
    with open(p, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    return p


def read_wav(p):
    """Returns (float array (frames, channels), rate, bits, is_float)."""
    with open(p, "rb") as f:
        b = f.read()
    check(b[:4] in (b"RIFF", b"RF64") and b[8:12] == b"WAVE", p + ": not a WAV file")
    pos = 12
    fmt = None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        body = b[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            if size == 0xFFFFFFFF:
                body = b[pos + 8:]
            tag, ch, rate, bits = fmt
            if tag == 3:
                x = np.frombuffer(body, dtype="<f4" if bits == 32 else "<f8").astype(np.float64)
            elif bits == 16:
                x = np.frombuffer(body, dtype="<i2") / 32768.0
            elif bits == 24:
                u = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
                v = u[:, 0] | (u[:, 1] << 8) | (u[:, 2] << 16)
                v = np.where(v >= 1 << 23, v - (1 << 24), v)
                x = v / 8388608.0
            elif bits == 32:
                x = np.frombuffer(body, dtype="<i4") / 2147483648.0
            else:
                fail("unexpected bits %d" % bits)
            return x.reshape(-1, ch), rate, bits, tag == 3
        pos += 8 + size + (size & 1)
    fail(p + ": no data chunk")


def run(args, stdin=None, expect=0):
    r = subprocess.run([SEGUE] + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    err = r.stderr.decode(errors="replace")
    ok = r.returncode == expect if isinstance(expect, int) else r.returncode in expect
    if not ok:
        fail("segue %s: exit %d (expected %s): %s" % (" ".join(args), r.returncode, expect, err))
    return r.stdout, err


def decode(p, fmt="f32"):
    out = p + ".dec.wav"
    run(["decode", p, "-o", out, "--format", fmt])
    return read_wav(out)[0]


def noise(frames, ch, amp=0.5):
    return RNG.uniform(-amp, amp, size=(frames, ch))


def tone(frames, rate, freqs, amp=0.5):
    t = np.arange(frames) / rate
    return np.stack([amp * np.sin(2 * np.pi * f * t) for f in freqs], axis=1)


def frames_of(seconds, rate):
    """A decimal time in frames, rounded half up (what --start does)."""
    x = Fraction(seconds) * rate
    return int(math.floor(x + Fraction(1, 2)))


def round_half_up_frames(frames, in_rate, out_rate):
    return (frames * out_rate + in_rate // 2) // in_rate


# ---- cases --------------------------------------------------------------------

def case_trim():
    rate = 44100
    src = noise(5 * rate + 17, 2)
    p = write_wav("src.wav", src, rate)
    ref = np.round(src * 32768) / 32768
    start, dur = round(1.25 * rate), 2 * rate
    for opts in (["--start", "1.25", "--duration", "2"], ["--start", "0:01.25", "--duration", "0:0:2.0"]):
        out = path("trim.wav")
        run(["convert", p, out] + opts)
        got = read_wav(out)[0]
        check(got.shape == (dur, 2), "trim length %s, expected %d" % (got.shape, dur))
        check(np.array_equal(got, ref[start:start + dur]), "trimmed samples differ from the source")
    # Unseekable input: the start is reached by reading and discarding.
    with open(p, "rb") as f:
        run(["convert", "-", path("pipe.wav"), "--start", "1.25", "--duration", "2"], stdin=f)
    got = read_wav(path("pipe.wav"))[0]
    check(np.array_equal(got, ref[start:start + dur]), "trim from a pipe differs")
    # To the end, and into FLAC (lossless: compare after decoding).
    run(["convert", p, path("tail.flac"), "--start", "4.5"])
    got = decode(path("tail.flac"))
    check(np.array_equal(got, ref[round(4.5 * rate):]), "trim to the end in FLAC differs")
    # Rounding: 1 ms at 44.1 kHz is 44.1 frames -> 44; 0.5 ms is 22.05 -> 22.
    run(["convert", p, path("r.wav"), "--start", "0.0015", "--duration", "0.001"])
    got = read_wav(path("r.wav"))[0]
    check(np.array_equal(got, ref[66:66 + 44]), "--start/--duration rounding")
    # Past the end: an error, and no output left behind.
    out = path("past.wav")
    _, err = run(["convert", p, out, "--start", "6"], expect=(64, 65))
    check("past the end" in err, "message for --start past the end: " + err)
    check(not os.path.exists(out), "an output was left behind")
    with open(p, "rb") as f:
        run(["convert", "-", out, "--start", "1:00"], stdin=f, expect=(64, 65))
    check(not os.path.exists(out), "an output was left behind (pipe)")
    for bad in ("1:60", "x", "1.", "-3", "1:2:3:4"):
        run(["convert", p, out, "--start", bad], expect=64)
    # A truncated input converts what is there and says so; a trim that
    # stays inside what is there does not warn.
    run(["convert", p, path("whole.flac")])
    with open(path("whole.flac"), "rb") as f:
        data = f.read()
    with open(path("cut.flac"), "wb") as f:
        f.write(data[:len(data) // 2])
    _, err = run(["convert", path("cut.flac"), path("cut.wav")])
    check("truncated" in err, "no warning for a truncated input: " + err)
    _, err = run(["convert", path("cut.flac"), path("cut.wav"), "--duration", "0.5"])
    check("truncated" not in err, "warning for a trim inside the data: " + err)


def case_fade():
    rate = 44100
    src = np.full((3 * rate, 2), 0.5)
    src[:, 1] = -0.25
    p = write_wav("src.wav", src, rate, fmt="f32")
    out = path("fade.wav")
    run(["convert", p, out, "--fade-in", "100", "--fade-out", "200"])
    got = read_wav(out)[0]
    check(got.shape == src.shape, "fade changed the length")
    env = got / src
    fin, fout = round(0.1 * rate), round(0.2 * rate)
    check(np.all(got[0] == 0), "first sample is not 0")
    check(np.all(got[-1] == 0), "last sample is not 0")
    check(np.all(np.diff(env[:fin + 1, 0]) >= 0), "fade-in envelope is not monotonic")
    check(np.all(np.diff(env[-fout:, 0]) <= 0), "fade-out envelope is not monotonic")
    check(np.allclose(env[:, 0], env[:, 1]), "channels faded differently")
    check(np.array_equal(got[fin:-fout], src[fin:-fout]), "the middle was changed")
    check(env[fin // 2, 0] > 0.1 and env[fin // 2, 0] < 0.95, "fade-in midpoint")
    # --fade both ends, with a trim: the fade-out ends at the trimmed end.
    run(["convert", p, out, "--fade", "50", "--start", "1", "--duration", "1"])
    got = read_wav(out)[0]
    check(len(got) == rate, "trimmed fade length")
    check(np.all(got[0] == 0) and np.all(got[-1] == 0), "fade with trim: ends not 0")
    check(np.array_equal(got[2205:-2205], src[rate + 2205:2 * rate - 2205]), "fade with trim: middle")


def case_gain():
    rate = 48000
    src = noise(rate, 2, 0.3)
    p = write_wav("src.wav", src.astype(np.float32), rate, fmt="f32")
    out = path("gain.wav")
    run(["convert", p, out, "--gain", "-6"])
    got = read_wav(out)[0]
    ref = src.astype(np.float32).astype(np.float64)
    check(np.allclose(got, ref * 10 ** (-6 / 20), rtol=1e-6, atol=1e-9), "gain -6 dB")
    run(["convert", p, out, "--gain", "3.5"])
    got = read_wav(out)[0]
    check(np.allclose(got, ref * 10 ** (3.5 / 20), rtol=1e-6, atol=1e-9), "gain +3.5 dB")
    run(["convert", p, out, "--gain", "loud"], expect=64)


def coefficients(out, src_tones, rate, freqs):
    """Least-squares amplitude of each source tone in each output channel,
    relative to the tone's amplitude in the input."""
    n = len(out)
    t = np.arange(n) / rate
    basis = np.stack([np.sin(2 * np.pi * f * t) for f in freqs] +
                     [np.cos(2 * np.pi * f * t) for f in freqs], axis=1)
    coef, *_ = np.linalg.lstsq(basis, out, rcond=None)
    return coef[:len(freqs)] / src_tones  # (input channel, output channel)


def case_channels():
    rate = 48000
    frames = rate
    freqs = [500, 700, 1100, 1300, 1700, 1900]  # whole cycles in 1 s: orthogonal
    src = tone(frames, rate, freqs, 0.3)
    p = write_wav("51.wav", src, rate, fmt="f32", mask=0x3F)  # FL FR FC LFE BL BR
    out = path("st.wav")
    run(["convert", p, out, "--channels", "2", "--format", "f32"])
    got = read_wav(out)[0]
    check(got.shape == (frames, 2), "5.1 -> stereo shape %s" % (got.shape,))
    c = coefficients(got, 0.3, rate, freqs)
    # ITU-R BS.775 Lo = L + 0.7071 C + 0.7071 Ls, LFE dropped, row scaled to sum 1.
    s = 1 + 2 * np.sqrt(0.5)
    expect = np.array([[1 / s, 0], [0, 1 / s], [np.sqrt(0.5) / s] * 2, [0, 0],
                       [np.sqrt(0.5) / s, 0], [0, np.sqrt(0.5) / s]])
    check(np.allclose(c, expect, atol=1e-4), "5.1 -> stereo coefficients\n%s" % c)
    # mono -> stereo: -3 dB to each side.
    mono = tone(frames, rate, [440], 0.5)
    pm = write_wav("mono.wav", mono, rate, fmt="f32")
    run(["convert", pm, out, "--channels", "2"])
    got = read_wav(out)[0]
    check(got.shape == (frames, 2), "mono -> stereo shape")
    check(np.allclose(got, np.repeat(mono, 2, axis=1) * np.sqrt(0.5), atol=1e-6), "mono -> stereo level")
    # stereo -> mono: 0.7071 L + 0.7071 R, scaled to sum 1: (L + R) / 2.
    st = tone(frames, rate, [500, 700], 0.4)
    ps = write_wav("stereo.wav", st, rate, fmt="f32")
    run(["convert", ps, out, "--channels", "1"])
    got = read_wav(out)[0]
    check(got.shape == (frames, 1), "stereo -> mono shape")
    check(np.allclose(got[:, 0], st.mean(axis=1), atol=1e-6), "stereo -> mono coefficients")
    # Through a lossy encoder too (the mix happens before it).
    run(["convert", p, path("st.mp3"), "--channels", "2"])
    check(decode(path("st.mp3")).shape == (frames, 2), "5.1 -> stereo mp3")


def true_peak_dbtp(x, factor=4):
    """4x oversampled peak by FFT interpolation of each channel."""
    n = len(x)
    spec = np.fft.rfft(x, axis=0)
    up = np.fft.irfft(spec, n * factor, axis=0) * factor
    return 20 * np.log10(np.max(np.abs(np.concatenate([up, x]))))


def case_limiter():
    rate = 48000
    frames = 2 * rate
    # Hot input: a tone near full scale plus inter-sample peaks (fs/4 at 45
    # degrees phase peaks 3 dB above its samples).
    t = np.arange(frames)
    x = 0.7 * np.sin(2 * np.pi * 1000 * t / rate) + 0.25 * np.sin(np.pi / 2 * t + np.pi / 4)
    src = np.stack([x, -x], axis=1) * 0.95
    p = write_wav("hot.wav", src, rate, fmt="f32")
    check(true_peak_dbtp(src) > -1.0, "the test input is not hot")
    out = path("lim.wav")
    run(["convert", p, out, "--gain", "6", "--limit"])
    got = read_wav(out)[0]
    check(got.shape == src.shape, "the limiter changed the length")
    tp = true_peak_dbtp(got)
    check(tp <= -1.0 + 0.05, "true peak %.3f dBTP above the -1 dBTP ceiling" % tp)
    run(["convert", p, out, "--limit=-3"])
    tp = true_peak_dbtp(read_wav(out)[0])
    check(tp <= -3.0 + 0.05, "true peak %.3f dBTP above the -3 dBTP ceiling" % tp)
    # Normalising with --apply-gain turns the limiter on.
    run(["convert", p, out, "--normalize", "replaygain", "--apply-gain"])
    tp = true_peak_dbtp(read_wav(out)[0])
    check(tp <= -1.0 + 0.05, "apply-gain true peak %.3f dBTP" % tp)
    run(["convert", p, out, "--limit=3"], expect=64)


def case_dither():
    rate = 44100
    src = tone(rate, rate, [440, 660], 0.3) + noise(rate, 2, 1e-3)
    p24 = write_wav("s24.wav", src, rate, fmt="s24")
    p16 = write_wav("s16.wav", src, rate, fmt="s16")
    x24 = read_wav(p24)[0]
    rounded = np.clip(np.round(x24 * 32768), -32768, 32767)
    # 24 -> 16, auto: TPDF dither (+-1 LSB) engaged.
    out = path("d.wav")
    run(["convert", p24, out, "--format", "s16"])
    got = read_wav(out)[0] * 32768
    diff = got - rounded
    check(np.max(np.abs(diff)) <= 1, "dither error beyond 1 LSB")
    check(np.mean(diff != 0) > 0.2, "24 -> 16 was not dithered (%.3f changed)" % np.mean(diff != 0))
    # --dither none: plain rounding.
    run(["convert", p24, out, "--format", "s16", "--dither", "none"])
    got = read_wav(out)[0] * 32768
    check(np.max(np.abs(got - rounded)) <= 0.5 + 1e-9 and np.mean(got != rounded) < 1e-3,
          "--dither none is not plain rounding")
    # Same seed, same output; shaped differs from TPDF.
    run(["convert", p24, out, "--format", "s16", "--dither", "tpdf"])
    a = read_wav(out)[0]
    run(["convert", p24, out, "--format", "s16", "--dither", "tpdf"])
    check(np.array_equal(a, read_wav(out)[0]), "TPDF dither is not deterministic")
    run(["convert", p24, out, "--format", "s16", "--dither", "shaped"])
    check(not np.array_equal(a, read_wav(out)[0]), "shaped equals TPDF")
    # 16 -> 16 without processing: bit exact (no dither), also into FLAC.
    x16 = read_wav(p16)[0]
    run(["convert", p16, out])
    check(np.array_equal(read_wav(out)[0], x16), "16 -> 16 copy is not bit exact")
    run(["convert", p16, path("c.flac")])
    check(np.array_equal(decode(path("c.flac"), "s16"), x16), "16 -> FLAC 16 is not bit exact")
    # 16-bit content in a 24-bit file back to 16: auto dither stays off
    # while every sample is already on the 16-bit grid (bit exact).
    p16in24 = path("s16in24.wav")
    run(["convert", p16, p16in24, "--format", "s24"])
    run(["convert", p16in24, out, "--format", "s16"])
    check(np.array_equal(read_wav(out)[0], x16), "16-in-24 -> 16 is not bit exact")
    # 24 -> 24: bit exact.
    run(["convert", p24, out])
    check(np.array_equal(read_wav(out)[0], x24), "24 -> 24 copy is not bit exact")
    # 16 -> 16 with processing (gain): dithered.
    run(["convert", p16, out, "--gain", "-0.5"])
    got = read_wav(out)[0] * 32768
    plain = np.round(x16 * 32768 * 10 ** (-0.5 / 20))
    check(np.mean(got != plain) > 0.2, "16 -> 16 with gain was not dithered")


def case_rates():
    for in_rate, out_rate, codec, start, dur in ((44100, 48000, "wav", "0.3", "2.1"),
                                                 (44100, 22050, "flac", "0.0001", "1.00003"),
                                                 (48000, 44100, "mp3", "1", None),
                                                 (22050, 48000, "opus", "0.5", "1.2345"),
                                                 (32000, 44100, "vorbis", "0.25", None)):
        frames = int(3.7 * in_rate) + 3
        src = noise(frames, 2, 0.3)
        p = write_wav("r%d.wav" % in_rate, src, in_rate)
        args = ["convert", p, path("o." + ("ogg" if codec == "vorbis" else codec)), "--rate",
                str(out_rate), "--start", start]
        if dur:
            args += ["--duration", dur]
        run(args)
        s = frames_of(start, in_rate)
        trimmed = frames - s
        if dur:
            trimmed = min(trimmed, frames_of(dur, in_rate))
        expect = round_half_up_frames(trimmed, in_rate, out_rate)
        got = decode(args[2])
        check(len(got) == expect, "%s %d -> %d: %d frames, expected %d" %
              (codec, in_rate, out_rate, len(got), expect))


def case_pipes():
    rate = 44100
    src = noise(rate + 123, 2, 0.3)
    p = write_wav("src.wav", src, rate)
    for codec, extra in (("wav", []), ("raw", ["--format", "s16"]), ("flac", []),
                         ("vorbis", []), ("opus", []), ("mp3", [])):
        out = path("pipe." + codec)
        with open(p, "rb") as fin, open(out, "wb") as fout:
            r = subprocess.run([SEGUE, "convert", "-", "-", "--codec", codec] + extra,
                               stdin=fin, stdout=fout, stderr=subprocess.PIPE, timeout=120)
        check(r.returncode == 0, "pipe %s: exit %d: %s" % (codec, r.returncode, r.stderr.decode()))
        if codec == "raw":
            check(os.path.getsize(out) == (rate + 123) * 4, "raw pipe size")
            continue
        expect = rate + 123 if codec != "opus" else round_half_up_frames(rate + 123, rate, 48000)
        got = decode(out)
        check(len(got) == expect, "pipe %s: %d frames, expected %d" % (codec, len(got), expect))
    # Trims on a pipe keep the announced length right (a WAV header up front).
    with open(p, "rb") as fin:
        data, _ = run(["convert", "-", "-", "--start", "0.5", "--duration", "0.25"], stdin=fin)
    with open(path("t.wav"), "wb") as f:
        f.write(data)
    got = read_wav(path("t.wav"))[0]
    check(len(got) == round(0.25 * rate), "trimmed pipe length")
    check(struct.unpack("<I", data[40:44])[0] == len(data) - 44, "pipe WAV data size is not exact")
    # Loudness on a pipe output from a file input: the first-pass route.
    data, _ = run(["convert", p, "-", "--codec", "flac", "--normalize", "replaygain"])
    with open(path("n.flac"), "wb") as f:
        f.write(data)
    tags = subprocess.run(["metaflac", "--export-tags-to=-", path("n.flac")],
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    check("REPLAYGAIN_TRACK_GAIN=" in tags, "first-pass tags missing: " + tags)
    # What a pipe cannot do: clear errors.
    with open(p, "rb") as fin:
        _, err = run(["convert", "-", "-", "--codec", "mp3", "--normalize", "r128"], stdin=fin,
                     expect=69)
    check("seekable" in err, "normalize pipe-to-pipe message: " + err)
    with open(p, "rb") as fin:
        _, err = run(["convert", "-", path("x.flac"), "--normalize", "r128", "--apply-gain"],
                     stdin=fin, expect=69)
    check("seekable" in err and not os.path.exists(path("x.flac")), "apply-gain from a pipe: " + err)
    _, err = run(["convert", p, "-", "--verify"], expect=64)
    check("verify" in err, "verify on a pipe message: " + err)
    # A pipe into a late-tag format with a file input and --normalize works in
    # one pass when the output is a file.
    with open(p, "rb") as fin:
        run(["convert", "-", path("late.flac"), "--normalize", "r128"], stdin=fin)


def case_verify():
    rate = 44100
    src = tone(2 * rate, rate, [440, 550], 0.4)
    p = write_wav("src.wav", src, rate)
    # Tags and a picture from a FLAC source (made by segue from the WAV,
    # then tagged with metaflac).
    flac = path("tagged.flac")
    run(["convert", p, flac])
    png = path("cover.png")
    with open(png, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" +
                struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0) + b"\x00\x00\x00\x00")
    subprocess.run(["metaflac", "--set-tag=TITLE=Verify Me", "--set-tag=ARTIST=Segue",
                    "--import-picture-from=3||||" + png, flac], check=True)
    for out in ("v.flac", "v.ogg", "v.mp3", "v.opus", "v.wav"):
        _, err = run(["convert", flac, path(out), "--verify", "--normalize", "replaygain",
                      "--fade", "10"])
        check("verify:" in err and "ok" in err, "verify did not report for %s: %s" % (out, err))
    # A profile's picture limits: the cover is re-encoded (a note says so),
    # and --verify checks the picture count.
    big = path("big.png")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=800x800", "-frames:v", "1", big], check=True)
    flac2 = path("big.flac")
    run(["convert", p, flac2])
    subprocess.run(["metaflac", "--set-tag=TITLE=Big Cover", "--import-picture-from=3||||" + big,
                    flac2], check=True)
    _, err = run(["convert", flac2, path("psp.mp3"), "--profile", "psp-mp3", "--verify"])
    check("1 picture(s) re-encoded" in err and "verify:" in err, "picture fit note: " + err)
    from mutagen.id3 import ID3
    apic = ID3(path("psp.mp3")).getall("APIC")
    check(len(apic) == 1 and apic[0].mime == "image/jpeg" and apic[0].data[:2] == b"\xff\xd8",
          "the re-encoded cover is not a JPEG")
    # --verify refuses what it cannot read back.
    run(["convert", flac, path("v.raw"), "--format", "s16", "--verify"], expect=64)
    # Clipping is reported as a warning, not a failure.
    _, err = run(["convert", p, path("hot.wav"), "--gain", "12", "--verify"])
    check("clip" in err, "clipping not reported: " + err)


def case_profiles():
    rate = 44100
    src = tone(3 * rate, rate, [440, 550], 0.4)
    p = write_wav("src.wav", src, rate)
    _, err = run(["convert", p, path("x.mp3"), "--profile", "no-such-profile"], expect=64)
    check("psp-mp3" in err, "unknown profile does not list the profiles: " + err)
    bad = path("bad.profile")
    with open(bad, "w") as f:
        f.write("name = bad\ncodec = mp3\nthis line is not a setting\n")
    _, err = run(["convert", p, path("x.mp3"), "--profile-file", bad], expect=65)
    check("line 3" in err, "bad profile file message: " + err)
    # The profile picks the format when OUT has no extension; options override.
    out = path("preview")
    run(["convert", p, out, "--profile", "preview-mp3", "--duration", "2"])
    info, _ = run(["probe", out])
    check(b"mp3" in info and b"44100" in info, "profile output: " + info.decode())
    got = decode(out)
    check(len(got) == 2 * rate, "profile + --duration length %d" % len(got))
    rms = lambda a: float(np.sqrt(np.mean(a * a)))
    check(rms(got[:200]) < 0.1 * rms(got[rate:rate + 4410]), "profile fade-in missing")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
if CASE not in CASES:
    fail("unknown case " + CASE)
CASES[CASE]()
print("ok", CASE)
