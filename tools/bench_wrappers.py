#!/usr/bin/python3
"""Wrapper overhead: segue convert against the native encoder tools.

usage: bench_wrappers.py SEGUE [INPUT.wav|INPUT.flac|""] [OUT_DIR]

SEGUE_BENCH_WRAPPER_SECONDS (default 10) is how much of the input is used:
callgrind runs some 50 times slower than the CPU, and ten callgrind
encodes of 30 s took most of `make bench`'s time budget; the per-second
figures hardly move with the length.

For each setting (lame -V2, lame -b 128, opusenc --bitrate 128, oggenc -q5,
flac -5) both commands encode the same WAV; valgrind's callgrind counts the
instructions each executes (deterministic on a shared, noisy machine). The
table gives instructions per second of audio and segue's overhead in
percent. The input defaults to the first seconds of a clip from the shared
corpus when it is present beside the checkout, else the bundled demo clip.
Writes wrappers.md and wrappers.json to OUT_DIR.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def instructions(cmd):
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if not m:
        raise RuntimeError("no instruction count from callgrind for " + " ".join(cmd))
    return int(m.group(1))


def main():
    segue = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    out_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(segue)
    if not src:
        corpus = os.path.join(ROOT, "..", "shared", "corpus", "orchestral_dense.flac")
        src = corpus if os.path.exists(corpus) else os.path.join(ROOT, "fixtures", "demo",
                                                                 "chord_s16_stereo_44k.wav")
    with tempfile.TemporaryDirectory(prefix="segue-bench-") as d:
        wav = os.path.join(d, "in.wav")
        limit = os.environ.get("SEGUE_BENCH_WRAPPER_SECONDS", "10")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-t", limit, "-c:a", "pcm_s16le", wav],
                       check=True)
        probe = subprocess.run([segue, "probe", "--json", wav], stdout=subprocess.PIPE, check=True, text=True)
        seconds = json.loads(probe.stdout)["duration"]
        o = lambda name: os.path.join(d, name)
        settings = [
            ("mp3 VBR V2", ["lame", "--quiet", "-V2", wav, o("n.mp3")],
             [segue, "convert", wav, o("s.mp3"), "--quality", "2"]),
            ("mp3 CBR 128", ["lame", "--quiet", "-b", "128", wav, o("n2.mp3")],
             [segue, "convert", wav, o("s2.mp3"), "--bitrate", "128"]),
            ("opus 128 kbit/s", ["opusenc", "--quiet", "--bitrate", "128", wav, o("n.opus")],
             [segue, "convert", wav, o("s.opus"), "--bitrate", "128"]),
            ("vorbis q5", ["oggenc", "-Q", "-q5", "-o", o("n.ogg"), wav],
             [segue, "convert", wav, o("s.ogg"), "--quality", "5"]),
            ("flac -5", ["flac", "-s", "-5", "-f", "-o", o("n.flac"), wav],
             [segue, "convert", wav, o("s.flac"), "--compression", "5"]),
        ]
        rows = []
        for name, native, ours in settings:
            n = instructions(native)
            s = instructions(ours)
            rows.append((name, native[0], n / seconds, s / seconds, 100.0 * (s - n) / n))
    lines = ["Encoder wrapper overhead: instructions per second of audio (callgrind), "
             "%.1f s input (%s), measured %s, `make bench`." % (seconds, os.path.basename(src),
                                                              datetime.date.today().isoformat()),
             "",
             "| setting | native tool | native Minstr/s | segue Minstr/s | segue overhead |",
             "|---|---|---|---|---|"]
    for name, tool, n, s, pct in rows:
        lines.append("| %s | %s | %.1f | %.1f | %+.1f%% |" % (name, tool, n / 1e6, s / 1e6, pct))
    table = "\n".join(lines)
    print(table)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "wrappers.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(out_dir, "wrappers.json"), "w") as f:
        json.dump({"input": os.path.basename(src), "audio_seconds": seconds,
                   "rows": [{"setting": name, "native_tool": tool, "native_instr_per_audio_s": round(n),
                             "segue_instr_per_audio_s": round(s), "segue_overhead_percent": round(pct, 2)}
                            for name, tool, n, s, pct in rows]}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
