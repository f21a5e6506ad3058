#!/usr/bin/env python3
"""Writes the seed corpora of the FLAC fuzz targets.

    /usr/bin/python3 tools/make_flac_seeds.py [CORPUS_DIR]

CORPUS_DIR defaults to tests/fuzz/corpus next to this script's checkout; the
seeds go to CORPUS_DIR/flac (fuzz_flac) and CORPUS_DIR/vorbiscomment
(fuzz_vorbiscomment). Every seed is under 8 KiB.

FLAC seeds are made by the `flac` and `metaflac` tools (Debian packages flac)
from short deterministic raw PCM written here: several levels, bit depths,
channel counts and block sizes, with tags, a tiny PNG picture, seek tables,
padding, an ID3v2 tag in front, a variable-blocksize rewrite and a few
deliberately damaged variants. Comment seeds are the VORBIS_COMMENT bodies
of those files plus hand-built blocks (inline pictures, ReplayGain, R128,
odd keys). A fuzzer mutates from these; they are not test expectations, and
their exact bytes may change with the flac version.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def pcm(frames, channels, bits, seed):
    """A deterministic triangle-plus-noise signal, little-endian signed."""
    out = bytearray()
    top = (1 << (bits - 1)) - 1
    state = seed | 1
    for i in range(frames):
        for c in range(channels):
            phase = (i * (c + 3) * 5) % 128
            level = phase if phase < 64 else 128 - phase
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            v = (level - 32) * top // 40 + (state >> 16) % 64 - 32
            v = max(-top - 1, min(top, v))
            out += v.to_bytes(bits // 8, "little", signed=True)
    return bytes(out)


def tiny_png():
    """A 2x2 RGB PNG (ISO/IEC 15948), built by hand."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def blocks(d):
    """(type, offset of body, length) of each metadata block."""
    pos, out = 4, []
    while pos + 4 <= len(d):
        t, n = d[pos] & 0x7F, int.from_bytes(d[pos + 1:pos + 4], "big")
        out.append((t, pos + 4, n))
        pos += 4 + n
        if d[pos - 4 - n] & 0x80:
            break
    return out


def crc8(b):
    c = 0
    for x in b:
        c ^= x
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


def crc16(b):
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8005) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def variable_rewrite(d, blocksize):
    """Renumbers a fixed-blocksize stream by sample number (RFC 9639 9.1.5),
    recomputing CRC-8 and CRC-16. Frames are found by header + CRC-16."""
    t, off, n = blocks(d)[-1]
    start = off + n
    offs, p = [start], start + 2
    while p < len(d) - 2:
        if d[p] == 0xFF and d[p + 1] == 0xF8 and crc16(d[offs[-1]:p]) == 0:
            offs.append(p)
        p += 1
    offs.append(len(d))
    out = bytearray(d[:start])
    for k in range(len(offs) - 1):
        f = d[offs[k]:offs[k + 1]]
        num_len = 1  # frame numbers < 128 in these small seeds
        extra = (1 if f[2] >> 4 == 6 else 2 if f[2] >> 4 == 7 else 0) + \
                (1 if f[2] & 15 == 12 else 2 if f[2] & 15 in (13, 14) else 0)
        hl = 4 + num_len + extra + 1
        v = k * blocksize
        coded = bytes([v]) if v < 0x80 else bytes([0xC0 | (v >> 6), 0x80 | (v & 0x3F)]) if v < 0x800 else \
            bytes([0xE0 | (v >> 12), 0x80 | ((v >> 6) & 0x3F), 0x80 | (v & 0x3F)])
        hdr = bytearray(f[:4])
        hdr[1] |= 1
        hdr += coded + f[4 + num_len:hl - 1]
        hdr.append(crc8(hdr))
        frame = hdr + f[hl:-2]
        out += frame + crc16(frame).to_bytes(2, "big")
    return bytes(out)


def le32(v):
    return struct.pack("<I", v)


def comment_block(vendor, fields):
    out = le32(len(vendor)) + vendor + le32(len(fields))
    for f in fields:
        out += le32(len(f)) + f
    return out


def picture_block(kind, mime, desc, data, w=2, h=2):
    return struct.pack(">I", kind) + struct.pack(">I", len(mime)) + mime + struct.pack(">I", len(desc)) + desc + \
        struct.pack(">IIIII", w, h, 24, 0, len(data)) + data


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "fuzz", "corpus")
    flac_dir = os.path.join(corpus, "flac")
    vc_dir = os.path.join(corpus, "vorbiscomment")
    for tool in ("flac", "metaflac"):
        if not shutil.which(tool):
            sys.exit("make_flac_seeds: '%s' not found (Debian package flac)" % tool)
    os.makedirs(flac_dir, exist_ok=True)
    os.makedirs(vc_dir, exist_ok=True)
    png = tiny_png()
    seeds = {}
    with tempfile.TemporaryDirectory() as tmp:
        png_path = os.path.join(tmp, "p.png")
        open(png_path, "wb").write(png)

        def make(name, channels, bits, frames, args, tags=(), picture=False, seed=1):
            r = os.path.join(tmp, name + ".raw")
            f = os.path.join(tmp, name + ".flac")
            open(r, "wb").write(pcm(frames, channels, bits, seed))
            raw = ["--force-raw-format", "--endian=little", "--sign=signed", "--channels=%d" % channels,
                   "--bps=%d" % bits, "--sample-rate=8000"]
            subprocess.run(["flac", "-s", "-f", "--padding=16"] + raw + args + ["-o", f, r], check=True)
            margs = ["--remove-all-tags"] + ["--set-tag=" + t for t in tags]
            if picture:
                margs.append("--import-picture-from=3|image/png|cover||" + png_path)
            subprocess.run(["metaflac"] + margs + [f], check=True)
            seeds[name] = open(f, "rb").read()

        make("s16_stereo_l5", 2, 16, 600, ["-5", "--blocksize=192"], ["TITLE=seed", "TRACKNUMBER=3/12"])
        make("s16_mono_l0", 1, 16, 900, ["-0", "--blocksize=256", "--no-seektable"], ["ARTIST=a"])
        make("s24_stereo_l8", 2, 24, 300, ["-8", "--blocksize=192"], ["REPLAYGAIN_TRACK_GAIN=-3.00 dB"])
        make("s8_mono", 1, 8, 800, ["-5", "--blocksize=576"])
        make("s16_6ch", 6, 16, 200, ["-3", "--blocksize=192", "--no-seektable"])
        make("picture", 1, 16, 200, ["-5", "--blocksize=192"], ["ALBUM=x", "DATE=2024"], picture=True)
        make("seektable", 1, 16, 1500, ["-5", "--blocksize=192", "-S", "256x"])
        make("s32_stereo", 2, 32, 120, ["-5", "--blocksize=192"])
        fixed = seeds["s16_mono_l0"]
        seeds["variable_blocksize"] = variable_rewrite(fixed, 256)
        tit2 = b"TIT2" + struct.pack(">I", 5) + b"\x00\x00" + b"\x00id3v"
        seeds["id3v2_prefix"] = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(tit2)]) + tit2 + fixed
        seeds["id3v1_suffix"] = fixed + b"TAG" + b"title".ljust(125, b"\x00")
        # Damage a fuzzer would take long to find on its own.
        seeds["truncated"] = fixed[:len(fixed) * 2 // 3]
        b = bytearray(fixed)
        b[len(b) // 2] ^= 0x10
        seeds["bitflip"] = bytes(b)
        t, off, n = blocks(fixed)[1]
        seeds["lying_block_length"] = fixed[:off - 3] + b"\xff\xff\xf0" + fixed[off:]
        seeds["endless_chain"] = fixed[:42] + b"\x01\x00\x00\x00" * 300
        seeds["huge_picture"] = fixed[:42] + b"\x86\xff\xff\xff" + picture_block(3, b"image/png", b"", png)[:200]

        # Comment seeds: the blocks of the files, then hand-made ones.
        vc = {}
        for name in ("s16_stereo_l5", "s24_stereo_l8", "picture"):
            for t, off, n in blocks(seeds[name]):
                if t == 4:
                    vc["from_" + name] = seeds[name][off:off + n]
        import base64
        pic = base64.b64encode(picture_block(3, b"image/png", b"front", png)).decode()
        vc["inline_picture"] = comment_block(b"segue", [b"TITLE=x", ("METADATA_BLOCK_PICTURE=" + pic).encode()])
        vc["loudness"] = comment_block(b"v", [b"REPLAYGAIN_TRACK_GAIN=-7.03 dB", b"REPLAYGAIN_TRACK_PEAK=0.95",
                                               b"REPLAYGAIN_ALBUM_GAIN=+1.2 dB", b"R128_TRACK_GAIN=-1280",
                                               b"R128_ALBUM_GAIN=300"])
        vc["odd_keys"] = comment_block(b"", [b"title=lower", b"ALBUM ARTIST=space", b"TOTALTRACKS=9",
                                              b"DISCNUMBER=1/2", b"noequals", b"=empty key", b"LATIN=caf\xe9",
                                              "KEY=\u591c".encode(), b"COVERART=" + base64.b64encode(png)])
        vc["lying_count"] = le32(1) + b"v" + le32(0x7FFFFFFF) + le32(3) + b"A=b"
        vc["picture_body"] = picture_block(6, b"image/png", b"d", png)

    for d in (flac_dir, vc_dir):
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    for name, data in sorted(seeds.items()):
        assert len(data) < 8192, (name, len(data))
        open(os.path.join(flac_dir, name + ".flac"), "wb").write(data)
    for name, data in sorted(vc.items()):
        assert len(data) < 8192, (name, len(data))
        open(os.path.join(vc_dir, name + ".vc"), "wb").write(data)
    print("%d flac seeds in %s, %d comment seeds in %s" % (len(seeds), flac_dir, len(vc), vc_dir))


if __name__ == "__main__":
    main()
