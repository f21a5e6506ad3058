#!/usr/bin/python3
"""Tags and cover art through every output format, read back by mutagen.

usage: tags_mutagen.py SEGUE

A FLAC made by the flac tools carries title, artist, album, album artist,
track 3/12, disc 1/2, date, genre, comment, lyrics, a custom field,
non-Latin text and a 600x600 JPEG front cover. segue converts it to MP3
(ID3v2.3, and ID3v2.4 with --id3v2.4), Ogg Vorbis, Ogg Opus and FLAC;
python3-mutagen must read every field and the picture back intact.
"""
import base64
import math
import os
import struct
import subprocess
import sys
import tempfile

import mutagen.flac
import mutagen.id3
import mutagen.oggopus
import mutagen.oggvorbis

TAGS = {
    "TITLE": "Segue Test Title",
    "ARTIST": "Ryūichi 坂本 Сакамото",
    "ALBUM": "Album Ünïcödé",
    "ALBUMARTIST": "Various Artists",
    "TRACKNUMBER": "3",
    "TRACKTOTAL": "12",
    "DISCNUMBER": "1",
    "DISCTOTAL": "2",
    "DATE": "2004-05-06",
    "GENRE": "Ambient",
    "COMMENT": "A comment, with punctuation.",
    "LYRICS": "First line\nSecond line",
    "MOOD": "Calm",
}

failures = 0


def check(cond, what):
    global failures
    if cond:
        print("ok:   " + what)
    else:
        failures += 1
        print("FAIL: " + what)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("FAIL: %s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode(errors="replace")))
    return p


def make_source(d):
    wav = os.path.join(d, "src.wav")
    rate, frames = 44100, 44100 * 2
    data = b"".join(struct.pack("<hh", int(8000 * math.sin(i * 0.05)), int(8000 * math.sin(i * 0.03)))
                    for i in range(frames))
    fmt = struct.pack("<HHIIHH", 1, 2, rate, rate * 4, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    with open(wav, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    cover = os.path.join(d, "cover.jpg")
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=600x600", "-frames:v", "1", cover])
    src = os.path.join(d, "src.flac")
    run(["flac", "-s", "-f", "-o", src, wav])
    args = ["metaflac"] + ["--set-tag=%s=%s" % kv for kv in TAGS.items()]
    args += ["--import-picture-from=3|image/jpeg|Front cover||" + cover, src]
    run(args)
    with open(cover, "rb") as f:
        return src, f.read()


def check_id3(path, version, cover):
    tags = mutagen.id3.ID3(path)
    check(tags.version[:2] == (2, version), "mp3 v2.%d: tag version is %r" % (version, tags.version))
    text = lambda fid: str(tags[fid].text[0]) if fid in tags else None
    check(text("TIT2") == TAGS["TITLE"], "mp3 v2.%d: TIT2" % version)
    check(text("TPE1") == TAGS["ARTIST"], "mp3 v2.%d: TPE1 non-Latin artist" % version)
    check(text("TALB") == TAGS["ALBUM"], "mp3 v2.%d: TALB" % version)
    check(text("TPE2") == TAGS["ALBUMARTIST"], "mp3 v2.%d: TPE2 album artist" % version)
    check(text("TRCK") == "3/12", "mp3 v2.%d: TRCK 3/12 (got %r)" % (version, text("TRCK")))
    check(text("TPOS") == "1/2", "mp3 v2.%d: TPOS 1/2 (got %r)" % (version, text("TPOS")))
    # mutagen merges v2.3 TYER+TDAT into TDRC when it loads the tag.
    check(text("TDRC") == TAGS["DATE"], "mp3 v2.%d: date (got %r)" % (version, text("TDRC")))
    check(text("TCON") == TAGS["GENRE"], "mp3 v2.%d: TCON" % version)
    comms = [str(f.text[0]) for f in tags.getall("COMM")]
    check(TAGS["COMMENT"] in comms, "mp3 v2.%d: COMM (got %r)" % (version, comms))
    lyrics = [f.text for f in tags.getall("USLT")]
    check(TAGS["LYRICS"] in lyrics, "mp3 v2.%d: USLT lyrics (got %r)" % (version, lyrics))
    moods = [str(f.text[0]) for f in tags.getall("TXXX") if f.desc.upper() == "MOOD"]
    check(moods == ["Calm"], "mp3 v2.%d: TXXX:MOOD (got %r)" % (version, moods))
    pics = tags.getall("APIC")
    check(len(pics) == 1 and pics[0].type == 3 and pics[0].mime == "image/jpeg" and pics[0].data == cover,
          "mp3 v2.%d: APIC front cover intact" % version)


def check_comments(label, tags, cover, pictures):
    def get(key):
        v = tags.get(key.lower()) or tags.get(key)
        return v[0] if v else None
    for key, want in TAGS.items():
        got = get(key)
        if key == "TRACKNUMBER" and got and "/" in got:
            got = got.split("/")[0]
        if key == "DISCNUMBER" and got and "/" in got:
            got = got.split("/")[0]
        check(got == want, "%s: %s (got %r)" % (label, key, got))
    check(len(pictures) == 1 and pictures[0].type == 3 and pictures[0].mime == "image/jpeg"
          and pictures[0].data == cover and pictures[0].width == 600 and pictures[0].height == 600,
          "%s: front cover intact (600x600 JPEG)" % label)


def ogg_pictures(tags):
    out = []
    for b64 in tags.get("metadata_block_picture", []):
        out.append(mutagen.flac.Picture(base64.b64decode(b64)))
    return out


def main():
    segue = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="segue-tags-") as d:
        src, cover = make_source(d)
        outs = {
            "mp3": (os.path.join(d, "out.mp3"), []),
            "mp3v24": (os.path.join(d, "out24.mp3"), ["--id3v2.4"]),
            "ogg": (os.path.join(d, "out.ogg"), []),
            "opus": (os.path.join(d, "out.opus"), []),
            "flac": (os.path.join(d, "out.flac"), []),
        }
        for name, (path, extra) in outs.items():
            p = subprocess.run([segue, "convert", src, path] + extra, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            check(p.returncode == 0, "convert to %s (exit %d: %s)" % (name, p.returncode,
                                                                  p.stderr.decode(errors="replace").strip()))
            if p.returncode != 0:
                continue
            if name.startswith("mp3"):
                check_id3(path, 4 if name == "mp3v24" else 3, cover)
            elif name == "ogg":
                f = mutagen.oggvorbis.OggVorbis(path)
                check_comments("ogg vorbis", f.tags, cover, ogg_pictures(f.tags))
            elif name == "opus":
                f = mutagen.oggopus.OggOpus(path)
                check_comments("ogg opus", f.tags, cover, ogg_pictures(f.tags))
            else:
                f = mutagen.flac.FLAC(path)
                check_comments("flac", f.tags, cover, f.pictures)
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
