#!/usr/bin/python3
"""Writes the `segue check --device psp` fixtures into fixtures/psp/.

    make_psp_fixtures.py [FIXTURES_DIR]      (default: fixtures/ beside tools/)

Audio comes from Debian tools: sox (tones), lame (MP3), ffmpeg (MP2),
flac, opusenc. Cover pictures come from netpbm's pnmtojpeg (baseline and
-progressive JPEG from a PPM written here) and a PNG written here with zlib.
ID3v2.2/2.3/2.4, ID3v1 and APEv2 tag bytes are written here byte by byte
(id3.org "ID3 tag version 2", "2.3.0", "2.4.0 Main Structure"; APEv2
footer/header layout), so the checker is judged against tags it did not
write itself. Nothing here uses segue.

Each clip is 0.5 s or shorter at a low bitrate; the set stays under 300 KB.
fixtures/psp/EXPECTED.tsv says, for each file, whether it plays on the
built-in psp device and which rules must fail or warn; rows with a
`made_from` file are created by the test at run time (names a FAT file
system or a Windows checkout cannot hold are not committed). The psp rows
of fixtures/MANIFEST.tsv are replaced; other rows are kept.

The tools' versions are part of the output (LAME writes its version into
the Info frame), so rerunning on another Debian release may change bytes;
the sha256 column of MANIFEST.tsv makes that visible in review.
"""

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ORIGIN = "tools/make_psp_fixtures.py"
LICENCE = "CC0-1.0"


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


# ---- tags -------------------------------------------------------------------

def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3v2(major, title, artist, picture=None, mime="image/jpeg"):
    """An ID3v2.<major> tag with a title, an artist and optionally a front cover."""
    frames = b""
    if major == 2:
        # v2.2: 3-character ids, 3-byte sizes; PIC names the format in 3 chars.
        def frame(fid, body):
            return fid + len(body).to_bytes(3, "big") + body
        frames += frame(b"TT2", b"\x00" + title.encode("latin-1"))
        frames += frame(b"TP1", b"\x00" + artist.encode("latin-1"))
        if picture is not None:
            fmt = b"PNG" if mime == "image/png" else b"JPG"
            frames += frame(b"PIC", b"\x00" + fmt + b"\x03" + b"cover\x00" + picture)
    else:
        enc = 3 if major == 4 else 0  # v2.4: UTF-8; v2.3: ISO-8859-1

        def frame(fid, body):
            size = syncsafe(len(body)) if major == 4 else len(body).to_bytes(4, "big")
            return fid + size + b"\x00\x00" + body

        def text(s):
            return bytes([enc]) + s.encode("utf-8" if enc == 3 else "latin-1")
        frames += frame(b"TIT2", text(title))
        frames += frame(b"TPE1", text(artist))
        if picture is not None:
            frames += frame(b"APIC", b"\x00" + mime.encode() + b"\x00\x03" + b"cover\x00" + picture)
    return b"ID3" + bytes([major, 0, 0]) + syncsafe(len(frames)) + frames


def id3v1(title, artist):
    def field(s, n):
        return s.encode("latin-1")[:n].ljust(n, b"\x00")
    return (b"TAG" + field(title, 30) + field(artist, 30) + field("", 30) + b"2026" +
            field("", 28) + b"\x00\x01" + b"\xff")


def apev2(title):
    """APEv2 tag with header and footer (flags bit 31: has header, 29: is header)."""
    key, value = b"Title", title.encode("utf-8")
    item = struct.pack("<II", len(value), 0) + key + b"\x00" + value
    size = len(item) + 32  # items + footer

    def block(is_header):
        flags = 0x80000000 | (0x20000000 if is_header else 0)
        return b"APETAGEX" + struct.pack("<IIII", 2000, size, 1, flags) + b"\x00" * 8
    return block(True) + item + block(False)


# ---- pictures ---------------------------------------------------------------

def ppm(width, height):
    """A smooth colour gradient: small when compressed."""
    rows = bytearray()
    for y in range(height):
        for x in range(width):
            rows += bytes([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), 96])
    return b"P6\n%d %d\n255\n" % (width, height) + bytes(rows)


def jpeg(tmp, width, height, progressive=False, quality=60):
    src = os.path.join(tmp, "pic.ppm")
    with open(src, "wb") as f:
        f.write(ppm(width, height))
    cmd = ["pnmtojpeg", "-quiet", "-quality=%d" % quality] + (["-progressive"] if progressive else [])
    with open(src, "rb") as f:
        return subprocess.run(cmd, stdin=f, stdout=subprocess.PIPE, check=True).stdout


def png(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = bytearray()
    for y in range(height):
        raw += b"\x00"
        for x in range(width):
            raw += bytes([x * 255 // (width - 1), y * 255 // (height - 1), 96])
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) +
            chunk(b"IEND", b""))


# ---- audio ------------------------------------------------------------------

def tone(tmp, name, rate, channels, seconds, bits=16):
    out = os.path.join(tmp, name)
    run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", str(bits), out,
         "synth", str(seconds), "sine", "440", "vol", "0.5"])
    return out


def lame(tmp, wav, name, kbps, resample_khz):
    out = os.path.join(tmp, name)
    run(["lame", "--quiet", "-b", str(kbps), "--resample", resample_khz, wav, out])
    with open(out, "rb") as f:
        return f.read()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = argv[1] if len(argv) > 1 else os.path.join(here, "..", "fixtures")
    out_dir = os.path.join(fixtures, "psp")
    os.makedirs(out_dir, exist_ok=True)
    files = {}  # name -> (bytes, description)
    with tempfile.TemporaryDirectory(prefix="segue-psp-") as tmp:
        st44 = tone(tmp, "st44.wav", 44100, 2, 0.5)
        st48 = tone(tmp, "st48.wav", 48000, 2, 0.5)
        mp3_44 = lame(tmp, st44, "a44.mp3", 96, "44.1")
        mp3_48 = lame(tmp, st48, "a48.mp3", 96, "48")
        mp3_22 = lame(tmp, st44, "a22.mp3", 32, "22.05")
        cover = jpeg(tmp, 200, 200)
        cover_prog = jpeg(tmp, 200, 200, progressive=True)
        cover_big = jpeg(tmp, 640, 640, quality=40)

        files["good_mpeg1_44k_stereo_id3v23_cover.mp3"] = (
            id3v2(3, "Good", "segue", cover) + mp3_44,
            "MPEG-1 L3 96 kbps CBR 44.1 kHz stereo, ID3v2.3 with a 200x200 baseline JPEG cover, 0.5 s")
        files["plain_mpeg1_44k.mp3"] = (mp3_44, "MPEG-1 L3 96 kbps CBR 44.1 kHz stereo, no tags, 0.5 s")
        files["mpeg1_48k.mp3"] = (mp3_48, "MPEG-1 L3 96 kbps CBR 48 kHz stereo, 0.5 s")
        files["mpeg2_22k.mp3"] = (mp3_22, "MPEG-2 LSF L3 32 kbps 22.05 kHz stereo, 0.5 s")
        files["id3v22_tag.mp3"] = (id3v2(2, "Two-two", "segue", cover) + mp3_44,
                                   "MPEG-1 L3 44.1 kHz with an ID3v2.2 tag and PIC baseline JPEG, 0.5 s")
        files["id3v24_tag.mp3"] = (id3v2(4, "Two-four", "segue") + mp3_44,
                                   "MPEG-1 L3 44.1 kHz with an ID3v2.4 tag, 0.5 s")
        files["id3v1_tag.mp3"] = (mp3_44 + id3v1("One", "segue"),
                                  "MPEG-1 L3 44.1 kHz with an ID3v1.1 trailer, 0.5 s")
        files["apev2_tag.mp3"] = (mp3_44 + apev2("Ape"), "MPEG-1 L3 44.1 kHz with an APEv2 tag at the end, 0.5 s")
        files["progressive_cover.mp3"] = (id3v2(3, "Progressive", "segue", cover_prog) + mp3_44,
                                          "MPEG-1 L3 44.1 kHz, ID3v2.3 with a 200x200 progressive JPEG cover, 0.5 s")
        files["oversize_cover.mp3"] = (id3v2(3, "Big cover", "segue", cover_big) + mp3_44,
                                       "MPEG-1 L3 44.1 kHz, ID3v2.3 with a 640x640 baseline JPEG cover, 0.5 s")
        files["png_cover.mp3"] = (id3v2(3, "PNG cover", "segue", png(64, 64), "image/png") + mp3_44,
                                  "MPEG-1 L3 44.1 kHz, ID3v2.3 with a 64x64 PNG cover, 0.5 s")

        mp2 = os.path.join(tmp, "a.mp2")
        run(["ffmpeg", "-v", "error", "-y", "-i", st44, "-c:a", "mp2", "-b:a", "96k", "-f", "mp2", mp2])
        files["layer2.mp2"] = (read(mp2), "MPEG-1 Layer II 96 kbps 44.1 kHz stereo (ffmpeg), 0.5 s")

        flac = os.path.join(tmp, "a.flac")
        run(["flac", "--silent", "-8", "-f", "-o", flac, st44])
        files["flac_44k.flac"] = (read(flac), "FLAC 16-bit 44.1 kHz stereo, 0.5 s")

        opus = os.path.join(tmp, "a.opus")
        run(["opusenc", "--quiet", "--bitrate", "64", st48, opus])
        files["opus_48k.opus"] = (read(opus), "Ogg Opus 64 kbps 48 kHz stereo, 0.5 s")

        files["wav_s24_44k.wav"] = (read(tone(tmp, "s24.wav", 44100, 2, 0.1, bits=24)),
                                    "WAV PCM 24-bit 44.1 kHz stereo (sox), 0.1 s")
        files["wav_51_s16_44k.wav"] = (read(tone(tmp, "s51.wav", 44100, 6, 0.05)),
                                       "WAV PCM 16-bit 44.1 kHz 6 channels (sox), 0.05 s")

    files["empty.mp3"] = (b"", "zero-length file")
    files["corrupt.mp3"] = ((b"this is not an MPEG audio stream. " * 64)[:2048],
                            "2048 bytes of ASCII text named .mp3")
    # A RIFF/WAVE whose 'fmt ' chunk is 12 bytes (PCM needs 16).
    files["bad_header.wav"] = (b"RIFF" + struct.pack("<I", 4 + 20 + 8) + b"WAVE" + b"fmt " +
                               struct.pack("<I", 12) + struct.pack("<HHII", 1, 2, 44100, 176400) +
                               b"data" + struct.pack("<I", 0),
                               "WAV whose fmt chunk is 12 bytes (truncated header), no audio")

    rows = []
    for name in sorted(files):
        data, what = files[name]
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        rows.append(("psp/" + name, hashlib.sha256(data).hexdigest(), "%s: %s" % (ORIGIN, what), LICENCE))

    manifest = os.path.join(fixtures, "MANIFEST.tsv")
    header, kept = "file\tsha256\torigin\tlicence\n", []
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        header, kept = lines[0], [ln for ln in lines[1:] if not ln.startswith("psp/")]
    all_rows = sorted(kept + ["\t".join(r) + "\n" for r in rows])
    with open(manifest, "w", encoding="utf-8", newline="\n") as f:
        f.write(header)
        f.writelines(all_rows)
    total = sum(len(d) for d, _ in files.values())
    print("wrote %d psp fixtures (%d bytes) to %s" % (len(files), total, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
