#!/usr/bin/env python3
"""tests/mp3enc/test_mp3enc.py TOOL - MP3 encoding through the public API
(mp3enc_tool: WAV -> segue_encoder with container "mp3") checked against
mpg123 and ffmpeg.

1. Lengths and rates: 8, 22.05, 44.1 and 48 kHz, N = 1, 575, 576, 1152,
   one second and 30 s, default settings (VBR V2): mpg123 -w (gapless by
   default) and ffmpeg decode without a message and to exactly N samples.
   Modes at 44.1 kHz: CBR 32..320 kbit/s, VBR V0..V9, ABR, mono input,
   mono/joint/plain stereo; MPEG-2 CBR 8..160 at 22.05 kHz: all decode
   without a message to exactly N (below 64 kbit/s at 44.1 kHz, where
   LAME's tag does not fit a frame, the tag frame is the encoder's own).
2. Pipes (an io without seek, total_frames known): the CBR Info tag frame is
   byte-identical to the seekable run's except the music CRC and the tag CRC
   (the last 4 bytes of the LAME tag) and the two mode-extension bits of the
   frame header; the audio after it is identical; mpg123 and ffmpeg give
   exactly N (also with the encoder's own tag frame at 8 kbit/s / 8 kHz and
   32 kbit/s / 44.1 kHz, where the comparison is with the seekable run's
   tag completed by the muxer). VBR/ABR on a pipe: a "Xing" frame with the frame count, delay
   and padding (flags 0x9), the same frame count as the seekable run, exactly
   N in both decoders. A pipe without total_frames: no tag frame; both
   decoders see every audio frame (frames * 1152 samples).
"""
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

TOOL = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="mp3enc_")
failures = []
checks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


def make_wav(path, rate, n, ch=2, seed=1):
    """Sines plus noise, s16: enough content for the psychoacoustic model."""
    rnd = random.Random(seed)
    frames = bytearray()
    for i in range(n):
        for c in range(ch):
            v = 7000 * math.sin(2 * math.pi * (330 + 220 * c) * i / rate)
            v += rnd.randint(-2500, 2500)
            frames += struct.pack("<h", int(v))
    with wave.open(path, "wb") as w:
        w.setnchannels(ch)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def encode(wav, mp3, *opts):
    r = subprocess.run([TOOL, "encode", wav, mp3, *opts], capture_output=True, text=True)
    if r.returncode != 0:
        fail("encode %s %s: %s" % (os.path.basename(wav), " ".join(opts), r.stderr.strip()))
        return False
    return True


def mpg123_decode(mp3):
    """(frames, channels) from mpg123 -w (gapless is its default), or None."""
    out = mp3 + ".mpg123.wav"
    r = subprocess.run(["mpg123", "-q", "-w", out, mp3], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("mpg123 %s: rc %d %s" % (os.path.basename(mp3), r.returncode, r.stderr.strip()))
        return None
    with wave.open(out) as w:
        return w.getnframes(), w.getnchannels()


def ffmpeg_decode(mp3, ch):
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", mp3, "-f", "s16le", "-"],
                       capture_output=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("ffmpeg %s: rc %d %s" % (os.path.basename(mp3), r.returncode, r.stderr.decode().strip()))
        return None
    return len(r.stdout) // (2 * ch)


def check_exact(mp3, n, ch, what, ffmpeg=True, rate=44100):
    global checks
    got = mpg123_decode(mp3)
    checks += 1
    if got and (got[0] != n or got[1] != ch):
        fail("%s: mpg123 gave %d frames x %d ch, want %d x %d" % (what, got[0], got[1], n, ch))
    if ffmpeg:
        f = ffmpeg_decode(mp3, ch)
        checks += 1
        # ffmpeg 5.1 does not trim the end of an MPEG-2/2.5 stream whose
        # whole content sits in one 576-sample frame (N + 529 < 576): it
        # gives N + 529, exactly as for the lame command's own files
        # (docs/mp3-gapless.md).
        if f is not None and f != n and not (rate < 32000 and n + 529 < 576 and f == n + 529):
            fail("%s: ffmpeg gave %d frames, want %d" % (what, f, n))


def check_clean(mp3, what):
    """Decodes without a message; returns mpg123's frame count."""
    global checks
    checks += 1
    got = mpg123_decode(mp3)
    return got[0] if got else None


# ---- MPEG framing helpers ------------------------------------------------------

KBPS1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
KBPS2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0]
RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def first_frame(data):
    """(offset, length, side_info, header) of the first MPEG frame after an ID3v2 tag."""
    off = 0
    if data[:3] == b"ID3":
        s = data[6:10]
        off = 10 + ((s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3])
    h = data[off:off + 4]
    assert h[0] == 0xFF and (h[1] & 0xE0) == 0xE0, "no frame sync at %d" % off
    ver = (h[1] >> 3) & 3
    kbps = (KBPS1 if ver == 3 else KBPS2)[h[2] >> 4]
    rate = RATES[ver][(h[2] >> 2) & 3]
    pad = (h[2] >> 1) & 1
    length = (144000 if ver == 3 else 72000) * kbps // rate + pad
    mono = (h[3] >> 6) == 3
    side = (17 if mono else 32) if ver == 3 else (9 if mono else 17)
    return off, length, side, h


def tag_of(path):
    data = open(path, "rb").read()
    off, length, side, _ = first_frame(data)
    frame = data[off:off + length]
    x = 4 + side
    kind = frame[x:x + 4]
    if kind not in (b"Info", b"Xing"):
        return data, off, None, None
    return data, off, frame, x


# ---- 1. lengths, rates, modes ---------------------------------------------------

def lengths_and_rates():
    for rate in (8000, 22050, 44100, 48000):
        for n in (1, 575, 576, 1152, rate, 30 * rate):
            wav = os.path.join(TMP, "in_%d_%d.wav" % (rate, n))
            make_wav(wav, rate, n)
            mp3 = wav[:-4] + ".mp3"
            if encode(wav, mp3):
                check_exact(mp3, n, 2, "default %d Hz N=%d" % (rate, n), rate=rate)


def modes():
    rate, n = 44100, 44100 + 123
    wav = os.path.join(TMP, "modes.wav")
    make_wav(wav, rate, n, seed=7)
    for kbps in KBPS1[1:15]:
        mp3 = os.path.join(TMP, "cbr%d.mp3" % kbps)
        if not encode(wav, mp3, "--rc", "cbr", "--bitrate", str(kbps * 1000)):
            continue
        _, _, frame, _ = tag_of(mp3)
        if frame is None:
            fail("CBR %d: no Info tag" % kbps)
        # Below 64 kbit/s LAME's tag does not fit a frame: the tag frame is
        # the encoder's own, at a higher bitrate (lame.c).
        check_exact(mp3, n, 2, "CBR %d" % kbps, ffmpeg=kbps in (32, 56, 64, 128, 320))
    for q in list(range(10)) + [2.5]:
        mp3 = os.path.join(TMP, "vbr%s.mp3" % q)
        if encode(wav, mp3, "--rc", "vbr", "--quality", str(q)):
            check_exact(mp3, n, 2, "VBR V%s" % q, ffmpeg=q in (0, 9))
    for kbps in (64, 128, 256):
        mp3 = os.path.join(TMP, "abr%d.mp3" % kbps)
        if encode(wav, mp3, "--rc", "abr", "--bitrate", str(kbps * 1000)):
            check_exact(mp3, n, 2, "ABR %d" % kbps, ffmpeg=kbps == 128)
    for mode, ch in (("mono", 1), ("joint", 2), ("plain", 2)):
        for rc in ("vbr", "cbr"):
            mp3 = os.path.join(TMP, "st_%s_%s.mp3" % (mode, rc))
            if encode(wav, mp3, "--stereo", mode, "--rc", rc):
                check_exact(mp3, n, ch, "stereo %s %s" % (mode, rc))
    mono = os.path.join(TMP, "mono.wav")
    make_wav(mono, rate, n, ch=1)
    if encode(mono, mono[:-4] + ".mp3"):
        check_exact(mono[:-4] + ".mp3", n, 1, "mono input")
    wav22 = os.path.join(TMP, "m22.wav")
    make_wav(wav22, 22050, 22050, seed=3)
    for kbps in KBPS2[1:15]:
        mp3 = os.path.join(TMP, "cbr22_%d.mp3" % kbps)
        if encode(wav22, mp3, "--rc", "cbr", "--bitrate", str(kbps * 1000)):
            check_exact(mp3, 22050, 2, "MPEG-2 CBR %d" % kbps, ffmpeg=kbps in (8, 32, 160), rate=22050)
    # Settings the encoder must refuse.
    for opts in (("--rc", "cbr", "--bitrate", "100000"), ("--rc", "vbr", "--quality", "9.5"),
                 ("--rc", "abr", "--bitrate", "400000")):
        r = subprocess.run([TOOL, "encode", wav, os.path.join(TMP, "bad.mp3"), *opts],
                           capture_output=True, text=True)
        if r.returncode == 0 or "lame: " not in r.stderr:
            fail("settings %s accepted or unexplained: %s" % (opts, r.stderr.strip()))


# ---- 2. pipes -------------------------------------------------------------------

def pipes():
    # (rate, CBR bitrate): 8 kbit/s at 8 kHz and 32 at 44.1 kHz use the
    # encoder's own tag frame (LAME's does not fit), the others LAME's.
    cases = [(8000, 32000), (8000, 8000), (22050, 64000), (44100, 128000), (44100, 32000),
             (48000, 320000)]
    for rate, bitrate in cases:
        for n in (1, 575, 576, 1152, 1153, rate + 1, 30 * rate):
            wav = os.path.join(TMP, "p_%d_%d.wav" % (rate, n))
            make_wav(wav, rate, n, seed=n)
            base = wav[:-4]
            # CBR: seekable vs pipe.
            s, p = base + "_cbr_s.mp3", base + "_cbr_p.mp3"
            if encode(wav, s, "--rc", "cbr", "--bitrate", str(bitrate)) and \
               encode(wav, p, "--rc", "cbr", "--bitrate", str(bitrate), "--pipe", "--total"):
                sd, soff, sframe, x = tag_of(s)
                pd, poff, pframe, _ = tag_of(p)
                if sframe is None or pframe is None:
                    fail("CBR %d Hz N=%d: Info frame missing (seekable %s, pipe %s)" %
                         (rate, n, sframe is not None, pframe is not None))
                    continue
                lame = x + 4 + 4 + 4 + 4 + 100 + 4
                allowed = set(range(lame + 32, lame + 36))  # music CRC, tag CRC
                diff = [i for i in range(len(sframe)) if sframe[i] != pframe[i]]
                bad = [i for i in diff if i not in allowed and
                       not (i == 3 and (sframe[3] ^ pframe[3]) & 0xCF == 0)]
                if bad or len(sframe) != len(pframe):
                    fail("CBR %d Hz N=%d: pipe Info tag differs at %s" % (rate, n, bad))
                if sd[soff + len(sframe):] != pd[poff + len(pframe):]:
                    fail("CBR %d Hz N=%d: audio after the tag differs" % (rate, n))
                check_exact(p, n, 2, "pipe CBR %d Hz N=%d" % (rate, n), rate=rate)
            # VBR: frame count, delay and padding up front.
            s, p = base + "_vbr_s.mp3", base + "_vbr_p.mp3"
            if encode(wav, s) and encode(wav, p, "--pipe", "--total"):
                _, _, sframe, x = tag_of(s)
                pd, poff, pframe, _ = tag_of(p)
                if pframe is None or pframe[x:x + 4] != b"Xing" or \
                   struct.unpack(">I", pframe[x + 4:x + 8])[0] != 9:
                    fail("VBR pipe %d Hz N=%d: no Xing frame with flags 9" % (rate, n))
                    continue
                sfr = struct.unpack(">I", sframe[x + 8:x + 12])[0]
                pfr = struct.unpack(">I", pframe[x + 8:x + 12])[0]
                sdelay = sframe[x + 120 + 21:x + 120 + 24]
                pdelay = pframe[x + 16 + 21:x + 16 + 24]
                if sfr != pfr or sdelay != pdelay:
                    fail("VBR pipe %d Hz N=%d: frames %d/%d delay %s/%s" %
                         (rate, n, sfr, pfr, sdelay.hex(), pdelay.hex()))
                check_exact(p, n, 2, "pipe VBR %d Hz N=%d" % (rate, n), rate=rate)
    # ABR on a pipe, and a pipe without total_frames.
    wav = os.path.join(TMP, "p_44100_44101.wav")
    p = os.path.join(TMP, "abr_pipe.mp3")
    if encode(wav, p, "--rc", "abr", "--bitrate", "96000", "--pipe", "--total"):
        check_exact(p, 44101, 2, "pipe ABR")
    for rc in ("vbr", "cbr"):
        s, p = os.path.join(TMP, "nt_%s_s.mp3" % rc), os.path.join(TMP, "nt_%s_p.mp3" % rc)
        if encode(wav, s, "--rc", rc) and encode(wav, p, "--rc", rc, "--pipe"):
            _, _, sframe, x = tag_of(s)
            _, _, pframe, _ = tag_of(p)
            if pframe is not None:
                fail("pipe without length (%s): unexpected tag frame" % rc)
            frames = struct.unpack(">I", sframe[x + 8:x + 12])[0]
            got = check_clean(p, "pipe without length %s" % rc)
            f = ffmpeg_decode(p, 2)
            if got != frames * 1152 or f != frames * 1152:
                fail("pipe without length %s: mpg123 %s, ffmpeg %s, want %d" %
                     (rc, got, f, frames * 1152))
    # total_frames announced but not met: the encoder fails and says why.
    r = subprocess.run([TOOL, "encode", wav, os.path.join(TMP, "short.mp3"), "--pipe",
                        "--total-frames", "50000"], capture_output=True, text=True)
    if r.returncode == 0 or "announced" not in r.stderr:
        fail("pipe with a wrong total_frames: rc %d %s" % (r.returncode, r.stderr.strip()))


def pipe_sweep():
    """Every rate, mono and stereo, a low and a high CBR bitrate, lengths at
    frame boundaries: the pipe encode succeeds (the muxer checks its
    up-front tag against LAME's) and matches the seekable tag frame but for
    the music CRC, the tag CRC and the mode-extension bits."""
    global checks
    low = {8000: 8, 11025: 16, 12000: 24, 16000: 32, 22050: 48, 24000: 56, 32000: 40,
           44100: 48, 48000: 56}
    for rate in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        high = 320 if rate >= 32000 else 160
        for ch in (1, 2):
            for n in (575, 1152, 1729, 4 * rate // 3):
                wav = os.path.join(TMP, "sw.wav")
                make_wav(wav, rate, n, ch=ch, seed=n + ch)
                for kbps in (low[rate], high):
                    s, p = os.path.join(TMP, "sw_s.mp3"), os.path.join(TMP, "sw_p.mp3")
                    opts = ["--rc", "cbr", "--bitrate", str(kbps * 1000)]
                    if not (encode(wav, s, *opts) and encode(wav, p, *opts, "--pipe", "--total")):
                        continue
                    checks += 1
                    sd, soff, sframe, x = tag_of(s)
                    pd, poff, pframe, _ = tag_of(p)
                    if sframe is None or pframe is None or len(sframe) != len(pframe):
                        fail("sweep %d Hz %d ch N=%d %d kbit/s: tag frames missing" % (rate, ch, n, kbps))
                        continue
                    lame = x + 120
                    bad = [i for i in range(len(sframe)) if sframe[i] != pframe[i] and
                           not lame + 32 <= i < lame + 36 and
                           not (i == 3 and (sframe[3] ^ pframe[3]) & 0xCF == 0)]
                    if bad or sd[soff + len(sframe):] != pd[poff + len(pframe):]:
                        fail("sweep %d Hz %d ch N=%d %d kbit/s: differs at %s" % (rate, ch, n, kbps, bad[:8]))


lengths_and_rates()
modes()
pipes()
pipe_sweep()
print("%d decode checks, %d failures" % (checks, len(failures)))
if not failures:
    shutil.rmtree(TMP, ignore_errors=True)  # kept for a look when something failed
sys.exit(1 if failures else 0)
