"""Shared fixtures: the segue CLI used as the oracle, the committed
fixtures, the shared reference data (used when present), and inputs in
every format the library decodes, made once per session with ffmpeg."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(REPO, "fixtures")
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("SEGUE_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("SEGUE_CLI (the segue command) not given")
    return path


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def shared(*parts):
    """A path under ../shared, or a skip saying it is missing."""
    p = os.path.join(SHARED, *parts)
    if not os.path.exists(p):
        pytest.skip(f"skipped: ../shared/{'/'.join(parts)} not present")
    return p


def ffmpeg(args, out):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg not installed")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, out], check=True)
    return out


@pytest.fixture(scope="session")
def made(tmp_path_factory):
    """Inputs made with ffmpeg from a committed 3 s stereo clip, by name."""
    d = tmp_path_factory.mktemp("formats")
    src = fixture("demo", "chord_s16_stereo_44k.wav")
    out = {}
    jobs = {
        "aiff": (["-i", src], "clip.aiff"),
        "vorbis": (["-i", src, "-c:a", "libvorbis", "-q:a", "4"], "clip.ogg"),
        "opus": (["-i", src, "-c:a", "libopus", "-b:a", "96k"], "clip.opus"),
        "adts": (["-i", src, "-c:a", "aac", "-b:a", "128k"], "clip.aac"),
        "m4a": (["-i", src, "-c:a", "aac", "-b:a", "128k"], "clip.m4a"),
        "alac": (["-i", src, "-c:a", "alac"], "clip_alac.m4a"),
        "mp3": (["-i", src, "-c:a", "libmp3lame", "-q:a", "2"], "clip.mp3"),
        "flac": (["-i", src, "-c:a", "flac"], "clip.flac"),
    }
    for name, (args, fname) in jobs.items():
        out[name] = ffmpeg(args, str(d / fname))
    return out


def make_tree(root, count=40):
    """A catalogue of `count` audio files in nested folders: every committed
    format fixture, names that collide under the PSP profile's FAT rules,
    three broken files, plus files ignored by name. Returns the failures'
    relative paths."""
    import glob
    srcs = sorted(glob.glob(os.path.join(FIXTURES, "*.wav")))
    srcs += sorted(glob.glob(os.path.join(FIXTURES, "demo", "*.wav")))
    srcs += sorted(p for p in glob.glob(os.path.join(FIXTURES, "psp", "*"))
                   if p.endswith((".mp3", ".mp2", ".flac", ".opus", ".wav"))
                   and not p.endswith(("corrupt.mp3", "empty.mp3", "bad_header.wav")))
    broken = {"Broken/corrupt.mp3": fixture("psp", "corrupt.mp3"),
              "Broken/empty.mp3": fixture("psp", "empty.mp3"),
              "Broken/bad_header.wav": fixture("psp", "bad_header.wav")}
    plan = dict(broken)
    # Two sources that map to one FAT name ("Song?.mp3" -> "Song_.mp3").
    plan["Artist/Album/Song?.flac"] = fixture("psp", "flac_44k.flac")
    plan["Artist/Album/Song_.wav"] = fixture("mono_8k_s16.wav")
    i = 0
    while len(plan) < count:
        src = srcs[i % len(srcs)]
        folder = ["Artist/Album", "Artist/Other Album", "Various", "Various/Disc 2"][i % 4]
        plan[f"{folder}/{i:02d} {os.path.basename(src)}"] = src
        i += 1
    for rel, src in plan.items():
        dst = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    for extra in ("Artist/Album/cover.jpg", "Various/notes.txt"):
        with open(os.path.join(root, extra), "wb") as f:
            f.write(b"not audio")
    return sorted(broken)


def cli_batch(cli, src, dst, profile, report):
    r = subprocess.run([cli, "batch", str(src), str(dst), "--profile", profile, "-j", "2",
                        "--report", str(report), "--quiet"], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    import json
    with open(report, encoding="utf-8") as f:
        return {d["input"]: d for d in map(json.loads, f)}


def tree_bytes(root):
    """{relative path: bytes} of every file under root, temp files included."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            if name == ".segue-lock":
                continue
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


# Under ASan (SEGUE_SANITIZED, see tests/python/CMakeLists.txt) worker
# processes and memory figures are not meaningful: those tests are skipped.
SANITIZED = os.environ.get("SEGUE_SANITIZED") == "1"
needs_plain_build = pytest.mark.skipif(SANITIZED, reason="skipped under ASan: "
                                       "worker processes and memory figures")
