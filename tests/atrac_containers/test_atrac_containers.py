#!/usr/bin/python3
"""ATRAC container tests: OMA/AA3, RIFF-AT3 (container/wav.c), AEA.

usage: test_atrac_containers.py demux|errors|cli FIXTURES TOOL [SEGUE]

Expected values come from the fixtures README (how each file was made),
not from a run of segue. Exit 77 (ctest: skipped) when the fixtures or a
needed decoder are missing.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import wave

SKIP = 77
FAILURES = []
DRM_MESSAGE = "DRM-protected (OpenMG): cannot be converted"
AT3P_MESSAGE = "unsupported: ATRAC3plus decoding not yet available"


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run_json(args):
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (args, out.returncode, out.stderr[-2000:]))
    return json.loads(out.stdout)


# file -> (container, codec, channels, frame bytes, decoded samples/ch) per
# the README tables ("Decoded samples/ch" counts every frame in the file).
FIXTURES = {
    "at3_lp2_music_10s.oma": ("oma", "atrac3", 2, 384, 441344),
    "at3_lp2_music_10s.at3": ("at3", "atrac3", 2, 384, 441344),
    "at3_lp4_music_10s.oma": ("oma", "atrac3", 2, 192, 441344),
    "at3_lp4_music_10s.at3": ("at3", "atrac3", 2, 192, 441344),
    "at3_105k_music_10s.oma": ("oma", "atrac3", 2, 304, 441344),
    "at3_lp2_speech_5s.oma": ("oma", "atrac3", 2, 384, 221184),
    "at3_lp2_speech_5s.at3": ("at3", "atrac3", 2, 384, 221184),
    "at3_lp4_speech_5s.oma": ("oma", "atrac3", 2, 192, 221184),
    "at3_lp4_speech_5s.at3": ("at3", "atrac3", 2, 192, 221184),
    "at3_lp2_sweep_5s.oma": ("oma", "atrac3", 2, 384, 221184),
    "at3_lp2_sweep_5s.at3": ("at3", "atrac3", 2, 384, 221184),
    "at3_lp4_sweep_5s.oma": ("oma", "atrac3", 2, 192, 221184),
    "at3_lp4_sweep_5s.at3": ("at3", "atrac3", 2, 192, 221184),
    "at3p_352k_music_10s.oma": ("oma", "atrac3plus", 2, 2048, 442368),
    "at3p_352k_music_10s.at3": ("at3", "atrac3plus", 2, 2048, 442368),
    "at3p_352k_speech_5s.oma": ("oma", "atrac3plus", 2, 2048, 221184),
    "at3p_352k_speech_5s.at3": ("at3", "atrac3plus", 2, 2048, 221184),
    "at3p_352k_speech_5s_mono.oma": ("oma", "atrac3plus", 1, 2048, 221184),
    "at3p_352k_sweep_5s.oma": ("oma", "atrac3plus", 2, 2048, 221184),
    "at3p_352k_sweep_5s.at3": ("at3", "atrac3plus", 2, 2048, 221184),
    "at1_sp_music_10s.aea": ("aea", "atrac1", 2, 424, 442368),
    "at1_sp_sweep_5s.aea": ("aea", "atrac1", 2, 424, 221184),
    "tagged_at3_lp2_music_10s.oma": ("oma", "atrac3", 2, 384, 441344),
    "tagged_at3p_352k_speech_5s.oma": ("oma", "atrac3plus", 2, 2048, 221184),
}
TAGS = {
    "tagged_at3_lp2_music_10s.oma": {"TITLE": "Traveling Minstrels \u2013 excerpt",
                                     "ARTIST": "Battle for Wesnoth",
                                     "ALBUM": "Wesnoth fixtures", "TRACKNUMBER": "1"},
    "tagged_at3p_352k_speech_5s.oma": {"TITLE": "Speech test", "ARTIST": "eSpeak NG"},
}
JOINT_STEREO = {192: 1, 384: 0, 304: 0}  # README: LP4 is joint stereo, LP2 and 105k not
SOURCES = {"music": "src_music_10s.wav", "speech": "src_speech_5s.wav", "sweep": "src_sweep_5s.wav"}


def fact_values(path):
    """The RIFF fact chunk's 32-bit values (total, then skip), read directly."""
    with open(path, "rb") as f:
        data = f.read(4096)
    at = 12
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4:at + 8], "little")
        if data[at:at + 4] == b"fact":
            body = data[at + 8:at + 8 + size]
            return [int.from_bytes(body[i:i + 4], "little") for i in range(0, len(body) - 3, 4)]
        at += 8 + size + (size & 1)
    return []


def source_frames(fixtures, name):
    for key, src in SOURCES.items():
        if key in name:
            with wave.open(os.path.join(fixtures, src)) as w:
                return w.getnframes()
    return None


def test_demux(fixtures, tool):
    container_name = {"oma": "oma", "at3": "wav", "aea": "aea"}
    for name, (container, codec, channels, frame_bytes, coded) in FIXTURES.items():
        path = os.path.join(fixtures, name)
        info = run_json([tool, "info", path])
        tag = name + ": "
        check(info["status"] == "SEGUE_OK", tag + "opens: " + info["error"])
        if info["status"] != "SEGUE_OK":
            continue
        check(info["probe"] == container_name[container], tag + "probe winner " + info["probe"])
        check(info["container"] == container, tag + "container " + info["container"])
        check(info["codec"] == codec and info["params_codec"] == codec, tag + "codec " + info["codec"])
        check(info["rate"] == 44100, tag + "rate %d" % info["rate"])
        check(info["channels"] == channels, tag + "channels %d" % info["channels"])
        check(info["block_align"] == frame_bytes, tag + "block_align %d" % info["block_align"])
        spf = {"atrac3": 1024, "atrac3plus": 2048, "atrac1": 512}[codec]
        check(info["max_packet_frames"] == spf, tag + "max_packet_frames")
        check(info["frames"] == coded, tag + "frames %d, README %d" % (info["frames"], coded))
        check(info["packets"] * spf == coded, tag + "packets %d" % info["packets"])
        check(info["min_packet"] == frame_bytes and info["max_packet"] == frame_bytes,
              tag + "every packet is one frame")
        check(info["pts_increasing"] and info["last_pts"] == coded - spf, tag + "packet pts")
        check(info["end_status"] == "SEGUE_END_OF_STREAM", tag + "clean end " + info["end_error"])
        if codec == "atrac3":
            ed = bytes.fromhex(info["extradata"])
            check(len(ed) == 14, tag + "14 bytes of extradata")
            if len(ed) == 14:
                mode = int.from_bytes(ed[6:8], "little")
                check(int.from_bytes(ed[0:2], "little") == 1 and mode == JOINT_STEREO[frame_bytes]
                      and ed[8:10] == ed[6:8] and int.from_bytes(ed[10:12], "little") == 1,
                      tag + "extradata layout " + info["extradata"])
        # Gapless (docs/atrac.md): ATRAC3 1024 + 138, ATRAC3plus 4096 + 368;
        # the length is the RIFF fact total as the file states it (read
        # here from the file), for OMA the frames' count x samples per
        # frame, which is what atracdenc writes in the fact; AEA: none.
        if codec == "atrac1":
            check(info["encoder_delay"] == 0 and info["total_frames"] == 0, tag + "AEA has no gapless")
        else:
            delay = 1162 if codec == "atrac3" else 4464
            check(info["encoder_delay"] == delay, tag + "delay %d" % info["encoder_delay"])
            want = fact_values(path)[0] if container == "at3" else coded
            check(want == coded, tag + "atracdenc's fact total %d is frames x %d" % (want, spf))
            check(info["total_frames"] == want, tag + "total %d, want %d" % (info["total_frames"], want))
            src = source_frames(fixtures, name)
            check(src is not None and 0 <= info["total_frames"] - src < spf,
                  tag + "length covers the source clip, with less than a frame of padding")
        want_tags = TAGS.get(name, {"TITLE": "test"} if container == "aea" else {})
        got_tags = {k: v for k, v in info["tags"]}
        check(got_tags == want_tags, tag + "tags %r" % (got_tags,))
        # The same through a pipe (one byte per read, no seek).
        piped = run_json([tool, "info", path, "pipe"])
        check(piped["status"] == "SEGUE_OK" and piped["packets"] == info["packets"]
              and piped["tags"] == info["tags"], tag + "pipe input")
        # Packet-level seeks land on a frame boundary at or before the target.
        for target in (0, spf * 3 + 17, coded // 2, coded - 1):
            s = run_json([tool, "seek", path, str(target)])
            check(s["status"] == "SEGUE_OK" and 0 <= s["landed"] <= target and s["landed"] % spf == 0
                  and s["pts"] == s["landed"], tag + "seek to %d: %r" % (target, s))

    # OMA and RIFF wrappers of one stream: same parameters, gapless values.
    for name in FIXTURES:
        if name.endswith(".at3"):
            a = run_json([tool, "info", os.path.join(fixtures, name)])
            o = run_json([tool, "info", os.path.join(fixtures, name[:-4] + ".oma")])
            for key in ("codec", "rate", "channels", "block_align", "frames", "packets",
                        "encoder_delay", "total_frames"):
                check(a.get(key) == o.get(key), name + ": .oma and .at3 differ in " + key)
    # Strict mode still opens every well-formed fixture.
    for name in ("at3_lp2_music_10s.at3", "tagged_at3_lp2_music_10s.oma", "at1_sp_sweep_5s.aea"):
        s = run_json([tool, "info", os.path.join(fixtures, name), "strict"])
        check(s["status"] == "SEGUE_OK" and s["end_status"] == "SEGUE_END_OF_STREAM",
              name + ": strict " + s["error"] + s.get("end_error", ""))


def test_errors(fixtures, tool):
    drm = run_json([tool, "open", os.path.join(fixtures, "neg_drm_flagged_at3_lp2.oma")])
    check(drm["status"] == "SEGUE_ERR_DRM" and drm["error"] == DRM_MESSAGE, "DRM fixture: %r" % drm)
    wma = run_json([tool, "open", os.path.join(fixtures, "neg_codec_wma_id.oma")])
    check(wma["status"] == "SEGUE_ERR_UNSUPPORTED" and "WMA" in wma["error"], "WMA fixture: %r" % wma)
    for name in ("at3p_352k_speech_5s.oma", "at3p_352k_speech_5s.at3", "tagged_at3p_352k_speech_5s.oma"):
        r = run_json([tool, "open", os.path.join(fixtures, name)])
        check(r["status"] == "SEGUE_ERR_UNSUPPORTED" and r["error"] == AT3P_MESSAGE, name + ": %r" % r)

    with tempfile.TemporaryDirectory() as tmp:
        # DRM by OpenMG key frames in the ea3 tag, with an unencrypted EA3
        # header: a GEOB frame described "OMG_BKLSI" inserted into the tag.
        with open(os.path.join(fixtures, "tagged_at3_lp2_music_10s.oma"), "rb") as f:
            data = f.read()
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        body = b"\x00application/octet-stream\x00\x00OMG_BKLSI\x00" + bytes(16)
        frame = b"GEOB" + len(body).to_bytes(4, "big") + b"\x00\x00" + body
        new_size = size + len(frame)
        header = data[:6] + bytes([(new_size >> 21) & 0x7F, (new_size >> 14) & 0x7F,
                                   (new_size >> 7) & 0x7F, new_size & 0x7F])
        keyed = os.path.join(tmp, "keyed.oma")
        with open(keyed, "wb") as f:
            f.write(header + frame + data[10:])
        r = run_json([tool, "open", keyed])
        check(r["status"] == "SEGUE_ERR_DRM" and r["error"] == DRM_MESSAGE, "OpenMG key frame: %r" % r)
        # Encryption id 0xFF80 is the other "not encrypted" value.
        with open(os.path.join(fixtures, "at3_lp2_speech_5s.oma"), "rb") as f:
            data = bytearray(f.read())
        data[6:8] = b"\xff\x80"
        alt = os.path.join(tmp, "ff80.oma")
        with open(alt, "wb") as f:
            f.write(data)
        r = run_json([tool, "info", alt])
        check(r["status"] == "SEGUE_OK", "encryption id 0xFF80 opens: %r" % r.get("error"))

    # Truncations (every prefix of the first 200 bytes and a few longer
    # cuts) and random bit flips: only clean statuses, never a crash.
    allowed = {"runs", "SEGUE_OK", "SEGUE_ERR_CORRUPT", "SEGUE_ERR_UNKNOWN_FORMAT",
               "SEGUE_ERR_UNSUPPORTED", "SEGUE_ERR_DRM", "SEGUE_ERR_TOO_LARGE"}
    for name, seed in (("tagged_at3_lp2_music_10s.oma", 11), ("at3_lp4_speech_5s.at3", 12),
                       ("at1_sp_sweep_5s.aea", 13), ("neg_drm_flagged_at3_lp2.oma", 14),
                       ("tagged_at3p_352k_speech_5s.oma", 15)):
        r = run_json([tool, "stress", os.path.join(fixtures, name), "250", str(seed)])
        check(set(r) <= allowed, name + ": unexpected statuses %r" % r)
        check(r["runs"] > 400, name + ": stress ran %r" % r)
        if name.startswith("neg_drm"):
            check(r.get("SEGUE_OK", 0) == 0, name + ": a damaged DRM file never decodes: %r" % r)


def read_wav(path):
    import numpy as np
    with wave.open(path) as w:
        n, c = w.getnframes(), w.getnchannels()
        return np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, c).astype(np.float64) / 32768.0


def test_cli(fixtures, tool, segue):
    def run(args):
        return subprocess.run([segue] + args, capture_output=True, text=True, timeout=300)

    # Exit codes and messages.
    r = run(["probe", os.path.join(fixtures, "neg_drm_flagged_at3_lp2.oma")])
    check(r.returncode == 69 and DRM_MESSAGE in r.stderr, "probe DRM: %d %s" % (r.returncode, r.stderr))
    r = run(["probe", os.path.join(fixtures, "neg_codec_wma_id.oma")])
    check(r.returncode == 69 and "WMA" in r.stderr, "probe WMA: %d %s" % (r.returncode, r.stderr))
    r = run(["probe", os.path.join(fixtures, "at3p_352k_music_10s.oma")])
    check(r.returncode == 69 and AT3P_MESSAGE in r.stderr, "probe ATRAC3plus: %d %s" % (r.returncode, r.stderr))

    has = {c: subprocess.run([tool, "has-decoder", c]).returncode == 0 for c in ("atrac3", "atrac1")}
    with tempfile.TemporaryDirectory() as tmp:
        # Truncated copies through the CLI: 65 or a clean result.
        with open(os.path.join(fixtures, "tagged_at3_lp2_music_10s.oma"), "rb") as f:
            data = f.read()
        for n in (0, 5, 10, 100, 163, 164, 200, 260, 300, 1000):
            p = os.path.join(tmp, "cut%d.oma" % n)
            with open(p, "wb") as f:
                f.write(data[:n])
            r = run(["probe", p])
            ok = r.returncode == 65 or (r.returncode == 0 and has["atrac3"])
            check(ok, "probe of a %d-byte prefix: exit %d %s" % (n, r.returncode, r.stderr))

        if not has["atrac3"]:
            print("skipped: the atrac3 decoder is not registered (conversion parts)")
            return SKIP

        # Probe JSON of every decodable fixture.
        for name, (container, codec, channels, _, coded) in FIXTURES.items():
            if codec == "atrac3plus" or not has.get(codec):
                continue
            r = run(["probe", "--json", os.path.join(fixtures, name)])
            check(r.returncode == 0, name + ": probe exit %d %s" % (r.returncode, r.stderr))
            if r.returncode:
                continue
            j = json.loads(r.stdout)
            check(j["container"] == container and j["codec"] == codec and j["sample_rate"] == 44100
                  and j["channels"] == channels, name + ": probe json %r" % {k: j[k] for k in
                                                                          ("container", "codec", "channels")})
            for key, value in TAGS.get(name, {}).items():
                check(j["tags"].get(key) == [value], name + ": probe tag %s = %r" % (key, j["tags"].get(key)))

        # .oma and .at3 wrappers of one stream decode to identical PCM.
        for stem in ("at3_lp2_music_10s", "at3_lp4_speech_5s", "at3_lp2_sweep_5s"):
            outs = []
            for ext in ("oma", "at3"):
                out = os.path.join(tmp, stem + "." + ext + ".f32")
                j = run_json([tool, "decode", os.path.join(fixtures, stem + "." + ext), out])
                check(j["status"] == "SEGUE_OK", stem + ext + ": decode " + j["error"])
                with open(out, "rb") as f:
                    outs.append(f.read())
            check(outs[0] == outs[1] and len(outs[0]) > 0, stem + ": .oma and .at3 PCM differ")

        # fact rule (docs/atrac.md "Gapless"): the decode is exactly the
        # fact length (atracdenc writes frames x 1024: the source plus less
        # than a frame of the encoder's padding), starts where the source
        # starts (README: the FFmpeg-compatible decode is polarity-inverted)
        # and the .oma wrapper gives the same samples. The last 1162 of
        # them come from draining the decoder (no packet holds them): they
        # must carry the source's signal, not silence.
        import numpy as np
        for stem, src_name, tail_has_signal in (("at3_lp2_music_10s", "src_music_10s.wav", True),
                                                 ("at3_lp4_speech_5s", "src_speech_5s.wav", False),
                                                 ("at3_lp2_sweep_5s", "src_sweep_5s.wav", True)):
            src = read_wav(os.path.join(fixtures, src_name))
            decs = {}
            for ext in ("at3", "oma"):
                out = os.path.join(tmp, stem + "." + ext + ".wav")
                r = run(["decode", os.path.join(fixtures, stem + "." + ext), "-o", out])
                check(r.returncode == 0 and "truncated" not in r.stderr,
                      stem + "." + ext + ": decode: %d %s" % (r.returncode, r.stderr))
                if r.returncode == 0:
                    decs[ext] = read_wav(out)
            if "at3" not in decs:
                continue
            dec = decs["at3"]
            fact_total = fact_values(os.path.join(fixtures, stem + ".at3"))[0]
            check(len(dec) == fact_total and 0 <= len(dec) - len(src) < 1024,
                  stem + ": length %d, fact %d, source %d" % (len(dec), fact_total, len(src)))
            check("oma" in decs and np.array_equal(decs["oma"], dec), stem + ": .oma and .at3 decodes differ")
            n = min(len(dec), len(src)) - 4096
            best = max(range(-8, 9), key=lambda d: abs(np.dot(src[4096:4096 + n - 16, 0],
                                                             dec[4096 + d:4096 + d + n - 16, 0])))
            check(best == 0, stem + ": output is offset by %d samples from the source" % best)
            drained = slice(len(dec) - 1162, len(src))
            s_tail, d_tail = src[drained], dec[drained]
            if tail_has_signal:
                # Inverted polarity: the residual is source + decode.
                snr = 10 * np.log10(np.sum(s_tail ** 2) / max(np.sum((s_tail + d_tail) ** 2), 1e-30))
                check(snr > 2.0, stem + ": drained tail vs source %.1f dB (silence gives 0)" % snr)
            # The same through a pipe: the fact length is known up front.
            piped = os.path.join(tmp, stem + ".pipe.wav")
            with open(os.path.join(fixtures, stem + ".at3"), "rb") as f:
                r = subprocess.run([segue, "decode", "-", "-o", piped], stdin=f, capture_output=True,
                                   text=True, timeout=300)
            check(r.returncode == 0 and np.array_equal(read_wav(piped), dec),
                  stem + ": piped .at3 decode differs: %d %s" % (r.returncode, r.stderr))

        # Truncated .at3 files are not padded to their fact length: without
        # its last frame, or with half of it, the output is what the frames
        # left give after the delay, and the CLI says the file is truncated.
        with open(os.path.join(fixtures, "at3_lp2_music_10s.at3"), "rb") as f:
            whole = f.read()
        frames = fact_values(os.path.join(fixtures, "at3_lp2_music_10s.at3"))[0] // 1024
        for cut, left in ((384, frames - 1), (192, frames - 1), (384 * 5, frames - 5)):
            p = os.path.join(tmp, "cut.at3")
            with open(p, "wb") as f:
                f.write(whole[:len(whole) - cut])
            out = os.path.join(tmp, "cut.wav")
            r = run(["decode", p, "-o", out])
            got = len(read_wav(out)) if r.returncode == 0 else -1
            check(r.returncode == 0 and got == left * 1024 - 1162 and "truncated" in r.stderr,
                  "at3 cut by %d bytes: %d frames out, want %d, exit %d, %s"
                  % (cut, got, left * 1024 - 1162, r.returncode, r.stderr.strip()))

        # Tags into MP3 and FLAC.
        import mutagen
        tagged = os.path.join(fixtures, "tagged_at3_lp2_music_10s.oma")
        for ext in ("mp3", "flac"):
            out = os.path.join(tmp, "tagged." + ext)
            r = run(["convert", tagged, out])
            check(r.returncode == 0, "convert to %s: %s" % (ext, r.stderr))
            if r.returncode:
                continue
            m = mutagen.File(out, easy=True)
            want = TAGS["tagged_at3_lp2_music_10s.oma"]
            check(m.get("title") == [want["TITLE"]] and m.get("artist") == [want["ARTIST"]]
                  and m.get("album") == [want["ALBUM"]]
                  and (m.get("tracknumber") or [""])[0].split("/")[0] == "1",
                  "%s tags: %r" % (ext, dict(m)))

        # Batch over a tree with DRM and corrupt files.
        src_dir, dst_dir = os.path.join(tmp, "library"), os.path.join(tmp, "out")
        os.makedirs(os.path.join(src_dir, "Artist", "Album"))
        os.makedirs(os.path.join(src_dir, "Other"))
        shutil.copy(tagged, os.path.join(src_dir, "Artist", "Album", "01.oma"))
        shutil.copy(os.path.join(fixtures, "at3_lp4_speech_5s.at3"), os.path.join(src_dir, "Other", "speech.at3"))
        if has["atrac1"]:
            shutil.copy(os.path.join(fixtures, "at1_sp_sweep_5s.aea"), os.path.join(src_dir, "Other", "md.aea"))
        shutil.copy(os.path.join(fixtures, "neg_drm_flagged_at3_lp2.oma"), os.path.join(src_dir, "Artist", "drm1.oma"))
        shutil.copy(os.path.join(fixtures, "neg_drm_flagged_at3_lp2.oma"), os.path.join(src_dir, "Other", "drm2.oma"))
        with open(os.path.join(src_dir, "Other", "corrupt.oma"), "wb") as f:
            f.write(data[:170])
        report = os.path.join(tmp, "report.jsonl")
        r = run(["batch", src_dir, dst_dir, "--profile", "archive-flac", "-j", "1", "--report", report])
        check(r.returncode == 1, "batch with failures exits 1: %d %s" % (r.returncode, r.stderr[-500:]))
        items = {}
        if os.path.exists(report):
            with open(report) as f:
                for line in f:
                    if line.strip():
                        o = json.loads(line)
                        items[os.path.basename(o.get("input") or "")] = o
        for drm_name in ("drm1.oma", "drm2.oma"):
            o = items.get(drm_name, {})
            check(o.get("status") == "failed" and DRM_MESSAGE in (o.get("error") or ""),
                  "batch report for %s: %r" % (drm_name, o))
        check(items.get("corrupt.oma", {}).get("status") == "failed", "batch: corrupt file fails")
        converted = [n for n in ("01.oma", "speech.at3", "md.aea") if n in items]
        for n in converted:
            check(items[n].get("status") == "converted", "batch: %s %r" % (n, items[n]))
        flac = [os.path.join(d, f) for d, _, fs in os.walk(dst_dir) for f in fs if f.endswith(".flac")]
        titles = [(mutagen.File(p, easy=True) or {}).get("title") for p in flac]
        check([TAGS["tagged_at3_lp2_music_10s.oma"]["TITLE"]] in titles, "batch output keeps the title")
        check(not any(".tmp" in p or "drm" in p for p in flac), "no partial or DRM outputs: %r" % flac)
    return 0


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 64
    mode, fixtures, tool = sys.argv[1], sys.argv[2], sys.argv[3]
    if not os.path.isdir(fixtures):
        print("skipped: ../shared/fixtures/atrac not present")
        return SKIP
    rc = 0
    if mode == "demux":
        test_demux(fixtures, tool)
    elif mode == "errors":
        test_errors(fixtures, tool)
    elif mode == "cli":
        rc = test_cli(fixtures, tool, sys.argv[4])
    else:
        print(__doc__)
        return 64
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok" if rc == 0 else "partly skipped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
