#!/usr/bin/env bash
# tools/make_mp3demux_seeds.sh - seed corpus for tests/fuzz/fuzz_mp3demux.c
# (the MP3 demuxer), written to tests/fuzz/corpus/mp3demux/. Every seed is
# under 8 KiB.
#
#   lame encodes (short, low bitrates so that several frames fit): CBR with
#   the Info/LAME tag, VBR with Xing, VBR without any tag (-t), ABR, CRC
#   protected (-p), MPEG-2 (22.05 kHz mono), MPEG-2.5 (8 kHz);
#   Layer II from ffmpeg (mp2);
#   hand-made variants (python3, struct): VBRI header (no tool writes one;
#   also one with a byte count far beyond the file),
#   ID3v2.3/2.4 at the start with ID3v1, APEv2 before ID3v1, an appended
#   ID3v2.4 with footer, iTunSMPB, junk between frames and before the
#   first frame, a truncated last frame, a lying Xing frame count (with
#   the LAME CRC recomputed), a bad LAME CRC, free format (cut from the
#   ISO vector l3-he_free.bit in ../shared/conformance/mp3 when present,
#   else built from silent frames), Layer I (cut from l1-fl1.bit, else
#   built), an ID3v2 tag and nothing else, junk only.
#
# Needs lame, ffmpeg and python3. Usage: tools/make_mp3demux_seeds.sh
# (from anywhere; paths are relative to the repository).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/tests/fuzz/corpus/mp3demux
conf=$repo/../shared/conformance/mp3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*

# Sources: a tone with a little noise, stereo and mono, at a few rates.
python3 - "$tmp" <<'EOF'
import math, struct, sys, random
tmp = sys.argv[1]
def wav(name, n, rate, ch):
    rnd = random.Random(n + rate + ch)
    s = []
    for i in range(n):
        v = 0.3 * math.sin(2 * math.pi * 440 * i / rate)
        for c in range(ch):
            s.append(int((v + rnd.uniform(-0.02, 0.02)) * 32767))
    data = struct.pack("<%dh" % len(s), *s)
    fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * 2 * ch, 2 * ch, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    open("%s/%s" % (tmp, name), "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
wav("s44.wav", 44100 * 3 // 10, 44100, 2)
wav("m22.wav", 22050 // 2, 22050, 1)
wav("s8.wav", 8000, 8000, 2)
EOF

L="lame --quiet"
# 64 kbit/s: the smallest MPEG-1 stereo frame (208 bytes) that holds the
# Info + LAME tag (192 bytes); at lower rates lame writes no tag.
$L --resample 44.1 -b 64 "$tmp/s44.wav" "$out/cbr64_info.mp3"
$L --resample 44.1 -V 9 "$tmp/s44.wav" "$out/vbr_xing.mp3"
$L --resample 44.1 -t -V 9 "$tmp/s44.wav" "$out/vbr_notag.mp3"
$L --resample 44.1 --abr 40 "$tmp/s44.wav" "$out/abr_lame.mp3"
$L --resample 44.1 -p -b 64 "$tmp/s44.wav" "$out/cbr_crc.mp3"
$L --resample 22.05 -m m -b 24 "$tmp/m22.wav" "$out/mpeg2_mono.mp3"
$L --resample 22.05 -m m -V 5 "$tmp/m22.wav" "$out/mpeg2_vbr_xing.mp3"
$L --resample 8 -b 8 "$tmp/s8.wav" "$out/mpeg25_8k.mp3"
ffmpeg -v error -y -i "$tmp/s44.wav" -t 0.2 -c:a mp2 -b:a 64k -f mp2 "$out/layer2.mp2"

python3 - "$out" "$conf" <<'EOF'
import os, struct, sys
out, conf = sys.argv[1], sys.argv[2]

def rd(name):
    return open(os.path.join(out, name), "rb").read()

def wr(name, data):
    assert len(data) < 8192, (name, len(data))
    open(os.path.join(out, name), "wb").write(data)

def crc16_arc(d):
    crc = 0
    for b in d:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc

def frames(d):
    """Offsets of MPEG-1 Layer III frames of a plain lame file."""
    br = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    pos, out = 0, []
    while pos + 4 <= len(d) and d[pos] == 0xFF:
        pad = (d[pos + 2] >> 1) & 1
        size = 144 * br[d[pos + 2] >> 4] * 1000 // 44100 + pad
        out.append((pos, size))
        pos += size
    return out

def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

def id3v2(ver, items, footer=False):
    body = b""
    for fid, payload in items:
        size = syncsafe(len(payload)) if ver == 4 else struct.pack(">I", len(payload))
        body += fid.encode() + size + b"\0\0" + payload
    flags = 0x10 if footer else 0
    tag = b"ID3" + bytes([ver, 0, flags]) + syncsafe(len(body)) + body
    if footer:
        tag += b"3DI" + bytes([ver, 0, flags]) + syncsafe(len(body))
    return tag

def text(s):
    """A UTF-8 text frame payload (ID3v2.4)."""
    return b"\x03" + s.encode()

def id3v1(title):
    return b"TAG" + title.encode().ljust(30, b"\0") + b"artist".ljust(30, b"\0") + \
        b"album".ljust(30, b"\0") + b"2001" + b"comment".ljust(28, b"\0") + b"\0\x05" + b"\x0c"

def ape(items):
    body = b""
    for k, v in items:
        body += struct.pack("<II", len(v), 0) + k.encode() + b"\0" + v.encode()
    size = len(body) + 32
    h = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items), 0xA0000000) + b"\0" * 8
    f = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items), 0x80000000) + b"\0" * 8
    return h + body + f

cbr = rd("cbr64_info.mp3")
notag = rd("vbr_notag.mp3")
fr = frames(cbr)
info_frame, audio = cbr[:fr[0][1]], cbr[fr[0][1]:]

# Tags around the audio.
wr("id3v23_id3v1.mp3", id3v2(3, [("TIT2", b"\0Seed title"), ("TPE1", b"\0Seed artist"),
                                 ("COMM", b"\0engiTunSMPB\0 00000000 00000210 00000340 0000000000002B11")])
   + cbr + id3v1("v1 title"))
wr("id3v24_ape_id3v1.mp3", id3v2(4, [("TIT2", text("Start")), ("TXXX", b"\x03REPLAYGAIN_TRACK_GAIN\0-3.5 dB")])
   + cbr + ape([("Title", "Ape"), ("Album", "Ape album"), ("Track", "2/9")]) + id3v1("v1"))
wr("appended_id3v24.mp3", cbr + id3v2(4, [("TIT2", text("Appended"))], footer=True))
wr("appended_id3v24_ape_v1.mp3", notag + id3v2(4, [("TALB", text("A"))], footer=True) +
   ape([("Artist", "B")]) + id3v1("C"))
wr("two_id3v2.mp3", id3v2(3, [("TIT2", b"\0one")]) + id3v2(4, [("TIT2", text("two"))]) + cbr)
wr("itunsmpb_only.mp3", id3v2(3, [("COMM", b"\0engiTunSMPB\0 00000000 00000210 000003A0 0000000000001000")])
   + notag)
wr("id3v2_only.mp3", id3v2(4, [("TIT2", text("nothing else"))]))
wr("junk_only.mp3", bytes((i * 37 + 11) & 0xFF for i in range(3000)))

# Damage.
junk = bytes([0xFF, 0xFB, 0x10]) + b"junk" * 20 + bytes([0xFF, 0xE3, 0x18, 0xC4])
a = fr[5][0]
wr("junk_between.mp3", cbr[:a] + junk + cbr[a:])
wr("junk_before.mp3", b"\0\x01garbage\xff\xfb" * 30 + cbr)
wr("truncated_last.mp3", cbr[:fr[-1][0] + fr[-1][1] // 2])
lie = bytearray(info_frame)
x = lie.find(b"Info")
assert x > 0
lie[x + 8:x + 12] = struct.pack(">I", 100000)
wr("lying_count_badcrc.mp3", bytes(lie) + audio)
c = x + 120 + 34
lie[c:c + 2] = struct.pack(">H", crc16_arc(bytes(lie[:c])))
wr("lying_count.mp3", bytes(lie) + audio)
bad = bytearray(info_frame)
bad[x + 120 + 21] ^= 0x40  # delay field changed, CRC not updated
wr("lame_badcrc.mp3", bytes(bad) + audio)

# VBRI (Fraunhofer): version 1, delay, quality, bytes, frames, 4 TOC
# entries of 2 bytes, scale 1, 10 frames per entry; in a frame of the
# stream's kind placed before the audio of the untagged VBR file.
nf = frames(notag)
vb = bytearray(nf[0][1] if nf[0][1] >= 36 + 26 + 10 else 104)
vb[0:4] = notag[0:4]
toc = b"".join(struct.pack(">H", 200) for _ in range(5))
vbri = b"VBRI" + struct.pack(">HHHIIHHHH", 1, 576, 75, len(notag) + len(vb), len(nf), 4, 1, 2, 10) + toc
vb[36:36 + len(vbri)] = vbri
wr("vbri.mp3", bytes(vb) + notag)
# Regression (fuzzing): a VBRI byte count of ~4 GB over a few frames made
# the average bitrate overflow on a pipe.
vb[36 + 10:36 + 14] = struct.pack(">I", 0xF8B4FFFF)
wr("vbri_huge_bytes.mp3", bytes(vb) + notag[:nf[8][0]])

# Free format and Layer I: from the ISO vectors when they are there.
def cut_frames(data, count):
    """The first `count` frames of a stream whose frames follow each other:
    free format sizes from the distance between syncs."""
    syncs = [i for i in range(len(data) - 3) if data[i] == 0xFF and data[i + 1] == data[1]
             and (data[i + 2] & 0xFC) == (data[2] & 0xFC)]
    return data[:syncs[count]] if len(syncs) > count else data

def silent_free(count, size):
    fr = b""
    for i in range(count):
        pad = i % 2
        fr += b"\xff\xfb" + bytes([0x00 | (pad << 1), 0x00]) + b"\0" * (size + pad - 4)
    return fr

p = os.path.join(conf, "l3-he_free.bit")
free = open(p, "rb").read() if os.path.exists(p) else b""
if free:
    n = 1
    while len(cut_frames(free, n + 1)) < 7500 and n < 40:
        n += 1
    wr("free_format_l3.mp3", cut_frames(free, n))
else:
    wr("free_format_l3.mp3", silent_free(10, 640))
p = os.path.join(conf, "l1-fl1.bit")
l1 = open(p, "rb").read() if os.path.exists(p) else b""
if l1:
    wr("layer1.mp1", l1[:576 * 12])
else:
    hdr = b"\xff\xff\x18\xc0"  # MPEG-1 Layer I, 32 kbit/s... no CRC, 44.1 kHz, mono
    size = (12 * 32000 // 44100) * 4
    wr("layer1.mp1", (hdr + b"\0" * (size - 4)) * 20)
EOF

ls -l "$out"
