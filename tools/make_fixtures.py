#!/usr/bin/python3
"""Writes segue's committed test fixtures, deterministically.

    make_fixtures.py [OUT_DIR]        (default: fixtures/ beside tools/)

Every file is built byte by byte with the standard library only (struct,
math, random with fixed seeds). Nothing here uses numpy or segue itself: the
fixtures are the independent input the tests judge segue by, so they must not
share code, or bugs, with the code under test.

Running the script twice gives byte-identical files; MANIFEST.tsv records
each file's sha256 so a change is visible in review. All content is
synthetic (tones, sweeps, seeded noise), released as CC0-1.0.
"""

import hashlib
import math
import os
import random
import struct
import sys

LICENCE = "CC0-1.0"
ORIGIN = "tools/make_fixtures.py"

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# The KSDATAFORMAT_SUBTYPE_* GUIDs share this tail after the 16-bit tag.
GUID_TAIL = bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                   0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])

# Sample formats: (WAVE format tag, bytes per sample, is_float).
FORMATS = {
    "u8": (WAVE_FORMAT_PCM, 1, False),
    "s16": (WAVE_FORMAT_PCM, 2, False),
    "s24": (WAVE_FORMAT_PCM, 3, False),
    "s32": (WAVE_FORMAT_PCM, 4, False),
    "f32": (WAVE_FORMAT_IEEE_FLOAT, 4, True),
    "f64": (WAVE_FORMAT_IEEE_FLOAT, 8, True),
}


def quantize(x, bits):
    """Float in [-1, 1] to a signed integer of `bits`, rounding half up.

    floor(x + 0.5) rather than round(): Python's round() is half-to-even,
    which is fine too, but half-up is what the comment says and is easy to
    reproduce in any other language.
    """
    full = 1 << (bits - 1)
    v = int(math.floor(x * full + 0.5))
    return max(-full, min(full - 1, v))


def encode_samples(samples, fmt, valid_bits=None):
    """Interleaved floats -> little-endian bytes in `fmt`.

    `samples` may hold ints for integer formats: they are stored as they are
    (already quantized to the format's width, or to valid_bits then shifted
    up, which is how WAVE_FORMAT_EXTENSIBLE stores e.g. 20 bits in 24).
    """
    _, width, is_float = FORMATS[fmt]
    out = bytearray()
    if is_float:
        code = "<f" if width == 4 else "<d"
        for s in samples:
            out += struct.pack(code, float(s))
        return bytes(out)
    bits = width * 8
    vbits = valid_bits or bits
    for s in samples:
        v = s if isinstance(s, int) else quantize(s, vbits)
        v <<= bits - vbits
        if fmt == "u8":
            out.append((v + 128) & 0xFF)
        else:
            out += (v & ((1 << bits) - 1)).to_bytes(width, "little")
    return bytes(out)


def chunk(cid, payload):
    """A RIFF chunk: id, size, payload, and the pad byte an odd size needs."""
    assert len(cid) == 4
    data = cid + struct.pack("<I", len(payload)) + payload
    if len(payload) & 1:
        data += b"\x00"
    return data


def fmt_chunk(fmt, channels, rate, extensible=False, valid_bits=None, mask=0):
    tag, width, is_float = FORMATS[fmt]
    block = width * channels
    bits = width * 8
    head = struct.pack("<HHIIHH", WAVE_FORMAT_EXTENSIBLE if extensible else tag,
                       channels, rate, rate * block, block, bits)
    if extensible:
        ext = struct.pack("<HHI", 22, valid_bits or bits, mask)
        ext += struct.pack("<H", tag) + GUID_TAIL
        return chunk(b"fmt ", head + ext)
    if is_float:
        # Non-PCM tags carry cbSize (0 here): the 18-byte WAVEFORMATEX.
        return chunk(b"fmt ", head + struct.pack("<H", 0))
    return chunk(b"fmt ", head)


def info_chunk(tags):
    """LIST/INFO from (id, text) pairs; values are NUL-terminated ASCII."""
    body = b"INFO"
    for cid, text in tags:
        body += chunk(cid, text.encode("ascii") + b"\x00")
    return chunk(b"LIST", body)


def wav_file(samples, fmt, channels, rate, extensible=False, valid_bits=None, mask=0,
             before_data=(), after_data=()):
    """A complete WAV. Float files get the fact chunk their spec asks for."""
    frames = len(samples) // channels
    assert frames * channels == len(samples)
    body = b"WAVE" + fmt_chunk(fmt, channels, rate, extensible, valid_bits, mask)
    if FORMATS[fmt][2]:
        body += chunk(b"fact", struct.pack("<I", frames))
    for extra in before_data:
        body += extra
    body += chunk(b"data", encode_samples(samples, fmt, valid_bits))
    for extra in after_data:
        body += extra
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---- signals ---------------------------------------------------------------

def tone(freq, rate, frames, amp=0.5, phase=0.0):
    w = 2.0 * math.pi * freq / rate
    return [amp * math.sin(w * n + phase) for n in range(frames)]


def log_sweep(f0, f1, rate, frames, amp=0.5):
    """Exponential sine sweep: instantaneous frequency goes f0 -> f1."""
    dur = frames / rate
    k = math.log(f1 / f0)
    c = 2.0 * math.pi * f0 * dur / k
    return [amp * math.sin(c * (math.exp(k * (n / rate) / dur) - 1.0)) for n in range(frames)]


def fade(signal, rate, ms=10.0):
    """Short raised-cosine fade in and out so clips start and end quietly."""
    n = min(len(signal) // 2, int(rate * ms / 1000.0))
    out = list(signal)
    for i in range(n):
        g = 0.5 - 0.5 * math.cos(math.pi * i / n)
        out[i] *= g
        out[-1 - i] *= g
    return out


def interleave(*chans):
    return [s for frame in zip(*chans) for s in frame]


def edge_values(fmt):
    """Per-format extremes placed at the start of the format fixtures, so
    full scale, the most negative code, zero and (for floats) -0.0, a
    subnormal and an over are all exercised."""
    if FORMATS[fmt][2]:
        return [1.0, -1.0, 0.0, -0.0, 1.5e-42, -1.25, 1.0 / 3.0, -2.0 ** -24]
    bits = FORMATS[fmt][1] * 8
    full = 1 << (bits - 1)
    return [full - 1, -full, 0, 1, -1, full // 2, -(full // 2) - 1, 0]


# ---- the fixtures ----------------------------------------------------------

def fixtures():
    """Yields (relative path, bytes, description)."""
    # Sines.
    r, n = 44100, 22050
    yield ("sine_440_s16_stereo_44k.wav",
           wav_file(interleave(tone(440, r, n), tone(440, r, n, amp=0.25)), "s16", 2, r),
           "440 Hz sine, s16 stereo 44.1 kHz, 0.5 s (right at -6 dB)")
    r, n = 48000, 12000
    yield ("sine_1k_s16_mono_48k.wav", wav_file(tone(1000, r, n), "s16", 1, r),
           "1 kHz sine, s16 mono 48 kHz, 0.25 s")

    r = 44100
    yield ("sweep_s16_mono_44k.wav", wav_file(fade(log_sweep(20, 20000, r, r), r), "s16", 1, r),
           "log sweep 20 Hz - 20 kHz, s16 mono 44.1 kHz, 1 s")

    rng = random.Random(20240501)
    # getrandbits keeps the same sequence across Python versions (gauss and
    # randrange have changed in the past); full-scale uniform s16 codes.
    noise = [rng.getrandbits(16) - 32768 for _ in range(2 * 11025)]
    yield ("noise_s16_stereo_44k.wav", wav_file(noise, "s16", 2, 44100),
           "white noise (uniform, seed 20240501), s16 stereo 44.1 kHz, 0.25 s")

    yield ("silence_s16_stereo_44k.wav", wav_file([0] * (2 * 11025), "s16", 2, 44100),
           "digital silence, s16 stereo 44.1 kHz, 0.25 s")

    # 5.1: FL FR FC LFE BL BR (mask 0x3F), a different tone on each channel
    # so a channel swap or a wrong stride shows up.
    r, n = 48000, 12000
    freqs = [300, 500, 700, 60, 1100, 1300]
    chans = [tone(f, r, n, amp=0.4) for f in freqs]
    yield ("surround51_s16_48k.wav",
           wav_file(interleave(*chans), "s16", 6, r, extensible=True, mask=0x3F),
           "5.1 WAVE_FORMAT_EXTENSIBLE mask 0x3F, tones 300/500/700/60/1100/1300 Hz, "
           "s16 48 kHz, 0.25 s")

    # One file per stored sample format: stereo 32 kHz, 440 Hz left and
    # 660 Hz right, with edge values first.
    r, n = 32000, 8000
    for fmt in ("u8", "s16", "s24", "s32", "f32", "f64"):
        left = tone(440, r, n, amp=0.7)
        right = tone(660, r, n, amp=0.7, phase=1.0)
        if not FORMATS[fmt][2]:
            bits = FORMATS[fmt][1] * 8
            left = [quantize(x, bits) for x in left]
            right = [quantize(x, bits) for x in right]
            if fmt == "s32":
                # Tones quantized to 32 bits have all 32 bits in use, so
                # s32 -> f32 rounding is exercised; make it explicit.
                assert any(v & 0xFF for v in left)
        edges = edge_values(fmt)
        left[:len(edges)] = edges
        right[:len(edges)] = list(reversed(edges))
        yield ("fmt_%s_stereo_32k.wav" % fmt, wav_file(interleave(left, right), fmt, 2, r),
               "%s stereo 32 kHz, 440/660 Hz tones with edge values, 0.25 s" % fmt)

    # 20 valid bits in 24-bit containers (WAVE_FORMAT_EXTENSIBLE): the low
    # 4 bits of each stored sample are zero.
    left = [quantize(x, 20) for x in tone(440, r, n, amp=0.7)]
    right = [quantize(x, 20) for x in tone(660, r, n, amp=0.7)]
    left[:4] = [(1 << 19) - 1, -(1 << 19), 0, 1]
    yield ("fmt_s24_valid20_ext_stereo_32k.wav",
           wav_file(interleave(left, right), "s24", 2, r, extensible=True, valid_bits=20,
                    mask=0x3),
           "s24 container with 20 valid bits, WAVE_FORMAT_EXTENSIBLE, stereo 32 kHz, 0.25 s")

    yield ("fmt_f32_ext_mono_32k.wav",
           wav_file(edge_values("f32") + tone(1000, r, n - 8, amp=0.7), "f32", 1, r,
                    extensible=True, mask=0x4),
           "f32 in WAVE_FORMAT_EXTENSIBLE (IEEE float subformat), mono 32 kHz, 0.25 s")

    # LIST/INFO tags. Value lengths are chosen so some need the pad byte.
    tags = [(b"INAM", "Sine 440"), (b"IART", "Segue Fixture Makers"),
            (b"IPRD", "Conformance Album"), (b"ICMT", "made by make_fixtures.py"),
            (b"ICRD", "2024-05-01"), (b"IGNR", "Test Tone"), (b"ITRK", "7")]
    r, n = 44100, 11025
    yield ("tags_info_s16_mono_44k.wav",
           wav_file(tone(440, r, n), "s16", 1, r, before_data=[info_chunk(tags)]),
           "LIST/INFO tags INAM IART IPRD ICMT ICRD IGNR ITRK before data, s16 mono 44.1 kHz, "
           "0.25 s")

    r = 8000
    yield ("mono_8k_s16.wav", wav_file(tone(400, r, r // 2), "s16", 1, r),
           "400 Hz sine, s16 mono 8 kHz, 0.5 s")

    r, n = 96000, 24000
    yield ("hires_s24_stereo_96k.wav",
           wav_file(interleave(tone(1000, r, n), log_sweep(20, 40000, r, n)), "s24", 2, r),
           "1 kHz sine + 20 Hz - 40 kHz sweep, s24 stereo 96 kHz, 0.25 s")

    # An unknown chunk of odd size (so it carries a pad byte) between fmt and
    # data: readers must skip size + pad, not size.
    r, n = 44100, 11025
    odd = chunk(b"xtra", b"odd!!")  # 5 bytes + pad
    yield ("odd_chunk_s16_mono_44k.wav",
           wav_file(tone(440, r, n), "s16", 1, r, before_data=[odd]),
           "unknown 5-byte chunk (with pad byte) before data, s16 mono 44.1 kHz, 0.25 s")

    # ---- demo clips (make demo) ----
    r, n = 44100, 3 * 44100
    # A major chord, slightly different voicing per channel.
    left = [a + b + c for a, b, c in zip(tone(220.0, r, n, 0.25), tone(277.18, r, n, 0.2),
                                          tone(329.63, r, n, 0.2))]
    right = [a + b + c for a, b, c in zip(tone(220.0, r, n, 0.25, 0.3),
                                          tone(329.63, r, n, 0.2, 0.5),
                                          tone(440.0, r, n, 0.15))]
    demo_tags = [(b"INAM", "Demo Chord"), (b"IART", "segue fixtures"),
                 (b"IPRD", "segue demo")]
    yield ("demo/chord_s16_stereo_44k.wav",
           wav_file(interleave(fade(left, r, 50), fade(right, r, 50)), "s16", 2, r,
                    before_data=[info_chunk(demo_tags)]),
           "demo: A major chord, s16 stereo 44.1 kHz, 3 s, title/artist tags")

    r, n = 48000, 3 * 48000
    yield ("demo/sweep_s24_mono_48k.wav",
           wav_file(fade(log_sweep(20, 20000, r, n, 0.7), r), "s24", 1, r, extensible=True,
                    mask=0x4),
           "demo: log sweep 20 Hz - 20 kHz, s24 mono 48 kHz (extensible), 3 s")

    r, n = 96000, 3 * 96000
    # A tone with a slow tremolo, stored as float.
    am = [0.6 + 0.3 * math.sin(2 * math.pi * 2.0 * i / r) for i in range(n)]
    yield ("demo/tremolo_f32_mono_96k.wav",
           wav_file(fade([a * s for a, s in zip(am, tone(880, r, n, 1.0))], r), "f32", 1, r),
           "demo: 880 Hz tone with 2 Hz tremolo, f32 mono 96 kHz, 3 s")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "fixtures")
    rows = []
    for rel, data, what in fixtures():
        path = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        rows.append((rel, hashlib.sha256(data).hexdigest(), "%s: %s" % (ORIGIN, what), LICENCE))
    rows.sort()
    # Rows made by other scripts (e.g. tools/make_psp_fixtures.py) stay.
    manifest = os.path.join(out_dir, "MANIFEST.tsv")
    others = []
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split("\t")
                if len(fields) == 4 and not fields[2].startswith("tools/make_fixtures.py"):
                    others.append(tuple(fields))
    ours = {r[0] for r in rows}
    with open(manifest, "w", encoding="utf-8", newline="\n") as f:
        f.write("file\tsha256\torigin\tlicence\n")
        for row in sorted(rows + [r for r in others if r[0] not in ours]):
            f.write("\t".join(row) + "\n")
    total = sum(os.path.getsize(os.path.join(out_dir, r[0])) for r in rows)
    print("wrote %d fixtures (%d bytes) and MANIFEST.tsv to %s" % (len(rows), total, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
