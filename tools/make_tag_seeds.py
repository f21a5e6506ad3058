#!/usr/bin/env python3
"""Writes the seed corpora of the tag fuzz targets.

    /usr/bin/python3 tools/make_tag_seeds.py [CORPUS_DIR]

CORPUS_DIR defaults to tests/fuzz/corpus of this checkout; the seeds go to
its id3v2/ (fuzz_id3v2: ID3v2.2/2.3/2.4 tags) and ape/ (fuzz_ape: APEv2 and
APEv1 tags, ID3v1 tags, and file tails with both) folders. Every seed is
under 8 KiB and built with struct only, so the bytes are the same on every
machine. Some seeds are deliberately damaged (sizes that lie, truncation,
item counts that cannot fit); they are starting points for the fuzzer, not
test expectations.
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fuzz", "corpus")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(64)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


# ---- ID3v2 -----------------------------------------------------------------------

def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def frame(major, fid, body, flags=0):
    if major == 2:
        return fid + struct.pack(">I", len(body))[1:] + body
    size = syncsafe(len(body)) if major == 4 else struct.pack(">I", len(body))
    return fid + size + struct.pack(">H", flags) + body


def tag(major, frames, flags=0, padding=16, ext=b""):
    body = ext + b"".join(frames) + b"\0" * padding
    return b"ID3" + bytes([major, 0, flags]) + syncsafe(len(body)) + body


def text(enc, s):
    if enc == 0:
        return b"\0" + s.encode("latin-1")
    if enc == 1:
        return b"\1" + b"\xff\xfe" + s.encode("utf-16-le")
    if enc == 2:
        return b"\2" + s.encode("utf-16-be")
    return b"\3" + s.encode("utf-8")


def unsync(data):
    out = bytearray()
    for i, b in enumerate(data):
        out.append(b)
        if b == 0xFF and (i + 1 == len(data) or data[i + 1] == 0 or data[i + 1] >= 0xE0):
            out.append(0)
    return bytes(out)


def id3v2_seeds():
    s = {}
    common = lambda m, e: [
        frame(m, b"TIT2", text(e, "Title \u00e9")),
        frame(m, b"TPE1", text(e, "Artist")),
        frame(m, b"TALB", text(e, "Album")),
        frame(m, b"TRCK", text(0, "3/12")),
        frame(m, b"TPOS", text(0, "1/2")),
        frame(m, b"TCON", text(0, "(17)Rock")),
        frame(m, b"COMM", b"\0eng\0A comment"),
        frame(m, b"TXXX", text(e, "REPLAYGAIN_TRACK_GAIN") + (b"\0\0" if e in (1, 2) else b"\0") +
              text(e, "-6.50 dB")[1:]),
    ]
    s["v23_latin1.id3"] = tag(3, common(3, 0) + [frame(3, b"TYER", text(0, "1999"))])
    s["v23_utf16.id3"] = tag(3, common(3, 1) + [frame(3, b"USLT", b"\1eng\xff\xfe\0\0" + "la la \u266b".encode("utf-16-le"))])
    s["v24_utf8.id3"] = tag(4, common(4, 3) + [frame(4, b"TDRC", text(3, "2024-05-17")),
                                              frame(4, b"TPE1", b"\3One\0Two"),
                                              frame(4, b"TXXX", b"\3MOOD\0Calm\0Happy")])
    s["v24_utf16be.id3"] = tag(4, [frame(4, b"TIT2", text(2, "\u65e5\u672c"))])
    s["v24_apic.id3"] = tag(4, [frame(4, b"APIC", b"\0image/jpeg\0\3cover\0" + JPEG),
                                frame(4, b"APIC", b"\1image/png\0\4\xff\xfeb\0\0\0" + PNG)])
    s["v23_apic.id3"] = tag(3, [frame(3, b"APIC", b"\0\0\3\0" + JPEG)])
    s["v22.id3"] = tag(2, [frame(2, b"TT2", text(0, "Old")), frame(2, b"TP1", text(1, "Artist")),
                           frame(2, b"PIC", b"\0JPG\3\0" + JPEG), frame(2, b"COM", b"\0eng\0c")])
    body = b"".join(common(3, 0)) + frame(3, b"APIC", b"\0image/jpeg\0\3\0" + JPEG)
    s["v23_unsync.id3"] = b"ID3\3\0\x80" + syncsafe(len(unsync(body))) + unsync(body)
    f = frame(4, b"TIT2", unsync(text(0, "\xff\xfe title")), flags=0x0002)
    s["v24_frame_unsync.id3"] = tag(4, [f, frame(4, b"TPE1", b"\0\0\0\0\x05\0Artist", flags=0x0001)])
    s["v23_ext_header.id3"] = tag(3, common(3, 0), flags=0x40, ext=struct.pack(">IHI", 6, 0, 0))
    s["v24_ext_header.id3"] = tag(4, common(4, 0), flags=0x40, ext=syncsafe(6) + b"\1\0")
    s["v24_footer.id3"] = tag(4, common(4, 3), flags=0x10, padding=0) + b"3DI\4\0\x10" + syncsafe(0)
    s["v24_itunes_sizes.id3"] = b"ID3\4\0\0" + syncsafe(200) + b"TIT2" + struct.pack(">I", 130) + \
        b"\0\0\0" + b"x" * 129 + b"\0" * 60
    s["v23_compressed.id3"] = tag(3, [frame(3, b"TIT2", struct.pack(">I", 5) + b"x\x9c", flags=0x0080)])
    s["v23_urls.id3"] = tag(3, [frame(3, b"WOAR", b"https://example.org"), frame(3, b"WXXX", b"\0d\0u")])
    # Damaged: frame larger than the tag, tag larger than the data, bad id.
    good = tag(3, common(3, 0))
    s["lie_frame.id3"] = b"ID3\3\0\0" + syncsafe(30) + b"TIT2" + struct.pack(">I", 5000) + b"\0\0" + b"x" * 20
    s["lie_tag.id3"] = good[:6] + syncsafe(100000) + good[10:]
    s["truncated.id3"] = good[: len(good) // 2]
    s["bad_id.id3"] = b"ID3\3\0\0" + syncsafe(20) + b"T!T2" + struct.pack(">I", 2) + b"\0\0\0x" + b"\0" * 6
    s["bad_encoding.id3"] = tag(4, [frame(4, b"TIT2", b"\7abc"), frame(4, b"TPE1", text(3, "ok"))])
    s["header_only.id3"] = b"ID3\4\0\0\0\0\0\0"
    return s


# ---- APE / ID3v1 -----------------------------------------------------------------

def ape_item(key, value, flags=0):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return struct.pack("<II", len(value), flags) + key.encode("ascii") + b"\0" + value


def ape_tag(items, version=2000, header=True, size=None, count=None):
    body = b"".join(items)
    tag_size = len(body) + 32 if size is None else size
    n = len(items) if count is None else count
    flags = 0x80000000 if header else 0
    out = b""
    if header:
        out += b"APETAGEX" + struct.pack("<IIII", version, tag_size, n, flags | 0x20000000) + b"\0" * 8
    return out + body + b"APETAGEX" + struct.pack("<IIII", version, tag_size, n, flags) + b"\0" * 8


def v1(title=b"Title", artist=b"Artist", album=b"Album", year=b"1999", comment=b"Comment",
       track=3, genre=17):
    f = lambda s, n: s[:n].ljust(n, b"\0")
    c = f(comment, 28) + b"\0" + bytes([track]) if track else f(comment, 30)
    return b"TAG" + f(title, 30) + f(artist, 30) + f(album, 30) + f(year, 4) + c + bytes([genre])


def ape_seeds():
    s = {}
    items = [ape_item("Title", "T\u00eftle"), ape_item("Artist", "One\0Two"), ape_item("Album", "A"),
             ape_item("Album Artist", "AA"), ape_item("Track", "3/12"), ape_item("Disc", "1/2"),
             ape_item("Year", "2001"), ape_item("Genre", "Jazz"), ape_item("Comment", "c"),
             ape_item("Composer", "C"), ape_item("Lyrics", "la"), ape_item("Mood", "Happy"),
             ape_item("REPLAYGAIN_TRACK_GAIN", "-3.25 dB"), ape_item("REPLAYGAIN_ALBUM_PEAK", "0.5")]
    audio = b"\xff\xfb\x90\x64" + bytes(200)
    s["apev2_header.ape"] = ape_tag(items)
    s["apev2_footer_only.ape"] = ape_tag(items, header=False)
    s["apev2_cover.ape"] = ape_tag([ape_item("Title", "x"),
                                    ape_item("Cover Art (Front)", b"front.jpg\0" + JPEG, flags=2),
                                    ape_item("Cover Art (Back)", PNG, flags=2),
                                    ape_item("Bin", b"\0\1", flags=2), ape_item("Link", "u", flags=4),
                                    ape_item("Reserved", "r", flags=6)])
    s["apev1.ape"] = ape_tag([ape_item("Title", "Old"), ape_item("Artist", "\xe9".encode("latin-1"))],
                             version=1000, header=False)
    s["file_ape_v1.mp3tail"] = audio + ape_tag(items) + v1()
    s["file_ape.mp3tail"] = audio + ape_tag(items[:4], header=False)
    lyr = b"LYRICSBEGININD00003110" + b"%06d" % 22 + b"LYRICS200"
    s["file_ape_lyrics3_v1.mp3tail"] = audio + ape_tag(items[:3]) + lyr + v1()
    s["id3v1_only.mp3tail"] = audio + v1()
    s["id3v10.mp3tail"] = audio + v1(track=0, comment=b"c" * 30, genre=255)
    s["id3v1_latin1.bin"] = v1(title=b"Caf\xe9 \xff", genre=147)
    # Damaged.
    s["lie_size.ape"] = ape_tag(items[:3], header=False, size=100000)
    s["lie_count.ape"] = ape_tag(items[:3], count=0xFFFFFFFF)
    s["small_size.ape"] = ape_tag(items[:1], header=False, size=4)
    s["item_past_end.ape"] = ape_tag([ape_item("Title", "ok"), struct.pack("<II", 999, 0) + b"Artist\0x"])
    s["key_unterminated.ape"] = ape_tag([struct.pack("<II", 0, 0) + b"K" * 40])
    s["truncated.ape"] = ape_tag(items)[:100]
    s["version3000.ape"] = ape_tag(items[:1], version=3000)
    return s


def write(folder, seeds):
    os.makedirs(folder, exist_ok=True)
    for name, data in sorted(seeds.items()):
        assert len(data) < 8192, name
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), folder))


write(os.path.join(OUT, "id3v2"), id3v2_seeds())
write(os.path.join(OUT, "ape"), ape_seeds())
