#!/usr/bin/python3
"""MP3 demuxer tests on real encoder output (lame), tags written by mutagen
or built byte by byte, and damaged files.

usage: test_mp3demux.py lame|decode|cli TOOL [SEGUE]

  lame    demuxer level (no decoder needed), through mp3demux_tool:
          gapless values of lame CBR/VBR/ABR files of N samples equal N
          (and mpg123 --gapless, the reference, also gives N); packet counts;
          100 packet-level random seeks per file land on the same packets as
          a straight read; tags at both ends are read and cut from the audio;
          resync, truncation, junk, empty and lying-header cases.
  decode  through segue_decoder: each lame file decodes to exactly N frames,
          aligned with the source (cross-correlation peak at lag 0); 100
          random seeks per file return exactly (float ==) the samples of a
          straight decode, on CBR, VBR with Xing TOC and VBR without Xing;
          tagged and junk-damaged files decode like the clean file.
  cli     `segue probe --json` shows the gapless values and duration,
          `segue decode` and `segue convert` (to FLAC) give N frames.

decode and cli need the "mp3" decoder; without it they exit 77 (skipped).
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

try:
    import numpy as np
except ImportError:  # only the decode checks need it
    np = None

MODE = sys.argv[1] if len(sys.argv) > 1 else ""
TOOL = sys.argv[2] if len(sys.argv) > 2 else ""
SEGUE = sys.argv[3] if len(sys.argv) > 3 else None

failures = []


def check(cond, what):
    if cond:
        print("ok:   " + what)
    else:
        print("FAIL: " + what)
        failures.append(what)
    return cond


def run(*args, check_rc=True):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode,
                                                    p.stderr.decode(errors="replace")))
    return p


def tool(*args, check_rc=True):
    p = run(TOOL, *args, check_rc=check_rc)
    out = p.stdout.decode()
    last = out.strip().splitlines()[-1] if out.strip() else "{}"
    return json.loads(last), out


def have_decoder():
    return subprocess.run([TOOL, "has-decoder"]).returncode == 0


# ---- inputs ---------------------------------------------------------------

def source_samples(n, rate, channels, seed):
    """A deterministic, non-periodic signal (sweep + noise) so that a
    cross-correlation has one clear peak."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        t = i / rate
        f = 200.0 + 3000.0 * (i % rate) / rate
        base = 0.35 * math.sin(2 * math.pi * f * t)
        for c in range(channels):
            v = base * (1.0 if c == 0 else -0.8) + rnd.uniform(-0.08, 0.08)
            out.append(max(-32768, min(32767, int(round(v * 32767)))))
    return out


def write_wav(path, n, rate=44100, channels=2, seed=1):
    samples = source_samples(n, rate, channels, seed)
    data = struct.pack("<%dh" % len(samples), *samples)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_wav_s16(path):
    with open(path, "rb") as f:
        d = f.read()
    pos = 12
    ch = 2
    while pos + 8 <= len(d):
        cid, size = d[pos:pos + 4], struct.unpack("<I", d[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            ch = struct.unpack("<H", d[pos + 10:pos + 12])[0]
        if cid == b"data":
            raw = d[pos + 8:pos + 8 + size]
            return np.frombuffer(raw, dtype="<i2").reshape(-1, ch).astype(np.float64) / 32768.0
        pos += 8 + size + (size & 1)
    raise RuntimeError("no data chunk in " + path)


LAME_MODES = {"cbr128": ["-b", "128"], "v2": ["-V", "2"], "abr160": ["--abr", "160"]}


def lame(src, dst, mode, rate, extra=()):
    khz = {8000: "8", 11025: "11.025", 12000: "12", 16000: "16", 22050: "22.05", 24000: "24",
           32000: "32", 44100: "44.1", 48000: "48"}[rate]
    run("lame", "--quiet", "--resample", khz, *LAME_MODES[mode], *extra, src, dst)


def gapless_cases():
    cases = []
    for n in (1, 575, 576, 1152, 44100, 30 * 44100):
        cases.append((44100, n))
    for rate in (48000, 32000, 22050, 16000, 8000):
        cases.append((rate, rate))
    return cases


def make_gapless_files(tmp):
    files = []
    for rate, n in gapless_cases():
        wav = os.path.join(tmp, "src_%d_%d.wav" % (rate, n))
        write_wav(wav, n, rate, 2, seed=n + rate)
        for mode in LAME_MODES:
            mp3 = os.path.join(tmp, "g_%d_%d_%s.mp3" % (rate, n, mode))
            lame(wav, mp3, mode, rate)
            files.append((mp3, wav, rate, n, mode))
    return files


def frames_of(data):
    """Offsets and sizes of the MPEG-1/2 Layer III frames of a plain file
    (no tags), for building damaged copies."""
    out = []
    pos = 0
    br1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    br2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
    while pos + 4 <= len(data):
        h = struct.unpack(">I", data[pos:pos + 4])[0]
        if h >> 21 != 0x7FF:
            break
        ver = (h >> 19) & 3
        bri = (h >> 12) & 15
        sri = (h >> 10) & 3
        pad = (h >> 9) & 1
        rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}[ver]
        if ver == 3:
            size = 144 * br1[bri] * 1000 // rates[sri] + pad
        else:
            size = 72 * br2[bri] * 1000 // rates[sri] + pad
        out.append((pos, size))
        pos += size
    return out


def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3v24_appended(frames):
    """An ID3v2.4 tag with footer (flag 0x10), made of text frames."""
    body = b""
    for fid, text in frames:
        payload = b"\x03" + text.encode("utf-8")
        body += fid.encode() + syncsafe(len(payload)) + b"\x00\x00" + payload
    header = b"ID3\x04\x00\x10" + syncsafe(len(body))
    footer = b"3DI\x04\x00\x10" + syncsafe(len(body))
    return header + body + footer


def ape_tag(items):
    """APEv2 with header and footer."""
    body = b""
    for k, v in items:
        vb = v.encode("utf-8")
        body += struct.pack("<II", len(vb), 0) + k.encode() + b"\x00" + vb
    size = len(body) + 32
    hdr = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items), 0xA0000000) + b"\x00" * 8
    ftr = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items), 0x80000000) + b"\x00" * 8
    return hdr + body + ftr


def id3v1(title, artist="", album="", year="", comment="", track=0, genre=255):
    def f(s, n):
        return s.encode("latin-1")[:n].ljust(n, b"\x00")
    if track:
        cm = f(comment, 28) + b"\x00" + bytes([track])
    else:
        cm = f(comment, 30)
    return b"TAG" + f(title, 30) + f(artist, 30) + f(album, 30) + f(year, 4) + cm + bytes([genre])


def tags_of(info):
    out = {}
    for k, v in info.get("tags", []):
        out.setdefault(k, []).append(v)
    return out


# ---- lame: demuxer level -----------------------------------------------------

def test_lame(tmp):
    files = make_gapless_files(tmp)
    for mp3, wav, rate, n, mode in files:
        info, _ = tool("info", mp3)
        name = os.path.basename(mp3)
        check(info["status"] == "SEGUE_OK" and info["total_frames"] == n and info["rate"] == rate,
              "%s: gapless total_frames %s == %d (delay %s, padding %s)"
              % (name, info.get("total_frames"), n, info.get("encoder_delay"), info.get("padding")))
        check(info["frames"] == info["packets"] * info["spf"] and
              info["encoder_delay"] + info["total_frames"] + info["padding"] == info["frames"],
              "%s: %d packets, coded length = delay + total + padding" % (name, info.get("packets", -1)))
        # The convention against the reference: mpg123 --gapless gives N too.
        out = os.path.join(tmp, "mpg123.wav")
        run("mpg123", "-q", "--gapless", "-w", out, mp3)
        with open(out, "rb") as f:
            d = f.read()
        got = (len(d) - 44) // 4
        check(got == n, "%s: mpg123 --gapless gives %d frames (N = %d)" % (name, got, n))

    # Packet-level seeks: CBR, VBR with Xing TOC, VBR without Xing (-t).
    for label, args in seek_files(tmp).items():
        res, out = tool("seek-demux", args, "100", "7", check_rc=False)
        check(res.get("failures") == 0 and res.get("seeks") == 102,
              "%s: 100 packet-level seeks land on the straight read's packets (mean pre-roll %s, max %s frames)"
              % (label, res.get("mean_preroll"), res.get("max_preroll")))
        if res.get("failures"):
            print(out)

    test_tags(tmp)
    test_damage(tmp)


_seek_files = {}


def seek_files(tmp):
    if _seek_files:
        return _seek_files
    wav = os.path.join(tmp, "seek.wav")
    write_wav(wav, 30 * 44100, 44100, 2, seed=99)
    for label, mode, extra in (("cbr", "cbr128", ()), ("vbr_xing", "v2", ()), ("vbr_noxing", "v2", ("-t",))):
        mp3 = os.path.join(tmp, "seek_%s.mp3" % label)
        lame(wav, mp3, mode, 44100, extra)
        _seek_files[label] = mp3
    # LSF (one granule a frame: the pre-roll must cover two frames' worth
    # of overlap), at an ordinary and at a low bitrate (many frames of bit
    # reservoir before each frame), and MPEG-2.5.
    wav22 = os.path.join(tmp, "seek22.wav")
    write_wav(wav22, 10 * 22050, 22050, 2, seed=98)
    for label, args in (("lsf_64kbps", ["-b", "64"]), ("lsf_v2", ["-V", "2"]), ("lsf_8kbps", ["-b", "8"])):
        mp3 = os.path.join(tmp, "seek_%s.mp3" % label)
        run("lame", "--quiet", "--resample", "22.05", *args, wav22, mp3)
        _seek_files[label] = mp3
    wav8 = os.path.join(tmp, "seek8.wav")
    write_wav(wav8, 10 * 8000, 8000, 1, seed=97)
    mp3 = os.path.join(tmp, "seek_mpeg25.mp3")
    run("lame", "--quiet", "--resample", "8", "-b", "24", wav8, mp3)
    _seek_files["mpeg25_8khz_mono"] = mp3
    return _seek_files


def base_file(tmp):
    wav = os.path.join(tmp, "base.wav")
    mp3 = os.path.join(tmp, "base.mp3")
    if not os.path.exists(mp3):
        write_wav(wav, 3 * 44100, 44100, 2, seed=5)
        lame(wav, mp3, "cbr128", 44100)
    with open(mp3, "rb") as f:
        return mp3, f.read()


def tagged_files(tmp):
    """name -> (path, expected tags subset, expected absent keys)."""
    from mutagen.id3 import ID3, TIT2, TPE1, TALB, COMM
    from mutagen.apev2 import APEv2
    base, data = base_file(tmp)
    out = {}
    for v in (3, 4):
        p = os.path.join(tmp, "id3v2%d.mp3" % v)
        shutil.copy(base, p)
        t = ID3()
        t.add(TIT2(encoding=3, text="Title v2.%d" % v))
        t.add(TPE1(encoding=1, text="Artist \u00e9"))
        t.add(TALB(encoding=3, text="Album"))
        t.add(COMM(encoding=3, lang="eng", desc="", text="a comment"))
        t.save(p, v2_version=v, v1=0)
        out["id3v2.%d" % v] = (p, {"TITLE": ["Title v2.%d" % v], "ARTIST": ["Artist \u00e9"],
                                   "ALBUM": ["Album"], "COMMENT": ["a comment"]})
    p = os.path.join(tmp, "id3v1.mp3")
    with open(p, "wb") as f:
        f.write(data + id3v1("V1 title", "V1 artist", "V1 album", "1999", "c", 7, 17))
    out["id3v1"] = (p, {"TITLE": ["V1 title"], "ARTIST": ["V1 artist"], "DATE": ["1999"],
                        "TRACKNUMBER": ["7"], "GENRE": ["Rock"]})
    p = os.path.join(tmp, "ape_id3v1.mp3")
    with open(p, "wb") as f:
        f.write(data + ape_tag([("Title", "Ape title, long enough to not fit in ID3v1"),
                                ("Artist", "Ape artist"), ("Track", "3/12")])
                + id3v1("Ape title, long enough to not", "Ape artist"))
    out["apev2+id3v1"] = (p, {"TITLE": ["Ape title, long enough to not fit in ID3v1"],
                              "ARTIST": ["Ape artist"], "TRACKNUMBER": ["3"], "TRACKTOTAL": ["12"]})
    p = os.path.join(tmp, "ape_mutagen.mp3")
    shutil.copy(base, p)
    a = APEv2()
    a["Title"] = "Mutagen APE"
    a["Album"] = "Mutagen album"
    a.save(p)
    out["apev2 (mutagen)"] = (p, {"TITLE": ["Mutagen APE"], "ALBUM": ["Mutagen album"]})
    p = os.path.join(tmp, "appended.mp3")
    with open(p, "wb") as f:
        f.write(data + id3v24_appended([("TIT2", "Appended title"), ("TPE1", "Appended artist")]))
    out["appended id3v2.4"] = (p, {"TITLE": ["Appended title"], "ARTIST": ["Appended artist"]})
    p = os.path.join(tmp, "appended_v1.mp3")
    with open(p, "wb") as f:
        f.write(data + id3v24_appended([("TIT2", "Appended title")]) + id3v1("V1 title", "V1 artist"))
    out["appended id3v2.4 + id3v1"] = (p, {"TITLE": ["Appended title"], "ARTIST": ["V1 artist"]})
    # Precedence: the start tag wins, end tags only fill gaps.
    p = os.path.join(tmp, "all.mp3")
    shutil.copy(base, p)
    t = ID3()
    t.add(TIT2(encoding=3, text="Start title"))
    t.save(p, v2_version=4, v1=0)
    with open(p, "ab") as f:
        f.write(ape_tag([("Title", "Ape title"), ("Album", "Ape album")]) + id3v1("V1 title", "V1 artist"))
    out["start + ape + id3v1 precedence"] = (p, {"TITLE": ["Start title"], "ALBUM": ["Ape album"],
                                                 "ARTIST": ["V1 artist"]})
    return out


def test_tags(tmp):
    _, data = base_file(tmp)
    ref, _ = tool("info", base_file(tmp)[0])
    for name, (path, want) in tagged_files(tmp).items():
        info, _ = tool("info", path)
        got = tags_of(info)
        ok = info["status"] == "SEGUE_OK" and all(got.get(k) == v for k, v in want.items())
        check(ok, "tags %s: %s (got %s)" % (name, want, {k: got.get(k) for k in want}))
        check(info.get("packets") == ref["packets"] and info.get("packet_bytes") == ref["packet_bytes"] and
              info.get("total_frames") == ref["total_frames"],
              "tags %s: the audio is the untagged file's (%s packets, %s bytes), no tag byte decoded"
              % (name, info.get("packets"), info.get("packet_bytes")))


def damaged_files(tmp):
    base, data = base_file(tmp)
    fr = frames_of(data)
    rnd = random.Random(3)
    out = {}

    def put(name, blob):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(blob)
        return p

    # Junk with false syncs between frames 10 and 11 and 20 and 21.
    junk = bytearray(rnd.getrandbits(8) for _ in range(700))
    for i in range(5, 700, 37):  # (not at offset 0: a header right at a frame boundary is taken as a frame)
        junk[i:i + 4] = b"\xff\xfb\x90\x64"  # a valid-looking header, wrong distance
    junk2 = bytes(b"\xff\xe2" * 100)
    a, b = fr[11][0], fr[21][0]
    out["junk between frames"] = put("junk_mid.mp3", data[:a] + bytes(junk) + data[a:b] + junk2 + data[b:])
    out["junk before first frame"] = put("junk_head.mp3", bytes(rnd.getrandbits(8) for _ in range(1500)) + data)
    from mutagen.id3 import ID3, TIT2
    p = put("id3_junk.mp3", b"\x00" * 300 + data)
    t = ID3()
    t.add(TIT2(encoding=3, text="x"))
    t.save(p, v2_version=3, v1=0)
    out["id3 then junk"] = p
    last = fr[-1]
    out["truncated last frame"] = put("trunc.mp3", data[:last[0] + last[1] // 2])
    return out


def test_damage(tmp):
    base, data = base_file(tmp)
    ref, _ = tool("info", base)
    files = damaged_files(tmp)
    for name in ("junk between frames", "junk before first frame", "id3 then junk"):
        info, _ = tool("info", files[name])
        check(info.get("packets") == ref["packets"] and info.get("packet_bytes") == ref["packet_bytes"],
              "resync %s: the same %s frames (got %s)" % (name, ref["packets"], info.get("packets")))
    info, _ = tool("info", files["junk before first frame"])
    check(info["probe"] == "mp3", "resync junk before first frame: probe picks mp3 (score %s)" % info["score"])
    strict, _ = tool("info", files["junk between frames"], "strict")
    check(strict.get("end_status") == "SEGUE_ERR_CORRUPT" and "junk" in strict.get("end_error", ""),
          "resync: strict mode rejects junk between frames (%s)" % strict.get("end_error"))
    strict, _ = tool("info", files["truncated last frame"], "strict")
    check(strict.get("end_status") == "SEGUE_ERR_CORRUPT" and "truncated" in strict.get("end_error", ""),
          "truncated last frame, strict: %s" % strict.get("end_error"))
    info, _ = tool("info", files["truncated last frame"])
    check(info.get("packets") == ref["packets"] - 1 and info.get("end_status") == "SEGUE_END_OF_STREAM",
          "truncated last frame is dropped (%s of %s packets)" % (info.get("packets"), ref["packets"]))

    def put(name, blob):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(blob)
        return p

    junk = put("junk_only.mp3", bytes(random.Random(4).getrandbits(8) for _ in range(20000)))
    res, _ = tool("open", junk)
    check(res["status"] == "SEGUE_ERR_UNKNOWN_FORMAT", "junk-only file: %s (%s)" % (res["status"], res["error"]))
    empty = put("empty.mp3", b"")
    res, _ = tool("open", empty)
    check(res["status"] in ("SEGUE_ERR_CORRUPT", "SEGUE_ERR_UNKNOWN_FORMAT") and res["error"],
          "0-byte file: %s (%s)" % (res["status"], res["error"]))
    from mutagen.id3 import ID3, TIT2
    only = put("only_id3.mp3", b"")
    t = ID3()
    t.add(TIT2(encoding=3, text="lonely"))
    t.save(only, v2_version=4, v1=0)
    for pipe in ((), ("pipe",)):
        res, _ = tool("open", only, *pipe)
        check(res["status"] == "SEGUE_ERR_CORRUPT" and "only tags" in res["error"],
              "ID3v2-only file%s: %s (%s)" % (" (pipe)" if pipe else "", res["status"], res["error"]))
    cut = put("id3_cut.mp3", open(tagged_files(tmp)["id3v2.4"][0], "rb").read()[:40])
    res, _ = tool("open", cut)
    check(res["status"] == "SEGUE_ERR_CORRUPT" and res["error"],
          "ID3v2 tag cut short: %s (%s)" % (res["status"], res["error"]))

    # Lying Xing frame count (with the LAME CRC recomputed, and without).
    fr = frames_of(data)
    tagf = bytearray(data[:fr[0][1]])
    xo = tagf.find(b"Info")
    tagf[xo + 8:xo + 12] = struct.pack(">I", 1000000)
    lie_badcrc = put("lie_badcrc.mp3", bytes(tagf) + data[fr[0][1]:])
    crc_at = xo + 120 + 34
    tagf[crc_at:crc_at + 2] = struct.pack(">H", crc16_arc(bytes(tagf[:crc_at])))
    lie = put("lie.mp3", bytes(tagf) + data[fr[0][1]:])
    for name, p in (("lying Xing count, LAME CRC bad", lie_badcrc), ("lying Xing count, CRC fixed", lie)):
        info, _ = tool("info", p)
        check(info.get("status") == "SEGUE_OK" and info["frames"] == ref["frames"] and
              info["packets"] == ref["packets"] and info["total_frames"] <= ref["frames"],
              "%s: length from the frames present (%s, total %s)" % (name, info.get("frames"),
                                                                     info.get("total_frames")))
    info, _ = tool("info", lie_badcrc)
    check(info["encoder_delay"] == 0, "bad LAME CRC: the delay/padding are ignored")

    # Two files joined with cat: the first one's tag covers half of it.
    joined = put("joined.mp3", data + data)
    info, _ = tool("info", joined)
    check(info.get("packets") == 2 * ref["packets"] + 1 and info["frames"] == info["packets"] * 1152 and
          info["encoder_delay"] == ref["encoder_delay"] and
          info["total_frames"] == info["frames"] - info["encoder_delay"],
          "two files joined: all %s frames kept (the second Info frame included), only the delay trimmed"
          % info.get("packets"))


# ---- decode: through segue_decoder ----------------------------------------------

def decode(path, tmp):
    out = os.path.join(tmp, "out.f32")
    res, _ = tool("decode", path, out)
    pcm = np.fromfile(out, dtype="<f4").reshape(-1, res["channels"]).astype(np.float64)
    return res, pcm


def lag_of(a, b, maxlag=3000):
    """Lag of b against a at the cross-correlation peak (FFT)."""
    n = len(a) + len(b)
    size = 1 << (n - 1).bit_length()
    fa = np.fft.rfft(a, size)
    fb = np.fft.rfft(b, size)
    c = np.fft.irfft(fa * np.conj(fb), size)
    lags = np.concatenate([np.arange(0, maxlag + 1), np.arange(-maxlag, 0)])
    vals = np.concatenate([c[:maxlag + 1], c[-maxlag:]])
    return int(lags[int(np.argmax(vals))])


def test_decode(tmp):
    if np is None:
        print("skipped: numpy not available")
        sys.exit(77)
    for mp3, wav, rate, n, mode in make_gapless_files(tmp):
        res, pcm = decode(mp3, tmp)
        name = os.path.basename(mp3)
        check(res["frames"] == n, "%s: decodes to %d frames (N = %d)" % (name, res["frames"], n))
        if n >= 500 and len(pcm) == n:
            src = read_wav_s16(wav)
            lag = lag_of(src[:, 0], pcm[:, 0], min(3000, n // 2))
            check(lag == 0, "%s: aligned with the source (correlation peak at lag %d)" % (name, lag))
        # Sample by sample against the reference decoder's gapless output.
        ref = os.path.join(tmp, "mpg123_f32.wav")
        run("mpg123", "-q", "--gapless", "-e", "f32", "-w", ref, mp3)
        with open(ref, "rb") as f:
            d = f.read()
        m = np.frombuffer(d[d.find(b"data") + 8:], dtype="<f4").reshape(-1, pcm.shape[1])
        same = m.shape == pcm.shape
        diff = float(np.abs(m - pcm).max()) if same else float("inf")
        if same and diff >= 1e-4 and n >= 500:
            # Not the demuxer's business how close the decoder gets, only
            # that the output is aligned with the reference's.
            lag = lag_of(m[:, 0].astype(np.float64), pcm[:, 0], min(3000, n // 2))
            print("note: %s: decoder output differs from mpg123 by up to %.2e (aligned: lag %d)"
                  % (name, diff, lag))
            same = lag == 0
        check(same and (diff < 1e-4 or n >= 500),
              "%s: aligned with mpg123 --gapless -e f32 (max difference %.1e)" % (name, diff))
    for label, mp3 in seek_files(tmp).items():
        res, out = tool("seek", mp3, "100", "11", check_rc=False)
        check(res.get("failures") == 0 and res.get("seeks") == 102,
              "%s: 100 random seeks give the straight decode's samples exactly" % label)
        if res.get("failures"):
            print(out)
    # Tags and junk never reach the decoder: the PCM is the clean file's.
    base, _ = base_file(tmp)
    _, ref = decode(base, tmp)
    for name, (path, _) in tagged_files(tmp).items():
        _, pcm = decode(path, tmp)
        check(pcm.shape == ref.shape and np.array_equal(pcm, ref), "tags %s: PCM identical to the untagged file" % name)
    damaged = damaged_files(tmp)
    for name in ("junk between frames", "junk before first frame", "id3 then junk"):
        _, pcm = decode(damaged[name], tmp)
        check(pcm.shape == ref.shape and np.array_equal(pcm, ref), "resync %s: PCM identical to the clean file" % name)
    res, _ = tool("open", damaged["truncated last frame"])
    check(res["status"] == "SEGUE_OK" and 0 < res["frames"] <= len(ref),
          "truncated last frame: decodes %s frames" % res.get("frames"))
    res, _ = tool("open", damaged["truncated last frame"], "strict")
    check(res.get("read_status") == "SEGUE_ERR_CORRUPT" and "truncated" in res.get("read_error", ""),
          "truncated last frame, strict: %s" % res.get("read_error"))
    for name in ("junk between frames",):
        res, _ = tool("open", damaged[name], "pipe")
        check(res["status"] == "SEGUE_OK" and res["frames"] == len(ref),
              "resync %s through a 1-byte pipe: %s frames" % (name, res.get("frames")))
    for name, (path, _) in tagged_files(tmp).items():
        res, _ = tool("open", path, "pipe")
        check(res["status"] == "SEGUE_OK" and res["frames"] == len(ref),
              "tags %s through a 1-byte pipe: %s frames" % (name, res.get("frames")))


# ---- cli -------------------------------------------------------------------------

def test_cli(tmp):
    wav = os.path.join(tmp, "cli.wav")
    n = 44100 * 2 + 123
    write_wav(wav, n, 44100, 2, seed=42)
    for mode in ("cbr128", "v2"):
        mp3 = os.path.join(tmp, "cli_%s.mp3" % mode)
        lame(wav, mp3, mode, 44100)
        p = run(SEGUE, "probe", mp3, "--json", check_rc=False)
        ok = p.returncode == 0
        j = json.loads(p.stdout.decode()) if ok else {}
        g = j.get("gapless", {})
        check(ok and g.get("encoder_delay") == 576 + 529 and g.get("total_frames") == n and j.get("frames") == n and
              abs(j.get("duration", 0) - n / 44100) < 1e-6 and j.get("codec") == "mp3" and
              j.get("container") == "mp3",
              "segue probe --json %s: gapless %s, frames %s, duration %s" % (mode, g, j.get("frames"),
                                                                              j.get("duration")))
        want_rc = "cbr" if mode == "cbr128" else "vbr"
        check(j.get("rate_control") == want_rc,
              "segue probe --json %s: rate_control %r, want %r" % (mode, j.get("rate_control"), want_rc))
        out = os.path.join(tmp, "cli_%s.wav" % mode)
        p = run(SEGUE, "decode", mp3, "-o", out, check_rc=False)
        frames = -1
        if p.returncode == 0:
            with open(out, "rb") as f:
                d = f.read()
            frames = (len(d) - d.find(b"data") - 8) // 4
        check(frames == n, "segue decode %s: %d frames" % (mode, frames))
        flac = os.path.join(tmp, "cli_%s.flac" % mode)
        p = run(SEGUE, "convert", mp3, flac, check_rc=False)
        frames = -1
        if p.returncode == 0:
            q = run("ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=duration_ts",
                    "-of", "csv=p=0", flac, check_rc=False)
            try:
                frames = int(q.stdout.decode().strip())
            except ValueError:
                frames = -2
        check(frames == n, "segue convert %s -> flac: %d frames (%s)" % (mode, frames,
                                                                       p.stderr.decode(errors="replace").strip()))


def main():
    if MODE not in ("lame", "decode", "cli") or not TOOL:
        print(__doc__)
        return 64
    for prog in ("lame", "mpg123"):
        if not shutil.which(prog):
            print("skipped: %s not installed" % prog)
            return 77
    if MODE in ("decode", "cli") and not have_decoder():
        print("skipped: no mp3 decoder registered (codec/mp3 not built)")
        return 77
    if MODE == "cli" and not SEGUE:
        print("usage: test_mp3demux.py cli TOOL SEGUE")
        return 64
    tmp = tempfile.mkdtemp(prefix="mp3demux_")
    try:
        {"lame": test_lame, "decode": test_decode, "cli": test_cli}[MODE](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
