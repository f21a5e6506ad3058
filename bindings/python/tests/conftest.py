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
