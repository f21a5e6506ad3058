#!/usr/bin/python3
"""Gapless lengths through the reference decoders.

usage: gapless_reference.py SEGUE [--quick]

For every output codec segue writes (FLAC, Ogg Vorbis, Ogg Opus, MP3), each
input rate (8000, 22050, 44100, 48000 Hz) and each length (1 sample, 1 s,
30 s; --quick skips 30 s), converts a generated stereo WAV with
`segue convert` and decodes the result with the format's reference decoder
(flac, oggdec, opusdec, mpg123) and with ffmpeg. After the decoder's own
gapless handling the length must equal the input's exactly; where the
decoder's output rate differs from the input's (Opus is coded at 48 kHz),
the expected length is round(N * out_rate / in_rate).

ffmpeg does not trim every stream exactly: it ignores the end of very short
Vorbis streams and, for MPEG-2/2.5 MP3 of a few samples, trims the end 529
samples late. Where ffmpeg's length is not exact, the test requires it to
equal ffmpeg's length for the native encoder's file of the same input
(oggenc, lame): segue is then as gapless in ffmpeg as the native tool, and
the line says "same as <tool>" so every such case is visible.
"""
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

RATES = (8000, 22050, 44100, 48000)


def write_wav(path, rate, frames):
    """Stereo s16: a tone plus a little deterministic noise."""
    data = bytearray()
    seed = 12345
    for i in range(frames):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        noise = (seed / 0x7FFFFFFF - 0.5) * 0.02
        v = 0.4 * math.sin(2 * math.pi * 440.0 * i / rate) + noise
        s = max(-32768, min(32767, int(round(v * 32767))))
        data += struct.pack("<hh", s, -s)
    fmt = struct.pack("<HHIIHH", 1, 2, rate, rate * 4, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + bytes(data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def wav_frames(path):
    """Frames and rate of a WAV written by a reference decoder."""
    with open(path, "rb") as f:
        b = f.read()
    pos, rate, align, frames = 12, None, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            _, ch, rate, _, align = struct.unpack("<HHIIH", b[pos + 8:pos + 22])
        elif cid == b"data":
            avail = len(b) - pos - 8
            if size == 0xFFFFFFFF or size > avail:
                size = avail
            frames = size // align
            break
        pos += 8 + size + (size & 1)
    return frames, rate


def ffmpeg_frames(path):
    """Samples ffmpeg decodes (its gapless handling included), at its output rate."""
    p = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0 or p.stderr.strip():
        raise RuntimeError("ffmpeg: %s" % p.stderr.decode(errors="replace").strip())
    q = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                        "stream=sample_rate", "-of", "csv=p=0", path], stdout=subprocess.PIPE, check=True)
    return len(p.stdout) // 2, int(q.stdout.strip().split(b",")[0])


def reference_decode(codec, path, out):
    if codec == "flac":
        cmd = ["flac", "-s", "-d", "-f", "-o", out, path]
    elif codec == "vorbis":
        cmd = ["oggdec", "-Q", "-o", out, path]
    elif codec == "opus":
        cmd = ["opusdec", "--quiet", path, out]
    else:
        cmd = ["mpg123", "-q", "-w", out, path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], err))
    return wav_frames(out), err


NATIVE = {
    "flac": lambda src, out: ["flac", "-s", "-f", "-o", out, src],
    "vorbis": lambda src, out: ["oggenc", "-Q", "-o", out, src],
    "opus": lambda src, out: ["opusenc", "--quiet", src, out],
    "mp3": lambda src, out: ["lame", "--quiet", src, out],
}


def native_ffmpeg_frames(codec, src, out):
    """ffmpeg's length for the native encoder's file of the same input."""
    subprocess.run(NATIVE[codec](src, out), check=True, stdout=subprocess.DEVNULL)
    return ffmpeg_frames(out)[0]


def main():
    segue = sys.argv[1]
    quick = "--quick" in sys.argv
    for tool in ("flac", "oggdec", "opusdec", "mpg123", "ffmpeg", "ffprobe", "oggenc", "opusenc", "lame"):
        if not shutil.which(tool):
            sys.exit("FAIL: %s not installed (make deps installs it)" % tool)
    lengths = [("1 sample", lambda r: 1), ("1 s", lambda r: r)]
    if not quick:
        lengths.append(("30 s", lambda r: 30 * r))
    failures = checks = 0
    with tempfile.TemporaryDirectory(prefix="segue-gapless-") as d:
        for rate in RATES:
            for label, n_of in lengths:
                n = n_of(rate)
                src = os.path.join(d, "in_%d_%d.wav" % (rate, n))
                write_wav(src, rate, n)
                for codec, ext in (("flac", "flac"), ("vorbis", "ogg"), ("opus", "opus"), ("mp3", "mp3")):
                    out = os.path.join(d, "out_%d_%d.%s" % (rate, n, ext))
                    p = subprocess.run([segue, "convert", src, out], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
                    what = "%s %d Hz %s (%d frames)" % (codec, rate, label, n)
                    checks += 1
                    if p.returncode != 0:
                        failures += 1
                        print("FAIL: %s: segue convert exit %d: %s" % (what, p.returncode,
                                                                      p.stderr.decode(errors="replace").strip()))
                        continue
                    for decoder in ("reference", "ffmpeg"):
                        checks += 1
                        try:
                            if decoder == "reference":
                                (got, out_rate), _ = reference_decode(codec, out, out + ".wav")
                            else:
                                got, out_rate = ffmpeg_frames(out)
                        except RuntimeError as e:
                            failures += 1
                            print("FAIL: %s: %s" % (what, e))
                            continue
                        want = (n * out_rate + rate // 2) // rate
                        if got == want:
                            print("ok:   %s: %s %d frames at %d Hz" % (what, decoder, got, out_rate))
                            continue
                        if decoder == "ffmpeg":
                            peer = native_ffmpeg_frames(codec, src, out + ".native." + ext)
                            if got == peer:
                                print("ok:   %s: ffmpeg %d frames, want %d: same as %s's file" %
                                      (what, got, want, NATIVE[codec]("", "")[0]))
                                continue
                        failures += 1
                        print("FAIL: %s: %s decoded %d frames at %d Hz, want %d" %
                              (what, decoder, got, out_rate, want))
        # FLAC on stdin to MP3 on stdout: the Info/Xing frame is written
        # before any audio, so its frame count must be right although the
        # output cannot seek (STREAMINFO gives the length up front).
        rate, n = 44100, 44100 * 3 + 17
        src = os.path.join(d, "pipe.wav")
        write_wav(src, rate, n)
        flac_in = os.path.join(d, "pipe.flac")
        subprocess.run(["flac", "-s", "-f", "-o", flac_in, src], check=True)
        for extra in ([], ["--bitrate", "128"]):
            what = "flac | segue convert - - --codec mp3 %s" % " ".join(extra)
            out = os.path.join(d, "pipe%d.mp3" % len(extra))
            with open(flac_in, "rb") as fi, open(out, "wb") as fo:
                p = subprocess.run([segue, "convert", "-", "-", "--codec", "mp3"] + extra,
                                   stdin=fi, stdout=fo, stderr=subprocess.PIPE)
            checks += 1
            if p.returncode != 0:
                failures += 1
                print("FAIL: %s: exit %d: %s" % (what, p.returncode, p.stderr.decode(errors="replace")))
                continue
            with open(out, "rb") as f:
                head = f.read(4096)
            tag = max(head.find(b"Xing"), head.find(b"Info"))
            frames_field = struct.unpack(">I", head[tag + 8:tag + 12])[0] if tag >= 0 else None
            (got, _), _ = reference_decode("mp3", out, out + ".wav")
            ff, _ = ffmpeg_frames(out)
            # A frame count of (frames x 1152 >= delay + n + padding) is what
            # lets the decoders trim the end; both must give exactly n.
            ok = tag >= 0 and frames_field and got == n and ff == n
            if not ok:
                failures += 1
            print("%s %s: Xing/Info frames %r, mpg123 %d, ffmpeg %d, want %d" %
                  ("ok:  " if ok else "FAIL:", what, frames_field, got, ff, n))
    print("%d checks, %d failed" % (checks, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
