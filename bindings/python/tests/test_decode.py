"""probe() and Decoder against `segue decode`, format by format."""
import array
import io
import os
import subprocess
import threading

import numpy as np
import pytest

import segue
from conftest import fixture, shared


def cli_decode(cli, path, tmp_path):
    """`segue decode --raw --format f32` as a (frames, channels) array."""
    out = tmp_path / "ref.f32"
    subprocess.run([cli, "decode", path, "-o", str(out), "--raw", "--format", "f32"], check=True)
    ch = segue.probe(path)["channels"]
    return np.fromfile(out, dtype="<f4").reshape(-1, ch)


COMMITTED = [
    "fmt_s16_stereo_32k.wav", "fmt_s24_stereo_32k.wav", "fmt_f32_stereo_32k.wav",
    "fmt_f64_stereo_32k.wav", "fmt_u8_stereo_32k.wav", "fmt_s24_valid20_ext_stereo_32k.wav",
    "surround51_s16_48k.wav", "psp/good_mpeg1_44k_stereo_id3v23_cover.mp3",
    "psp/mpeg2_22k.mp3", "psp/layer2.mp2", "psp/flac_44k.flac", "psp/opus_48k.opus",
]
MADE = ["aiff", "vorbis", "opus", "adts", "m4a", "alac", "mp3", "flac"]
SHARED = ["at3_lp2_music_10s.at3", "at3_lp4_speech_5s.oma", "at3_105k_music_10s.oma",
          "at1_sp_sweep_5s.aea"]


def check_equal(cli, path, tmp_path):
    ref = cli_decode(cli, path, tmp_path)
    with segue.Decoder(path, block_frames=1000) as d:
        blocks = list(d)
        assert all(b.dtype == np.float32 and b.shape[1] == d.info.channels for b in blocks)
        got = np.concatenate(blocks)
        if d.info.frames >= 0:
            assert d.info.frames == len(got)
    assert got.shape == ref.shape
    # Sample for sample: the same bits.
    assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))


@pytest.mark.parametrize("name", COMMITTED)
def test_decoder_equals_cli_committed(cli, tmp_path, name):
    check_equal(cli, fixture(*name.split("/")), tmp_path)


@pytest.mark.parametrize("name", MADE)
def test_decoder_equals_cli_made(cli, tmp_path, made, name):
    check_equal(cli, made[name], tmp_path)


@pytest.mark.parametrize("name", SHARED)
def test_decoder_equals_cli_atrac(cli, tmp_path, name):
    check_equal(cli, shared("fixtures", "atrac", name), tmp_path)


def test_probe_matches_cli_json(cli):
    import json
    for path in [fixture("psp", "good_mpeg1_44k_stereo_id3v23_cover.mp3"),
                 fixture("psp", "flac_44k.flac"), fixture("surround51_s16_48k.wav")]:
        ref = json.loads(subprocess.run([cli, "probe", "--json", path], check=True,
                                        capture_output=True, text=True).stdout)
        p = segue.probe(path)
        for key in ("container", "codec", "sample_rate", "channels", "channel_mask", "frames",
                    "bitrate", "seekable", "rate_control", "gapless"):
            assert p[key] == ref[key], key
        assert p["tags"] == ref["tags"]
        assert abs(p["duration"] - ref["duration"]) < 1e-6
        assert p["drm"] == ref["drm"] == "none"
        assert len(p["pictures"]) == len(ref["pictures"])


def test_tags_and_pictures():
    with segue.Decoder(fixture("psp", "good_mpeg1_44k_stereo_id3v23_cover.mp3")) as d:
        assert d.tags["TITLE"] == ["Good"]
        assert d.tags["ARTIST"] == ["segue"]
        assert len(d.pictures) == 1
        pic = d.pictures[0]
        assert pic.type == 3 and pic.mime == "image/jpeg"
        assert pic.data[:2] == b"\xff\xd8"
    p = segue.probe(fixture("psp", "good_mpeg1_44k_stereo_id3v23_cover.mp3"))
    assert p["pictures"][0]["size"] == len(pic.data)


@pytest.mark.parametrize("name", ["fmt_s24_stereo_32k.wav", "psp/flac_44k.flac",
                                  "psp/good_mpeg1_44k_stereo_id3v23_cover.mp3"])
def test_seek(name):
    path = fixture(*name.split("/"))
    with segue.Decoder(path) as d:
        whole = d.read_all()
        for frame in (0, 1, 4097, len(whole) - 3):
            d.seek(frame)
            got = d.read(2000)
            assert np.array_equal(got, whole[frame:frame + 2000])
        with pytest.raises(segue.InvalidArgumentError):
            d.seek(len(whole) + 10)


def test_bytes_and_file_objects_and_pipes():
    path = fixture("psp", "flac_44k.flac")
    ref = segue.Decoder(path).read_all()
    data = open(path, "rb").read()
    assert np.array_equal(segue.Decoder(data).read_all(), ref)
    assert np.array_equal(segue.Decoder(io.BytesIO(data)).read_all(), ref)
    # A pipe: unseekable, read while a thread writes it.
    r, w = os.pipe()
    t = threading.Thread(target=lambda: (os.write(w, data), os.close(w)))
    t.start()
    with os.fdopen(r, "rb", buffering=0) as f:
        with segue.Decoder(f) as d:
            assert not d.info.seekable
            got = d.read_all()
            with pytest.raises(segue.NotSeekableError):
                d.seek(0)
    t.join()
    assert np.array_equal(got, ref)


def test_read_errors_from_python_file_objects_propagate():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        segue.Decoder(Broken())


def test_without_numpy(monkeypatch):
    from segue import _core
    path = fixture("fmt_s16_stereo_32k.wav")
    ref = segue.Decoder(path).read_all()
    monkeypatch.setattr(_core, "_np", None)
    with segue.Decoder(path, block_frames=333) as d:
        blocks = list(d)
        assert all(isinstance(b, array.array) and b.typecode == "f" for b in blocks)
        flat = array.array("f")
        for b in blocks:
            flat.extend(b)
    assert np.array_equal(np.frombuffer(flat, dtype=np.float32), ref.reshape(-1))


def test_closed_decoder():
    d = segue.Decoder(fixture("mono_8k_s16.wav"))
    d.close()
    d.close()
    with pytest.raises(ValueError):
        d.read()
