#!/usr/bin/python3
"""Ogg Vorbis / Ogg Opus interoperability with the reference tools.

usage: test_ogg_tools.py SEGUE_CLI OGG_TAGWRITER

1. Lengths: WAV -> Vorbis (8, 22.05, 44.1, 48 kHz) and WAV -> Opus (8, 16,
   48 kHz natively; 44.1 kHz through the transcoder's resampler) for 1
   frame, 1 s and 30 s with `segue convert`; oggdec / opusdec / ffmpeg decode
   them without errors to exactly the input length (Opus at 48 kHz: the
   length scaled by 48000 / rate; opusdec without --rate decodes at the
   input rate and must give the input length).
2. Accuracy of our decoder on files made by oggenc and opusenc (single and
   chained): the difference to the reference float decode after the same
   gapless trimming must be below -100 dBFS RMS. References: Vorbis through
   libvorbisfile's ov_read_float (ctypes; oggdec itself only writes 8/16-bit
   integers), Opus through `opusdec --float --rate 48000`.
   Seeking in those files (and in ours) gives the samples of a straight
   decode: Vorbis bit-exact, Opus within -70 dBFS (80 ms pre-roll).
3. Tags written by our muxer, read by mutagen: text fields, multi-value,
   track/disc totals, non-Latin text, the cover as METADATA_BLOCK_PICTURE,
   R128_TRACK_GAIN for Opus (no REPLAYGAIN_* there), REPLAYGAIN_* for Vorbis;
   after mutagen rewrites the tags, we still decode the whole file.

Needs oggenc/oggdec (vorbis-tools), opusenc/opusdec (opus-tools), ffmpeg,
python3-numpy, python3-mutagen and libvorbisfile.so.3; fails without them.
"""
import base64
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

try:
    import mutagen.flac
    import mutagen.oggopus
    import mutagen.oggvorbis
except ImportError:
    sys.exit("FAIL: python3-mutagen is not installed (apt-get install python3-mutagen)")

SEGUE, TAGWRITER = sys.argv[1], sys.argv[2]
FAILS = []


def check(cond, msg):
    print(("ok:   " if cond else "FAIL: ") + msg)
    if not cond:
        FAILS.append(msg)


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), r.returncode,
                                                   r.stderr.decode(errors="replace")[-600:]))
    return r


def make_wav(path, rate, frames, channels=2):
    # A chirp plus noise, as 16-bit PCM (deterministic).
    t = np.arange(frames) / rate
    rng = np.random.default_rng(frames + rate)
    x = np.stack([0.4 * np.sin(2 * np.pi * (200 + 300 * c + 800 * t) * t) for c in range(channels)], 1)
    x += 0.02 * rng.standard_normal(x.shape)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def read_wav_f32(path):
    """Any WAV (also WAVE_FORMAT_EXTENSIBLE / float) as float32 through ffmpeg."""
    out = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "f32le", "-"]).stdout
    probe = run(["ffprobe", "-v", "error", "-show_entries", "stream=channels,sample_rate", "-of",
                 "csv=p=0", path], text=True).stdout.strip().split(",")
    rate, ch = int(probe[0]), int(probe[1])
    return np.frombuffer(out, "<f4").reshape(-1, ch), rate


def ffmpeg_frames(path):
    """Frames ffmpeg decodes, and whatever it complained about."""
    r = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "f32le", "-ac", "1", "-"])
    return len(r.stdout) // 4, r.stderr.decode(errors="replace").strip()


def ffprobe_frames(path, rate):
    d = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
            text=True).stdout.strip()
    return int(round(float(d) * rate))


# ---- libvorbisfile float reference ---------------------------------------------------

_vf = ctypes.CDLL("libvorbisfile.so.3")
_vf.ov_fopen.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
_vf.ov_read_float.argtypes = [ctypes.c_void_p,
                              ctypes.POINTER(ctypes.POINTER(ctypes.POINTER(ctypes.c_float))),
                              ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
_vf.ov_read_float.restype = ctypes.c_long
_vf.ov_info.restype = ctypes.POINTER(ctypes.c_int * 2)  # version, channels
_vf.ov_info.argtypes = [ctypes.c_void_p, ctypes.c_int]


def vorbisfile_decode(path):
    vf = ctypes.create_string_buffer(1 << 16)  # larger than OggVorbis_File
    if _vf.ov_fopen(path.encode(), vf) != 0:
        raise RuntimeError("ov_fopen failed on " + path)
    blocks = []
    pcm = ctypes.POINTER(ctypes.POINTER(ctypes.c_float))()
    link = ctypes.c_int()
    while True:
        n = _vf.ov_read_float(vf, ctypes.byref(pcm), 4096, ctypes.byref(link))
        if n == 0:
            break
        if n < 0:
            continue
        ch = _vf.ov_info(vf, -1).contents[1]
        blocks.append(np.stack([np.ctypeslib.as_array(pcm[c], shape=(n,)).copy() for c in range(ch)], 1))
    _vf.ov_clear(vf)
    return np.concatenate(blocks) if blocks else np.zeros((0, 2), np.float32)


def rms_db(a, b):
    n = min(len(a), len(b))
    d = a[:n].astype(np.float64) - b[:n].astype(np.float64)
    return 10 * np.log10(np.mean(d * d) + 1e-30) if n else -300.0


def main():
    for tool in ("oggenc", "oggdec", "opusenc", "opusdec", "ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("FAIL: %s is not installed" % tool)
    tmp = tempfile.mkdtemp(prefix="segue_ogg_")
    try:
        lengths(tmp)
        accuracy(tmp)
        tags(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("all ok")


def lengths(tmp):
    for codec, rates in (("vorbis", (8000, 22050, 44100, 48000)), ("opus", (8000, 16000, 48000, 44100))):
        for rate in rates:
            for frames in (1, rate, 30 * rate):
                wav = os.path.join(tmp, "in.wav")
                make_wav(wav, rate, frames)
                out = os.path.join(tmp, "out." + ("ogg" if codec == "vorbis" else "opus"))
                run([SEGUE, "convert", wav, out])
                tag = "%s %d Hz %d frames" % (codec, rate, frames)
                dec = os.path.join(tmp, "dec.wav")
                if codec == "vorbis":
                    run(["oggdec", "-Q", "-o", dec, out])
                    got, r = read_wav_f32(dec)
                    check(len(got) == frames and r == rate, "%s: oggdec gives %d frames, want %d" %
                          (tag, len(got), frames))
                    want48 = frames
                else:
                    # 44.1 kHz goes through the resampler to 48 kHz.
                    in_rate = 48000 if rate == 44100 else rate
                    in_frames = (frames * 48000 + 22050) // 44100 if rate == 44100 else frames
                    run(["opusdec", "--quiet", out, dec])
                    got, r = read_wav_f32(dec)
                    check(len(got) == in_frames and r == in_rate,
                          "%s: opusdec (input rate %d) gives %d frames, want %d" %
                          (tag, r, len(got), in_frames))
                    want48 = in_frames * (48000 // in_rate)
                    run(["opusdec", "--quiet", "--rate", "48000", "--float", out, dec])
                    got, r = read_wav_f32(dec)
                    check(len(got) == want48, "%s: opusdec --rate 48000 gives %d frames, want %d" %
                          (tag, len(got), want48))
                n, complaints = ffmpeg_frames(out)
                check(not complaints, "%s: ffmpeg decodes without errors %s" % (tag, complaints))
                if codec == "opus":
                    check(n == want48, "%s: ffmpeg decodes %d frames, want %d" % (tag, n, want48))
                else:
                    # ffmpeg does not apply Vorbis end trimming to very short
                    # streams (oggenc's own 700-frame file decodes to 768),
                    # but its duration comes from the last granule.
                    d = ffprobe_frames(out, rate)
                    check(d == frames and n >= frames, "%s: ffprobe duration %d frames, want %d "
                          "(ffmpeg decoded %d)" % (tag, d, frames, n))
                ours = os.path.join(tmp, "ours.wav")
                run([SEGUE, "decode", out, "-o", ours, "--format", "f32"])
                got, r = read_wav_f32(ours)
                check(len(got) == want48, "%s: segue decodes %d frames, want %d" % (tag, len(got), want48))


def accuracy(tmp):
    a, b = os.path.join(tmp, "a.wav"), os.path.join(tmp, "b.wav")
    make_wav(a, 44100, 3 * 44100 + 17)
    make_wav(b, 44100, 2 * 44100 + 5, channels=2)
    files = {}
    run(["oggenc", "-Q", "-q", "4", "-o", os.path.join(tmp, "a.ogg"), a])
    run(["oggenc", "-Q", "-q", "1", "-o", os.path.join(tmp, "b.ogg"), b])
    run(["opusenc", "--quiet", a, os.path.join(tmp, "a.opus")])
    run(["opusenc", "--quiet", "--bitrate", "48", b, os.path.join(tmp, "b.opus")])
    for ext in ("ogg", "opus"):
        with open(os.path.join(tmp, "chain." + ext), "wb") as f:
            for name in ("a", "b"):
                with open(os.path.join(tmp, name + "." + ext), "rb") as g:
                    f.write(g.read())
    for name in ("a.ogg", "b.ogg", "chain.ogg", "a.opus", "b.opus", "chain.opus"):
        path = os.path.join(tmp, name)
        ours_wav = os.path.join(tmp, "ours.wav")
        run([SEGUE, "decode", path, "-o", ours_wav, "--format", "f32"])
        ours, _ = read_wav_f32(ours_wav)
        if name.endswith(".ogg"):
            ref = vorbisfile_decode(path)
        else:
            ref_wav = os.path.join(tmp, "ref.wav")
            run(["opusdec", "--quiet", "--float", "--rate", "48000", path, ref_wav])
            ref, _ = read_wav_f32(ref_wav)
        db = rms_db(ours, ref)
        check(len(ours) == len(ref) and db < -100.0,
              "%s: %d frames (reference %d), difference %.1f dBFS RMS" % (name, len(ours), len(ref), db))
    # seeking, on files from the reference encoders and on ours
    ours_ogg, ours_opus = os.path.join(tmp, "ours.ogg"), os.path.join(tmp, "ours.opus")
    run([SEGUE, "convert", a, ours_ogg])
    make_wav(os.path.join(tmp, "a48.wav"), 48000, 3 * 48000 + 17)
    run([SEGUE, "convert", os.path.join(tmp, "a48.wav"), ours_opus])
    for name, limit in (("a.ogg", -300), ("b.ogg", -300), ("ours.ogg", -300), ("a.opus", -70),
                        ("b.opus", -70), ("ours.opus", -70)):
        r = subprocess.run([TAGWRITER, "seekcheck", os.path.join(tmp, name), str(limit + 0.5)],
                           capture_output=True, text=True)
        check(r.returncode == 0, "%s: seek %s" % (name, (r.stdout + r.stderr).strip()))
    # the chain is both files back to back
    n = len(vorbisfile_decode(os.path.join(tmp, "a.ogg"))) + len(vorbisfile_decode(os.path.join(tmp, "b.ogg")))
    ours_wav = os.path.join(tmp, "ours.wav")
    run([SEGUE, "decode", os.path.join(tmp, "chain.ogg"), "-o", ours_wav, "--format", "f32"])
    check(len(read_wav_f32(ours_wav)[0]) == n == 5 * 44100 + 22, "chain.ogg decodes both links (%d frames)" % n)


def tags(tmp):
    cover = os.path.join(tmp, "cover.jpg")
    run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=600x600",
         "-frames:v", "1", cover])
    with open(cover, "rb") as f:
        jpeg = f.read()
    nonlatin = "\u65e5\u672c\u8a9e \u041f\u0440\u0438\u0432\u0435\u0442 \u03b1\u03b2\u03b3"
    for codec, cls, ext in (("vorbis", mutagen.oggvorbis.OggVorbis, "ogg"),
                            ("opus", mutagen.oggopus.OggOpus, "opus")):
        path = os.path.join(tmp, "tagged." + ext)
        run([TAGWRITER, codec, path, cover])
        f = cls(path)
        t = f.tags
        want = {"title": ["Song Title"], "artist": ["The Artist"], "album": ["The Album"],
                "albumartist": ["Album Artist"], "tracknumber": ["3"], "tracktotal": ["12"],
                "discnumber": ["1"], "disctotal": ["2"], "date": ["2021-03-04"],
                "genre": ["Electronic"], "comment": ["A comment"],
                "lyrics": ["First line\nSecond line"], "my_field": ["custom value"],
                "titlesort": [nonlatin]}
        for k, v in want.items():
            check(t.get(k) == v, "%s: %s = %r (want %r)" % (codec, k, t.get(k), v))
        pics = t.get("metadata_block_picture", [])
        ok = len(pics) == 1
        if ok:
            p = mutagen.flac.Picture(base64.b64decode(pics[0]))
            ok = p.type == 3 and p.mime == "image/jpeg" and p.data == jpeg and p.width == 600 and p.height == 600
        check(ok, "%s: cover (600x600 JPEG, %d bytes) read back as METADATA_BLOCK_PICTURE" % (codec, len(jpeg)))
        if codec == "opus":
            check(t.get("r128_track_gain") == ["-896"], "opus: R128_TRACK_GAIN = %r (want ['-896'])" %
                  t.get("r128_track_gain"))
            check(not any(k.startswith("replaygain") for k in t.keys()), "opus: no REPLAYGAIN_* fields")
            check(abs(f.info.length - 2.0) < 1e-6, "opus: mutagen length %.6f s" % f.info.length)
        else:
            check(t.get("replaygain_track_gain") == ["+1.50 dB"],
                  "vorbis: REPLAYGAIN_TRACK_GAIN = %r" % t.get("replaygain_track_gain"))
            check(abs(f.info.length - 2.0) < 1e-6, "vorbis: mutagen length %.6f s" % f.info.length)
        # mutagen rewrites the comment pages; we must still decode it all.
        t["title"] = ["Rewritten " * 200]
        f.save()
        ours_wav = os.path.join(tmp, "ours.wav")
        run([SEGUE, "decode", path, "-o", ours_wav, "--format", "f32"])
        check(len(read_wav_f32(ours_wav)[0]) == 96000, "%s: decodes in full after mutagen rewrote the tags" % codec)


if __name__ == "__main__":
    main()
