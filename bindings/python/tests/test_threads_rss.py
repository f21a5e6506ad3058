"""The GIL is released inside the library; decoding a 2-hour file block by
block keeps memory bounded."""
import os
import struct
import subprocess
import sys
import threading

import numpy as np

import segue
from conftest import fixture, needs_plain_build

SRC = fixture("demo", "chord_s16_stereo_44k.wav")


def test_threads_convert_same_bytes_as_serial(tmp_path):
    jobs = [(SRC, tmp_path / "a.mp3"), (fixture("demo", "sweep_s24_mono_48k.wav"),
                                        tmp_path / "b.mp3")]
    for src, dst in jobs:
        segue.convert(src, dst, profile="store-mp3-v0")
    serial = [dst.read_bytes() for _s, dst in jobs]
    errors = []

    def work(src, dst):
        try:
            segue.convert(src, dst.with_suffix(".t.mp3"), profile="store-mp3-v0")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [dst.with_suffix(".t.mp3").read_bytes() for _s, dst in jobs] == serial


def test_gil_is_released_during_a_conversion(tmp_path):
    """While one thread is inside one long library call (a path-to-path
    conversion, no Python callbacks), this thread keeps running Python."""
    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        segue.convert(SRC, tmp_path / "slow.flac", rate=96000, resample_quality="very-high",
                      compression_level=8)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    turns = 0
    while not done.is_set():
        turns += 1
    t.join()
    # Holding the GIL for the whole call would leave this loop almost no
    # turns (only around the call's Python set-up).
    assert turns > 10000


def write_sparse_wav(path, seconds, rate=44100, channels=2):
    """A 16-bit WAV of `seconds`: one second of tone, then silence left as a
    hole in the file, so it costs no disk and no time to make."""
    frames = seconds * rate
    data_bytes = frames * channels * 2
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate,
                                      rate * channels * 2, channels * 2, 16))
        f.write(b"data" + struct.pack("<I", data_bytes))
        t = np.arange(rate) / rate
        tone = (0.25 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
        f.write(np.repeat(tone[:, None], channels, axis=1).tobytes())
        f.truncate(44 + data_bytes)
    return frames


# Peak RSS is the child's VmHWM: getrusage()'s ru_maxrss would also count
# the parent's pages at the fork, which Linux carries across exec.
CHILD = r"""
import sys
import numpy as np
import segue


def hwm_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


base = hwm_kib()
frames = 0
peak = 0.0
with segue.Decoder(sys.argv[1]) as d:
    for block in d:
        frames += len(block)
        peak = max(peak, float(np.abs(block).max()))
print(frames, peak, hwm_kib(), base)
"""


@needs_plain_build
def test_two_hour_decode_peak_rss(tmp_path):
    path = tmp_path / "two_hours.wav"
    frames = write_sparse_wav(path, 2 * 3600)
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                         capture_output=True, text=True, env=os.environ).stdout.split()
    got_frames, peak, maxrss_kib = int(out[0]), float(out[1]), int(out[2])
    assert got_frames == frames
    assert 0.24 < peak < 0.26
    print(f"2-hour decode: peak RSS {maxrss_kib / 1024:.1f} MiB "
          f"(after imports: {int(out[3]) / 1024:.1f} MiB)")
    assert maxrss_kib < 64 * 1024
