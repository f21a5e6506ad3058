#!/usr/bin/env python3
"""FLAC against the reference tools: flac, metaflac, ffmpeg and mutagen.

Usage: test_flac_oracle.py PATH/TO/flac_tool

flac_tool (tests/flac/flac_tool.c) drives the library API. Checks:
  1. WAV -> FLAC (ours) -> PCM is bit-exact for 16 and 24 bit, 1/2/6 channels;
     our output passes `flac -t` (MD5 included), and `flac -d` and ffmpeg
     decode it to the same samples; pipe output passes `flac -t` too.
  2. Files made by `flac` (levels 0/5/8, 8/12/16/20/24/32 bit, 1/2/6
     channels, with and without a seek table, block sizes 192..16384, a
     variable-blocksize stream made by rewriting frame headers, an ID3v2 tag
     in front) decode like `flac -d` (seekable and as a pipe); 32-bit within
     the 24-bit precision of float.
  3. Tags and a 600x600 JPEG cover set with metaflac read into our model, and
     written back by our muxer read back in mutagen with every field and the
     picture intact.
  4. Seeking to random frames of 10 s files (ours, flac's with and without
     seek table, level 0 and 8) matches decoding from the start.
  5. Damage: truncations, bit flips, lying block lengths, an endless block
     chain, a huge PICTURE, 0 bytes: a status and a "flac: " detail, never a
     crash (sanitizer reports get their own exit codes here).
Exit 0 on success, 1 on failure, 77 when a tool is missing (ctest: skipped).
"""
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

TOOL = None
FAILURES = []
ENV = dict(os.environ)
# Sanitizer findings must not look like the tool's own "library error" (1).
ENV["ASAN_OPTIONS"] = "exitcode=99:detect_leaks=1:abort_on_error=0"
ENV["UBSAN_OPTIONS"] = "exitcode=98:print_stacktrace=1:halt_on_error=1"


def fail(msg):
    FAILURES.append(msg)
    print("FAIL:", msg)


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, env=ENV, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(map(str, cmd)), r.returncode,
                                                    r.stderr.decode(errors="replace")[-2000:]))
    return r


def tool(*args):
    """Runs flac_tool; returns (exit code, parsed JSON or stdout text)."""
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, env=ENV)
    if r.returncode not in (0, 1, 2):
        fail("flac_tool %s: exit %d (crash or sanitizer report)\n%s" %
             (" ".join(map(str, args)), r.returncode, r.stderr.decode(errors="replace")[-3000:]))
        return r.returncode, None
    out = r.stdout.decode(errors="replace").strip()
    try:
        return r.returncode, json.loads(out.splitlines()[-1]) if out else None
    except (ValueError, IndexError):
        return r.returncode, out


# ---- WAV helpers -------------------------------------------------------------

def write_wav(path, channels, bits, frames, rate=44100, seed=1, valid=None):
    """Writes a PCM WAV (WAVE_FORMAT_EXTENSIBLE when needed); returns the
    samples as a list of ints (interleaved, in the valid-bit range)."""
    rnd = random.Random(seed)
    valid = valid or bits
    amp = (1 << (valid - 1)) - 1
    samples = []
    two_pi = 2 * math.pi
    for i in range(frames):
        for c in range(channels):
            x = 0.5 * math.sin(two_pi * (110 + 55 * c) * i / rate) + 0.2 * math.sin(two_pi * 3 * i / rate + c)
            v = int(x * amp) + rnd.randint(-amp // 64 - 1, amp // 64 + 1)
            samples.append(max(-amp - 1, min(amp, v)))
    if frames > 2:
        samples[0] = -amp - 1
        samples[channels] = amp
    nbytes = bits // 8
    shift = bits - valid
    if bits == 8:
        data = bytes((s + 128) & 0xFF for s in samples)
    else:
        data = b"".join(((s << shift) & ((1 << bits) - 1)).to_bytes(nbytes, "little") for s in samples)
    block = channels * nbytes
    ext = channels > 2 or bits > 16 or valid != bits
    if ext:
        mask = {1: 0x4, 2: 0x3, 3: 0x7, 4: 0x33, 5: 0x37, 6: 0x3F, 7: 0x70F, 8: 0x63F}[channels]
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, valid, mask)
        fmt += struct.pack("<H", 1) + bytes([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])
    else:
        fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    return samples


def read_wav_ints(path):
    """Samples of a PCM WAV (incl. EXTENSIBLE) as ints in the valid-bit range."""
    d = open(path, "rb").read()
    assert d[:4] == b"RIFF" and d[8:12] == b"WAVE", path
    pos, bits, valid, data = 12, None, None, None
    while pos + 8 <= len(d):
        cid, size = d[pos:pos + 4], struct.unpack("<I", d[pos + 4:pos + 8])[0]
        body = d[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            bits = struct.unpack("<H", body[14:16])[0]
            valid = bits
            if struct.unpack("<H", body[0:2])[0] == 0xFFFE:
                valid = struct.unpack("<H", body[18:20])[0] or bits
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    n = bits // 8
    if bits == 8:
        return [b - 128 for b in data]
    shift = bits - valid
    return [int.from_bytes(data[i:i + n], "little", signed=True) >> shift for i in range(0, len(data) - n + 1, n)]


def raw_ints(path, bits):
    d = open(path, "rb").read()
    n = (bits + 7) // 8
    return [int.from_bytes(d[i:i + n], "little", signed=True) for i in range(0, len(d), n)]


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else -1


# ---- FLAC stream surgery (RFC 9639 9.1) -------------------------------------

def crc8(b):
    c = 0
    for x in b:
        c ^= x
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


CRC16_TABLE = []
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x8005) & 0xFFFF if _c & 0x8000 else (_c << 1) & 0xFFFF
    CRC16_TABLE.append(_c)


def crc16(b):
    c = 0
    for x in b:
        c = ((c << 8) & 0xFFFF) ^ CRC16_TABLE[(c >> 8) ^ x]
    return c


def audio_offset(d):
    pos = 4
    while True:
        last, size = d[pos] >> 7, int.from_bytes(d[pos + 1:pos + 4], "big")
        pos += 4 + size
        if last:
            return pos


def header_len(d, p):
    """Length of the frame header at p (fixed-blocksize stream), or 0."""
    if d[p] != 0xFF or d[p + 1] & 0xFE != 0xF8:
        return 0
    bs, sr = d[p + 2] >> 4, d[p + 2] & 15
    i = p + 4
    b = d[i]
    ones = 0  # leading one bits give the coded number's length
    while ones < 8 and b & (0x80 >> ones):
        ones += 1
    n = 1 if ones == 0 else ones
    i += n
    i += 1 if bs == 6 else 2 if bs == 7 else 0
    i += 1 if sr == 12 else 2 if sr in (13, 14) else 0
    if crc8(d[p:i]) != d[i]:
        return 0
    return i + 1 - p


def split_frames(d):
    """Frame offsets of a clean stream: headers whose preceding frame's
    CRC-16 checks."""
    start = audio_offset(d)
    offs = [start]
    p = start + 2
    while p < len(d) - 2:
        if d[p] == 0xFF and d[p + 1] & 0xFE == 0xF8 and header_len(d, p) and crc16(d[offs[-1]:p]) == 0:
            offs.append(p)
        p += 1
    return offs


def coded_number(v):
    """RFC 9639 9.1.5 UTF-8-like coding, up to 36 bits."""
    if v < 0x80:
        return bytes([v])
    for n in range(2, 8):
        if v < (1 << (5 * n + 1 if n < 7 else 36)):
            out = []
            for _ in range(n - 1):
                out.append(0x80 | (v & 0x3F))
                v >>= 6
            lead = (0xFF << (8 - n)) & 0xFF
            return bytes([lead | v]) + bytes(reversed(out))
    raise ValueError(v)


def to_variable_blocksize(d, blocksize):
    """Rewrites a fixed-blocksize stream as a variable-blocksize one (sample
    numbers instead of frame numbers), recomputing both CRCs."""
    offs = split_frames(d) + [len(d)]
    out = bytearray(d[:offs[0]])
    for k in range(len(offs) - 1):
        f = d[offs[k]:offs[k + 1]]
        hl = header_len(d, offs[k])
        num_len = hl - 5 - ((1 if f[2] >> 4 == 6 else 2 if f[2] >> 4 == 7 else 0) +
                            (1 if f[2] & 15 == 12 else 2 if f[2] & 15 in (13, 14) else 0))
        hdr = bytearray(f[:4])
        hdr[1] |= 1
        hdr += coded_number(k * blocksize)
        hdr += f[4 + num_len:hl - 1]
        hdr.append(crc8(hdr))
        frame = hdr + f[hl:-2]
        frame += crc16(frame).to_bytes(2, "big")
        out += frame
    return bytes(out)


# ---- checks -------------------------------------------------------------------

def check_decode_matches(flac_path, expected, bits, label, tolerance=0):
    for pipe in (False, True):
        out = flac_path + ".dec.raw"
        args = ["decode", flac_path, out, "--strict"] + (["--pipe"] if pipe else [])
        rc, info = tool(*args)
        if rc != 0 or not isinstance(info, dict):
            fail("%s: decode%s failed: %s" % (label, " (pipe)" if pipe else "", info))
            continue
        got = raw_ints(out, bits)
        if tolerance:
            bad = [i for i, (a, b) in enumerate(zip(got, expected)) if abs(a - b) > tolerance]
            if bad or len(got) != len(expected):
                fail("%s: %d samples beyond tolerance, %d vs %d samples" % (label, len(bad), len(got), len(expected)))
        elif got != expected:
            fail("%s: samples differ%s at %d (%d vs %d samples)" %
                 (label, " (pipe)" if pipe else "", first_diff(got, expected), len(got), len(expected)))


def test_round_trip(tmp):
    print("1. WAV -> FLAC (ours) -> PCM, flac -t, flac -d, ffmpeg")
    for ch in (1, 2, 6):
        for bits in (16, 24):
            wav = os.path.join(tmp, "rt_%d_%d.wav" % (ch, bits))
            ref = write_wav(wav, ch, bits, 30000, seed=ch * 100 + bits)
            for mode in ("file", "pipe"):
                out = os.path.join(tmp, "rt_%d_%d_%s.flac" % (ch, bits, mode))
                rc, info = tool("encode", wav, out, *(["--pipe"] if mode == "pipe" else []))
                if rc != 0:
                    fail("encode %s: %s" % (out, info))
                    continue
                label = "ours %dch %d-bit (%s)" % (ch, bits, mode)
                r = run(["flac", "-t", "-s", out], check=False)
                if r.returncode != 0:
                    fail("%s: flac -t: %s" % (label, r.stderr.decode(errors="replace")))
                check_decode_matches(out, ref, bits, label)
                if mode == "pipe":
                    continue
                r = run(["flac", "-d", "-s", "-f", "--force-raw-format", "--endian=little", "--sign=signed",
                         "-o", out + ".flacd.raw", out], check=False)
                if r.returncode != 0 or raw_ints(out + ".flacd.raw", bits) != ref:
                    fail("%s: flac -d disagrees" % label)
                fmt = "s16le" if bits == 16 else "s24le"
                r = run(["ffmpeg", "-v", "error", "-y", "-i", out, "-f", fmt, "-c:a", "pcm_" + fmt,
                         out + ".ff.raw"], check=False)
                if r.returncode != 0 or raw_ints(out + ".ff.raw", bits) != ref:
                    fail("%s: ffmpeg disagrees (%s)" % (label, r.stderr.decode(errors="replace")[-300:]))


def test_tool_files(tmp):
    print("2. flac-made files decode like flac -d")
    cases = [
        # (channels, bits, level, extra flac args)
        (1, 16, 0, []), (2, 16, 5, []), (6, 16, 8, []),
        (1, 24, 8, ["--no-seektable"]), (2, 24, 0, ["--no-seektable"]), (6, 24, 5, []),
        (2, 16, 5, ["--blocksize=192"]), (2, 16, 5, ["--blocksize=576", "--no-seektable"]),
        (2, 24, 8, ["--blocksize=4608"]), (2, 16, 8, ["--lax", "--blocksize=16384"]),
        (2, 16, 5, ["--padding=0", "--no-seektable"]), (2, 8, 5, []),
        (1, 32, 5, []),
    ]
    for i, (ch, bits, level, extra) in enumerate(cases):
        wav = os.path.join(tmp, "tool_%d.wav" % i)
        ref = write_wav(wav, ch, bits, 25000, seed=i + 7)
        fl = os.path.join(tmp, "tool_%d.flac" % i)
        run(["flac", "-s", "-f", "-%d" % level] + extra + ["-o", fl, wav])
        label = "flac -%d %dch %d-bit %s" % (level, ch, bits, " ".join(extra))
        # 32-bit: float keeps 24 significant bits, so within 2^(32-24).
        check_decode_matches(fl, ref, bits, label, tolerance=256 if bits == 32 else 0)
        # Same as flac -d for the depths flac's raw output has.
        if bits != 32:
            raw = fl + ".ref.raw"
            run(["flac", "-d", "-s", "-f", "--force-raw-format", "--endian=little", "--sign=signed", "-o", raw, fl])
            if raw_ints(raw, bits) != ref:
                fail("%s: flac -d itself disagrees with the WAV" % label)
    # 12- and 20-bit: flac -d writes WAV (left-justified, valid bits set).
    for valid, container in ((12, 16), (20, 24)):
        wav = os.path.join(tmp, "v%d.wav" % valid)
        ref = write_wav(wav, 2, container, 20000, seed=valid, valid=valid)
        fl = os.path.join(tmp, "v%d.flac" % valid)
        run(["flac", "-s", "-f", "-5", "-o", fl, wav])
        run(["flac", "-d", "-s", "-f", "-o", fl + ".ref.wav", fl])
        if read_wav_ints(fl + ".ref.wav") != ref:
            fail("%d-bit: flac -d round trip unexpected" % valid)
        check_decode_matches(fl, ref, valid, "flac %d-bit" % valid)
    # Variable block size: the same frames renumbered by sample.
    wav = os.path.join(tmp, "var.wav")
    ref = write_wav(wav, 2, 16, 30000, seed=99)
    fl = os.path.join(tmp, "fixed.flac")
    run(["flac", "-s", "-f", "-5", "--blocksize=1152", "--no-seektable", "-o", fl, wav])
    var = os.path.join(tmp, "var.flac")
    open(var, "wb").write(to_variable_blocksize(open(fl, "rb").read(), 1152))
    r = run(["flac", "-t", "-s", var], check=False)
    if r.returncode != 0:
        fail("variable-blocksize rewrite rejected by flac -t: %s" % r.stderr.decode(errors="replace"))
    check_decode_matches(var, ref, 16, "variable blocksize")
    rc, out = tool("seekcheck", var, 20, 3)
    if rc != 0:
        fail("variable blocksize seek: %s" % out)
    # An ID3v2 tag in front of "fLaC".
    tagged = os.path.join(tmp, "id3.flac")
    frame = b"TIT2" + struct.pack(">I", 12) + b"\x00\x00" + b"\x00hello world"
    id3 = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    open(tagged, "wb").write(id3 + open(fl, "rb").read())
    check_decode_matches(tagged, ref, 16, "ID3v2 before fLaC")


def test_tags(tmp):
    print("3. tags and cover: metaflac -> segue -> our muxer -> mutagen")
    from mutagen.flac import FLAC
    cover = os.path.join(tmp, "cover.jpg")
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=600x600", "-frames:v", "1", cover])
    wav = os.path.join(tmp, "tags.wav")
    write_wav(wav, 2, 16, 44100, seed=5)
    src = os.path.join(tmp, "tags.flac")
    run(["flac", "-s", "-f", "-o", src, wav])
    fields = [
        ("TITLE", "Ночь — 夜の歌"), ("ARTIST", "Артист"), ("ARTIST", "Second Artist"),
        ("ALBUM", "アルバム"), ("ALBUMARTIST", "Various Artists"), ("TRACKNUMBER", "3"),
        ("TRACKTOTAL", "12"), ("DISCNUMBER", "1"), ("DISCTOTAL", "2"), ("DATE", "2021-05-04"),
        ("GENRE", "Jazz"), ("COMMENT", "a comment"), ("LYRICS", "line one\nline two"),
        ("MY_CUSTOM_FIELD", "custom value ✓"),
    ]
    args = ["metaflac", "--remove-all-tags"] + ["--set-tag=%s=%s" % kv for kv in fields]
    args += ["--set-tag=REPLAYGAIN_TRACK_GAIN=-7.03 dB", "--set-tag=REPLAYGAIN_TRACK_PEAK=0.959778",
             "--import-picture-from=3|image/jpeg|Front cover||" + cover, src]
    run(args)
    rc, info = tool("tags", src)
    if rc != 0 or not isinstance(info, dict):
        fail("tags: %s" % info)
        return
    got = [tuple(f) for f in info["fields"]]
    if got != fields:
        fail("tags read: %r" % got)
    pics = info["pictures"]
    size = os.path.getsize(cover)
    if len(pics) != 1 or pics[0]["type"] != 3 or pics[0]["mime"] != "image/jpeg" or \
            pics[0]["description"] != "Front cover" or pics[0]["width"] != 600 or \
            pics[0]["height"] != 600 or pics[0]["size"] != size:
        fail("picture read: %r" % pics)
    loud = info["loudness"]
    if abs(loud.get("track_gain", 0) + 7.03) > 1e-6 or abs(loud.get("track_peak", 0) - 0.959778) > 1e-6:
        fail("loudness read: %r" % loud)
    out = os.path.join(tmp, "retagged.flac")
    rc, res = tool("retag", src, out)
    if rc != 0:
        fail("retag: %s" % res)
        return
    r = run(["flac", "-t", "-s", out], check=False)
    if r.returncode != 0:
        fail("retagged file fails flac -t")
    f = FLAC(out)
    if f.tags.vendor != "segue":
        fail("vendor %r" % f.tags.vendor)
    want = {}
    for k, v in fields:
        want.setdefault(k.lower(), []).append(v)
    want["replaygain_track_gain"] = ["-7.03 dB"]
    want["replaygain_track_peak"] = ["0.959778"]
    have = {k.lower(): v for k, v in f.tags.as_dict().items()}
    if have != want:
        fail("mutagen fields differ:\n  have %r\n  want %r" % (have, want))
    if len(f.pictures) != 1:
        fail("mutagen sees %d pictures" % len(f.pictures))
    else:
        p = f.pictures[0]
        if p.data != open(cover, "rb").read() or p.type != 3 or p.mime != "image/jpeg" or \
                p.desc != "Front cover" or p.width != 600 or p.height != 600 or p.depth != 24:
            fail("mutagen picture: type %d mime %s desc %r %dx%d depth %d, %d bytes" %
                 (p.type, p.mime, p.desc, p.width, p.height, p.depth, len(p.data)))
    if f.info.total_samples != 44100 or f.info.md5_signature == 0:
        fail("retagged STREAMINFO: %d samples, md5 %x" % (f.info.total_samples, f.info.md5_signature))


def test_seek(tmp):
    print("4. seeking in 10 s files")
    wav = os.path.join(tmp, "ten.wav")
    write_wav(wav, 2, 16, 441000, seed=10)
    variants = [("flac -5", ["-5"]), ("flac -5 --no-seektable", ["-5", "--no-seektable"]),
                ("flac -0 --no-seektable", ["-0", "--no-seektable"]), ("flac -8 -S 1s", ["-8", "-S", "1s"])]
    for i, (label, args) in enumerate(variants):
        fl = os.path.join(tmp, "ten_%d.flac" % i)
        run(["flac", "-s", "-f"] + args + ["-o", fl, wav])
        rc, out = tool("seekcheck", fl, 40, 11)
        if rc != 0:
            fail("seek in %s: %s" % (label, out))
    ours = os.path.join(tmp, "ten_ours.flac")
    tool("encode", wav, ours)
    rc, out = tool("seekcheck", ours, 40, 12)
    if rc != 0:
        fail("seek in our output: %s" % out)


def check_damaged(path, label):
    """Decodes a damaged file in several modes; a status and a flac: detail."""
    for args in ([], ["--strict"], ["--pipe"], ["--strict", "--pipe", "--container", "flac"]):
        rc, info = tool("decode", path, path + ".raw", *args)
        if rc not in (0, 1):
            continue  # already reported by tool()
        if not isinstance(info, dict):
            fail("%s %s: no status line: %r" % (label, args, info))
            continue
        st, detail = info["status"], info.get("detail", "")
        if rc == 1 and os.path.getsize(path) > 0 and not detail.startswith("flac: ") and \
                st not in ("SEGUE_ERR_UNKNOWN_FORMAT",):
            fail("%s %s: %s without a flac: detail (%r)" % (label, args, st, detail))


def test_damage(tmp):
    print("5. damaged input")
    wav = os.path.join(tmp, "dmg.wav")
    write_wav(wav, 2, 16, 8000, seed=20)
    src = os.path.join(tmp, "dmg.flac")
    run(["flac", "-s", "-f", "-5", "--blocksize=1152", "-o", src, wav])
    run(["metaflac", "--set-tag=TITLE=damage", src])
    good = open(src, "rb").read()
    audio = audio_offset(good)
    rnd = random.Random(4)
    p = os.path.join(tmp, "d.flac")
    offsets = sorted(set(list(range(0, 48)) + [audio - 1, audio, audio + 1] +
                         [rnd.randrange(len(good)) for _ in range(40)]))
    for n in offsets:
        open(p, "wb").write(good[:n])
        check_damaged(p, "truncated at %d" % n)
    for k in range(40):
        b = bytearray(good)
        pos = rnd.randrange(audio, len(b))
        b[pos] ^= 1 << rnd.randrange(8)
        open(p, "wb").write(b)
        check_damaged(p, "bit flip at %d" % pos)
    # Lying lengths: the VORBIS_COMMENT block (after STREAMINFO) claims more.
    vc = 4 + 4 + 34
    for claim in (0xFFFFFF, len(good), 3):
        b = bytearray(good)
        b[vc + 1:vc + 4] = claim.to_bytes(3, "big")
        open(p, "wb").write(b)
        check_damaged(p, "comment length %d" % claim)
    # An endless chain of tiny blocks with no last flag.
    chain = good[:vc] + bytes([0x01, 0, 0, 0]) * 100000
    open(p, "wb").write(chain)
    rc, info = tool("decode", p, p + ".raw")
    if rc != 1 or "metadata blocks" not in info.get("detail", ""):
        fail("endless block chain: %r" % info)
    # A huge declared PICTURE.
    huge = good[:vc] + bytes([0x86, 0xFF, 0xFF, 0xFF]) + bytes(1000)
    open(p, "wb").write(huge)
    check_damaged(p, "huge PICTURE")
    # 0 bytes.
    open(p, "wb").write(b"")
    rc, info = tool("decode", p, p + ".raw", "--container", "flac")
    if rc != 1 or info["status"] != "SEGUE_ERR_CORRUPT":
        fail("0-byte file: %r" % info)


def main():
    global TOOL
    if len(sys.argv) != 2:
        print(__doc__)
        return 64
    TOOL = sys.argv[1]
    missing = [t for t in ("flac", "metaflac", "ffmpeg") if not shutil.which(t)]
    try:
        import mutagen.flac  # noqa: F401
    except ImportError:
        missing.append("python3-mutagen")
    if missing:
        print("skipped: %s not installed" % ", ".join(missing))
        return 77
    with tempfile.TemporaryDirectory(prefix="segue_flac_") as tmp:
        for t in (test_round_trip, test_tool_files, test_tags, test_seek, test_damage):
            try:
                t(tmp)
            except Exception as e:  # a tool failed where it must not
                fail("%s: %s" % (t.__name__, e))
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all FLAC oracle checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
