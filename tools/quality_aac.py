#!/usr/bin/python3
"""Perceptual quality of segue's AAC-LC encoder beside FFmpeg's and LAME.

usage: quality_aac.py [--peaq CMD] [--corpus DIR] [--segue PATH]
                      [--bitrates 128,96] [--encoders segue,ffmpeg,lame]
                      [--clips a,b] [--music a,b] [-j N]
                      [--out FILE.md] [--tsv FILE.tsv] [--work DIR]

For every clip of the corpus (FLAC, 44.1 kHz stereo 16-bit) and every
encoder x bitrate it:
  1. decodes the clip to a 16-bit WAV reference;
  2. encodes the reference:
       segue   segue convert REF OUT.m4a --codec aac --bitrate B
       ffmpeg  ffmpeg -i REF -c:a aac -b:a Bk OUT.m4a   (FFmpeg's native AAC)
       lame    lame -b B --cbr --resample 44.1 REF OUT.mp3
  3. decodes the output with ffmpeg to 32-bit float WAV (float, so nothing is
     clipped or dithered on the way to the metric); for M4A it then cuts the
     output to the length the container declares (edit list), because
     FFmpeg's decoder honours the edit list's start but emits the whole last
     frame (docs/quality.md, "Alignment");
  4. checks that the decoded length equals the reference's exactly and that
     the cross-correlation of reference and decoded signal (summed over the
     channels, lags within +-4096) peaks at lag 0; a row that fails either
     check gets no score and the run exits 1;
  5. measures the bitrate as the sum of the coded audio packets (as ffprobe
     lists them, container overhead excluded) x 8 / the clip's duration;
  6. scores decoded against reference with the PEAQ command: `CMD REF TEST`
     must print the basic-version ODG as one number and exit 0, or exit 3
     when PEAQ is undefined for the pair (the cell then reads "undef."),
     anything else is a failure (docs/quality.md says how to build GstPEAQ
     and the wrapper).

The PEAQ command comes from --peaq or the environment variable SEGUE_PEAQ.
The segue binary defaults to build/segue beside this script's checkout; when
`segue convert` exits 69 (no AAC encoder in this build) the segue rows are
skipped with a message (also on any failure saying "no aac encoder"), and
the acceptance conditions read "not measured".

Writes a Markdown report (table of ODG and measured bitrate per clip, means
over the music clips and over all clips, the two acceptance conditions of
the AAC encoder) to --out (default: stdout) and, with --tsv, one line per
row: clip, encoder, bitrate_kbps, measured_kbps, odg ("nan" where PEAQ is
undefined: the PEAQ command exited 3).

Exit: 0 every row measured or skipped; 1 a length, alignment, encode,
decode or scoring failure in some row; 64 usage; 66 corpus or tool missing.
"""
import argparse
import concurrent.futures
import datetime
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
DEFAULT_SEGUE = os.path.join(ROOT, "build", "segue")

# The corpus clips that are music (docs/quality.md, "Clips"). The others are
# test signals (pink noise, a sine sweep, a lone click, synthetic speech):
# useful to see failures, but not what the music criterion is about.
MUSIC = ("orchestral_dense", "orchestral_quiet", "drums_acoustic", "midi_fluidsynth")

ENCODERS = ("segue", "ffmpeg", "lame")
RATE = 44100
CHANNELS = 2
MAX_LAG = 4096          # alignment search window, samples each way
# FFmpeg's AAC decoder may run past the declared end by less than a frame.
AAC_FRAME = 1024
# Exit code of the PEAQ command when the metric is undefined for the pair
# (PEAQ ignores frames below its energy threshold; a clip that is digital
# silence but for one click has no frame left, and GstPEAQ returns NaN).
PEAQ_UNDEFINED = 3


class RowError(Exception):
    """A failure confined to one clip x encoder x bitrate row."""


class Unavailable(Exception):
    """The encoder is not in this build (segue convert exit 69)."""


def run(cmd, what):
    """Runs cmd (a list) at low priority; returns stdout; RowError on failure."""
    p = subprocess.run(["nice", "-n", "10"] + cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip()
        raise RowError("%s failed (exit %d): %s" % (what, p.returncode, err[-400:]))
    return p.stdout


def read_f32(path):
    """Decodes any file ffmpeg reads into a float64 (frames, channels) array."""
    raw = run(["ffmpeg", "-nostdin", "-v", "error", "-i", path,
               "-f", "f32le", "-c:a", "pcm_f32le", "-"], "ffmpeg decode of " + path)
    a = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    return a.reshape(-1, CHANNELS)


def probe_stream(path):
    """(sample_rate, channels, declared frames or None) of the first audio stream."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
               "stream=sample_rate,channels,duration_ts,time_base",
               "-of", "default=noprint_wrappers=1", path], "ffprobe " + path)
    kv = dict(l.split("=", 1) for l in out.decode().splitlines() if "=" in l)
    if "sample_rate" not in kv or "channels" not in kv:
        raise RowError("%s has no audio stream ffprobe can read" % path)
    rate, ch = int(kv["sample_rate"]), int(kv["channels"])
    declared = None
    if kv.get("duration_ts", "N/A") != "N/A" and "/" in kv.get("time_base", ""):
        num, den = (int(x) for x in kv["time_base"].split("/"))
        declared = int(round(int(kv["duration_ts"]) * num * rate / den))
    return rate, ch, declared


def payload_bytes(path):
    """Sum of the coded audio packet sizes (container overhead excluded)."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "a:0",
               "-show_entries", "packet=size", "-of", "csv=p=0", path],
              "ffprobe packets of " + path)
    # csv lines may carry a trailing separator: "304,"
    return sum(int(l.split(",")[0]) for l in out.decode().split() if l.strip(", "))


def best_lag(ref, dec):
    """Lag (samples, positive = decoded is late) where the cross-correlation
    of ref and dec, summed over channels, peaks within +-MAX_LAG."""
    n = ref.shape[0] + dec.shape[0]
    size = 1 << (n - 1).bit_length()
    acc = np.zeros(size)
    for c in range(ref.shape[1]):
        r = np.fft.rfft(ref[:, c], size)
        d = np.fft.rfft(dec[:, c], size)
        acc += np.fft.irfft(np.conj(r) * d, size)
    lags = np.concatenate([np.arange(0, MAX_LAG + 1), np.arange(-MAX_LAG, 0)])
    vals = np.concatenate([acc[:MAX_LAG + 1], acc[size - MAX_LAG:]])
    return int(lags[int(np.argmax(vals))])


def write_f32_wav(path, a):
    """Writes a (frames, channels) float array as a 32-bit float WAV."""
    data = a.astype("<f4").tobytes()
    ch = a.shape[1]
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (3).to_bytes(2, "little")
           + ch.to_bytes(2, "little") + RATE.to_bytes(4, "little")
           + (RATE * 4 * ch).to_bytes(4, "little") + (4 * ch).to_bytes(2, "little")
           + (32).to_bytes(2, "little"))
    body = b"WAVE" + fmt + b"data" + len(data).to_bytes(4, "little") + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + len(body).to_bytes(4, "little") + body)


def encode(enc, kbps, ref_wav, out_base, segue):
    """Encodes ref_wav; returns the output path. Unavailable for a segue
    build without AAC output."""
    if enc == "segue":
        out = out_base + ".m4a"
        p = subprocess.run(["nice", "-n", "10", segue, "convert", ref_wav, out,
                            "--codec", "aac", "--bitrate", str(kbps)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        err = p.stderr.decode(errors="replace").strip()
        # 69 is "format, codec or feature unsupported" (sysexits, DESIGN.md).
        if p.returncode == 69 or (p.returncode != 0 and "no aac encoder" in err.lower()):
            raise Unavailable(err)
        if p.returncode != 0:
            raise RowError("segue convert failed (exit %d): %s" % (p.returncode, err))
        return out
    if enc == "ffmpeg":
        out = out_base + ".m4a"
        run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", ref_wav,
             "-c:a", "aac", "-b:a", "%dk" % kbps, out], "ffmpeg aac encode")
        return out
    if enc == "lame":
        out = out_base + ".mp3"
        # --resample 44.1: LAME would pick 32 kHz at 96 kbit/s by itself; the
        # comparison is at the source rate (docs/quality.md).
        run(["lame", "--quiet", "-b", str(kbps), "--cbr", "--resample", "44.1",
             ref_wav, out], "lame encode")
        return out
    raise ValueError(enc)


def measure_row(clip, enc, kbps, ref_wav, ref, work, segue, peaq):
    """One clip x encoder x bitrate: returns a dict with the row's figures."""
    base = os.path.join(work, "%s.%s.%d" % (clip, enc, kbps))
    coded = encode(enc, kbps, ref_wav, base, segue)
    rate, ch, declared = probe_stream(coded)
    if rate != RATE or ch != CHANNELS:
        raise RowError("%s wrote %d Hz %d channels, expected %d Hz %d channels"
                       % (enc, rate, ch, RATE, CHANNELS))
    dec = read_f32(coded)
    note = ""
    if coded.endswith(".m4a") and declared is not None and dec.shape[0] > declared:
        extra = dec.shape[0] - declared
        if extra >= AAC_FRAME:
            raise RowError("decoded %d frames, %d more than the container declares"
                           % (dec.shape[0], extra))
        dec = dec[:declared]
        note = "decoder output cut by %d frames to the declared length" % extra
    if dec.shape[0] != ref.shape[0]:
        raise RowError("decoded length %d frames, source %d (declared %s)"
                       % (dec.shape[0], ref.shape[0], declared))
    lag = best_lag(ref, dec)
    if lag != 0:
        raise RowError("misaligned: cross-correlation peaks at lag %+d" % lag)
    dec_wav = base + ".dec.wav"
    write_f32_wav(dec_wav, dec)
    measured = payload_bytes(coded) * 8 / (ref.shape[0] / RATE) / 1000.0
    p = subprocess.run(["nice", "-n", "10"] + peaq + [ref_wav, dec_wav],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode == PEAQ_UNDEFINED:
        return {"measured_kbps": measured, "undefined": True, "note": note}
    if p.returncode != 0:
        raise RowError("PEAQ failed (exit %d): %s"
                       % (p.returncode, p.stderr.decode(errors="replace").strip()))
    out = p.stdout
    try:
        odg = float(out.decode().strip().split()[-1])
    except (ValueError, IndexError):
        raise RowError("PEAQ printed no number: %r" % out[:200])
    return {"measured_kbps": measured, "odg": odg, "note": note}


def version(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        lines = p.stdout.decode(errors="replace").strip().splitlines()
        return lines[0] if lines else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def fmt_cell(r):
    if r is None:
        return "-"
    if "error" in r:
        return "FAILED"
    if "skipped" in r:
        return "n/a"
    if "undefined" in r:
        return "undef. (%.1f)" % r["measured_kbps"]
    return "%.3f (%.1f)" % (r["odg"], r["measured_kbps"])


def mean(vals):
    return sum(vals) / len(vals) if vals else None


def report(rows, clips, music, encoders, bitrates, versions, skipped):
    key = lambda c, e, b: rows.get((c, e, b))
    cols = [(e, b) for b in bitrates for e in encoders]
    L = []
    L.append("Measured %s UTC by `tools/quality_aac.py`." %
             datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"))
    L.append("")
    for name, v in versions:
        L.append("- %s: %s" % (name, v))
    L.append("")
    L.append("Cells: PEAQ basic-version ODG (0 = imperceptible, -4 = very annoying;"
             " higher is better), and in brackets the measured bitrate in kbit/s"
             " (coded audio packets only). Music clips are marked *.")
    L.append("")
    L.append("| clip | " + " | ".join("%s %d" % (e, b) for e, b in cols) + " |")
    L.append("|---|" + "---:|" * len(cols))
    for c in clips:
        label = c + (" *" if c in music else "")
        L.append("| %s | " % label + " | ".join(fmt_cell(key(c, e, b)) for e, b in cols) + " |")

    def avg(cset, e, b, field):
        vals = [key(c, e, b)[field] for c in cset
                if key(c, e, b) and "odg" in key(c, e, b)]
        return mean(vals) if len(vals) == len(cset) and cset else None

    # Clips PEAQ cannot score with any encoder are left out of the all-clips
    # mean (and named below), so every column averages the same clips.
    undefined = [c for c in clips
                 if any(key(c, e, b) and "undefined" in key(c, e, b) for e, b in cols)]
    scored = [c for c in clips if c not in undefined]
    for title, cset in (("mean, music clips", [c for c in clips if c in music]),
                        ("mean, all scored clips", scored)):
        cells = []
        for e, b in cols:
            o, k = avg(cset, e, b, "odg"), avg(cset, e, b, "measured_kbps")
            cells.append("-" if o is None else "%.3f (%.1f)" % (o, k))
        L.append("| **%s** | " % title + " | ".join(cells) + " |")
    L.append("")

    notes = sorted({"%s: %s" % (e, r["note"]) for (c, e, b), r in rows.items()
                    if r.get("note")})
    errors = ["%s, %s %d: %s" % (c, e, b, r["error"]) for (c, e, b), r in sorted(rows.items())
              if "error" in r]
    if notes or errors or skipped or undefined:
        L.append("Notes:")
        L.append("")
        for c in undefined:
            L.append("- %s: PEAQ is undefined (no frame above its energy threshold);"
                     " left out of the all-clips mean" % c)
        for n in notes:
            L.append("- %s (M4A, see docs/quality.md)" % n)
        for s in skipped:
            L.append("- skipped: %s" % s)
        for e in errors:
            L.append("- FAILED %s" % e)
        L.append("")

    # The AAC encoder's acceptance (issue 9), on the music clips.
    mclips = [c for c in clips if c in music]
    L.append("Acceptance (music clips: %s):" % ", ".join(mclips))
    L.append("")

    def odg(c, e, b):
        r = key(c, e, b)
        return r["odg"] if r and "odg" in r else None

    if 128 in bitrates and "segue" in encoders and "ffmpeg" in encoders:
        pairs = [(c, odg(c, "segue", 128), odg(c, "ffmpeg", 128)) for c in mclips]
        if any(s is None or f is None for _, s, f in pairs) or not pairs:
            verdict = "not measured"
        else:
            worse = [c for c, s, f in pairs if not s > f]
            verdict = "PASS" if not worse else "FAIL (not better on: %s)" % ", ".join(worse)
        L.append("1. segue 128 kbit/s scores higher than ffmpeg 128 kbit/s on every"
                 " music clip: **%s**" % verdict)
    if 96 in bitrates and 128 in bitrates and "segue" in encoders and "ffmpeg" in encoders:
        for title, cset in (("music clips", mclips),
                            ("all scored clips (for information)", scored)):
            s, f = avg(cset, "segue", 96, "odg"), avg(cset, "ffmpeg", 128, "odg")
            if s is None or f is None:
                verdict = "not measured"
            else:
                verdict = "%s (%.3f vs %.3f)" % ("PASS" if s >= f else "FAIL", s, f)
            L.append("%s segue 96 kbit/s mean ODG >= ffmpeg 128 kbit/s mean ODG, %s: **%s**"
                     % ("2." if cset is mclips else "   -", title, verdict))
    L.append("")
    return "\n".join(L)


class ArgParser(argparse.ArgumentParser):
    def error(self, message):
        """Usage errors exit 64 (EX_USAGE), like the segue CLI."""
        self.print_usage(sys.stderr)
        print("quality_aac: %s" % message, file=sys.stderr)
        sys.exit(64)


def main():
    ap = ArgParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peaq", default=os.environ.get("SEGUE_PEAQ"),
                    help="PEAQ command: CMD REF TEST prints the ODG (or env SEGUE_PEAQ)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--segue", default=DEFAULT_SEGUE)
    ap.add_argument("--bitrates", default="128,96")
    ap.add_argument("--encoders", default=",".join(ENCODERS))
    ap.add_argument("--clips", default=None, help="comma list (default: every *.flac)")
    ap.add_argument("--music", default=",".join(MUSIC))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--tsv", default=None)
    ap.add_argument("--work", default=None, help="keep intermediate files here")
    a = ap.parse_args()

    if not a.peaq:
        ap.error("no PEAQ command: give --peaq or set SEGUE_PEAQ")
    peaq = shlex.split(a.peaq)
    if shutil.which(peaq[0]) is None:
        print("quality_aac: PEAQ command not found: %s" % peaq[0], file=sys.stderr)
        return 66
    for tool in ("ffmpeg", "ffprobe", "lame", "nice"):
        if shutil.which(tool) is None:
            print("quality_aac: %s not found" % tool, file=sys.stderr)
            return 66
    try:
        bitrates = [int(x) for x in a.bitrates.split(",") if x]
    except ValueError:
        ap.error("--bitrates takes integers (kbit/s)")
    encoders = [e for e in a.encoders.split(",") if e]
    bad = [e for e in encoders if e not in ENCODERS]
    if bad or not encoders or not bitrates:
        ap.error("unknown encoder(s): %s" % ", ".join(bad) if bad else "nothing to do")
    music = set(x for x in a.music.split(",") if x)
    if not os.path.isdir(a.corpus):
        print("quality_aac: skipped: corpus %s not present" % a.corpus, file=sys.stderr)
        return 66
    available = sorted(f[:-5] for f in os.listdir(a.corpus) if f.endswith(".flac"))
    clips = [c for c in a.clips.split(",") if c] if a.clips else available
    missing = [c for c in clips if c not in available]
    if missing or not clips:
        print("quality_aac: not in the corpus: %s" % ", ".join(missing or ["(no clips)"]),
              file=sys.stderr)
        return 66
    segue = os.path.abspath(a.segue)
    if "segue" in encoders and not os.access(segue, os.X_OK):
        print("quality_aac: segue binary %s not found; build it or pass --segue" % segue,
              file=sys.stderr)
        return 66

    work = a.work or tempfile.mkdtemp(prefix="quality_aac.")
    os.makedirs(work, exist_ok=True)
    try:
        refs = {}
        for c in clips:
            ref_wav = os.path.join(work, c + ".ref.wav")
            run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i",
                 os.path.join(a.corpus, c + ".flac"), "-c:a", "pcm_s16le", ref_wav],
                "decode of " + c)
            rate, ch, _ = probe_stream(ref_wav)
            if rate != RATE or ch != CHANNELS:
                print("quality_aac: %s is %d Hz %d ch, expected 44.1 kHz stereo"
                      % (c, rate, ch), file=sys.stderr)
                return 66
            refs[c] = (ref_wav, read_f32(ref_wav))

        rows, skipped = {}, []
        if "segue" in encoders:
            # One probe: a build without AAC output skips all segue rows.
            try:
                probe_out = encode("segue", bitrates[0], refs[clips[0]][0],
                                   os.path.join(work, "probe"), segue)
                os.unlink(probe_out)
            except Unavailable as e:
                msg = "segue rows: this segue has no AAC encoder yet (%s)" % e
                print("quality_aac: " + msg, file=sys.stderr)
                skipped.append(msg)
                encoders_run = [x for x in encoders if x != "segue"]
            except RowError:
                encoders_run = encoders     # the rows will report the failure
            else:
                encoders_run = encoders
        else:
            encoders_run = encoders

        tasks = [(c, e, b) for c in clips for e in encoders_run for b in bitrates]

        def job(t):
            c, e, b = t
            try:
                return t, measure_row(c, e, b, refs[c][0], refs[c][1], work, segue, peaq)
            except (RowError, Unavailable) as ex:
                return t, {"error": str(ex)}

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            for t, r in ex.map(job, tasks):
                rows[t] = r
                c, e, b = t
                if "odg" in r:
                    what = "ODG %.3f at %.1f kbit/s" % (r["odg"], r["measured_kbps"])
                elif "undefined" in r:
                    what = "PEAQ undefined at %.1f kbit/s" % r["measured_kbps"]
                else:
                    what = "FAILED " + r["error"]
                print("quality_aac: %-18s %-6s %3d: %s" % (c, e, b, what), file=sys.stderr)
        for c in clips:
            for b in bitrates:
                if "segue" in encoders and "segue" not in encoders_run:
                    rows[(c, "segue", b)] = {"skipped": True}

        versions = [("PEAQ", version(peaq + ["--version"])),
                    ("ffmpeg", version(["ffmpeg", "-version"])),
                    ("lame", version(["lame", "--version"]))]
        if "segue" in encoders:
            versions.insert(1, ("segue", version([segue, "--version"])))
        md = report(rows, clips, music, encoders, bitrates, versions, skipped)
        if a.out:
            with open(a.out, "w") as f:
                f.write(md + "\n")
        else:
            print(md)
        if a.tsv:
            with open(a.tsv, "w") as f:
                f.write("clip\tencoder\tbitrate_kbps\tmeasured_kbps\todg\n")
                for c in clips:
                    for e in encoders_run:
                        for b in bitrates:
                            r = rows[(c, e, b)]
                            if "odg" in r or "undefined" in r:
                                odg = "%.3f" % r["odg"] if "odg" in r else "nan"
                                f.write("%s\t%s\t%d\t%.1f\t%s\n"
                                        % (c, e, b, r["measured_kbps"], odg))
        return 1 if any("error" in r for r in rows.values()) else 0
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
