"""Encoder, convert() and profiles(); file objects as sources and sinks."""
import io
import os
import subprocess
import threading

import numpy as np
import pytest

import segue
from conftest import fixture

SRC = fixture("demo", "chord_s16_stereo_44k.wav")
COVER = fixture("psp", "good_mpeg1_44k_stereo_id3v23_cover.mp3")


def tone(frames=44100, channels=2, amp=0.5):
    t = np.arange(frames, dtype=np.float64) / 44100.0
    x = amp * np.sin(2 * np.pi * 440.0 * t)
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32)


def listing(d):
    return sorted(os.listdir(d))


def test_encoder_round_trip_f32(tmp_path):
    x = tone()
    out = tmp_path / "t.wav"
    with segue.Encoder(out, sample_rate=44100, channels=2, sample_format="f32",
                       tags={"TITLE": "Tone", "ARTIST": ["A", "B"]}) as e:
        for i in range(0, len(x), 1000):
            e.write(x[i:i + 1000])
        assert e.frames_written == len(x)
    assert listing(tmp_path) == ["t.wav"]  # the temp file was renamed
    with segue.Decoder(out) as d:
        assert d.info.sample_rate == 44100 and d.info.source_format == "f32"
        assert np.array_equal(d.read_all(), x)
        assert d.tags["TITLE"] == ["Tone"]
    # Multi-value tags survive where the format has them (Vorbis comments).
    with segue.Encoder(tmp_path / "t.flac", sample_rate=44100, channels=2, container="flac",
                       tags={"ARTIST": ["A", "B"]}) as e:
        e.write(x)
    assert segue.probe(tmp_path / "t.flac")["tags"]["ARTIST"] == ["A", "B"]


def test_encoder_interleaved_sequences(tmp_path):
    x = tone(1000, 1)
    with segue.Encoder(tmp_path / "m.wav", sample_rate=44100, channels=1,
                       sample_format="f32") as e:
        e.write(list(map(float, x[:, 0])))
    assert np.array_equal(segue.Decoder(tmp_path / "m.wav").read_all(), x)


@pytest.mark.parametrize("container,codec,kw", [("wav", None, {}), ("flac", None, {}),
                                                ("mp3", "mp3", {"bitrate": 128000}),
                                                ("ogg", "vorbis", {"quality": 3.0}),
                                                ("ogg", "opus", {"bitrate": 96000})])
def test_encoder_path_and_bytesio_identical(tmp_path, container, codec, kw):
    rate = 48000 if codec == "opus" else 44100
    x = tone(rate)
    path = tmp_path / f"o.{container}"
    buf = io.BytesIO()
    for sink in (path, buf):
        e = segue.Encoder(sink, sample_rate=rate, channels=2, container=container, codec=codec,
                          tags={"TITLE": "x"}, **kw)
        e.write(x)
        e.finish()
    assert path.read_bytes() == buf.getvalue()
    assert segue.probe(path)["tags"]["TITLE"] == ["x"]


def test_encoder_unfinished_leaves_nothing(tmp_path):
    e = segue.Encoder(tmp_path / "gone.flac", sample_rate=44100, channels=2, container="flac")
    e.write(tone(5000))
    e.close()
    assert listing(tmp_path) == []
    with pytest.raises(RuntimeError):
        with segue.Encoder(tmp_path / "gone2.wav", sample_rate=44100, channels=2) as e:
            e.write(tone(100))
            raise RuntimeError("caller failed")
    assert listing(tmp_path) == []


def test_encoder_bad_config_and_shapes(tmp_path):
    with pytest.raises(segue.SegueError):
        segue.Encoder(tmp_path / "x.wav", sample_rate=0, channels=2)
    assert listing(tmp_path) == []
    with segue.Encoder(io.BytesIO(), sample_rate=8000, channels=2) as e:
        with pytest.raises(ValueError):
            e.write(np.zeros((10, 3), np.float32))
        with pytest.raises(ValueError):
            e.write(np.zeros(10, np.float32))


def test_encoder_unmapped_reported():
    pic = segue.Decoder(COVER).pictures[0]
    e = segue.Encoder(io.BytesIO(), sample_rate=44100, channels=2, container="wav",
                      tags={"TITLE": "t"}, pictures=[pic])
    e.write(tone(100))
    unmapped = e.finish()
    assert any(u["what"] == "PICTURE" for u in unmapped)


class Unseekable(io.RawIOBase):
    """A write-only pipe stand-in."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        self.data += bytes(b)
        return len(b)


def test_encoder_unseekable_sink():
    sink = Unseekable()
    x = tone(3000)
    e = segue.Encoder(sink, sample_rate=44100, channels=2, sample_format="f32")
    e.write(x)
    e.finish()
    assert np.array_equal(segue.Decoder(bytes(sink.data)).read_all(), x)


@pytest.mark.parametrize("ext,opts", [("flac", {}), ("mp3", {"bitrate": 192}),
                                      ("ogg", {}), ("opus", {}), ("wav", {"sample_format": "s24"})])
def test_convert_file_objects_byte_identical(tmp_path, ext, opts):
    by_path = tmp_path / f"a.{ext}"
    r1 = segue.convert(COVER, by_path, **opts)
    codec = {"ogg": "vorbis"}.get(ext, ext)
    # Sink: BytesIO; source: an open file.
    buf = io.BytesIO()
    with open(COVER, "rb") as f:
        r2 = segue.convert(f, buf, codec=codec, **opts)
    assert buf.getvalue() == by_path.read_bytes()
    assert r1.output_frames == r2.output_frames
    # Source: an unseekable pipe.
    data = open(COVER, "rb").read()
    rfd, wfd = os.pipe()
    t = threading.Thread(target=lambda: (os.write(wfd, data), os.close(wfd)))
    t.start()
    with os.fdopen(rfd, "rb", buffering=0) as pipe:
        segue.convert(pipe, tmp_path / f"b.{ext}", **opts)
    t.join()
    assert (tmp_path / f"b.{ext}").read_bytes() == by_path.read_bytes()


def test_convert_matches_cli(cli, tmp_path):
    segue.convert(SRC, tmp_path / "py.mp3", profile="psp-mp3")
    subprocess.run([cli, "convert", SRC, str(tmp_path / "cli.mp3"), "--profile", "psp-mp3"],
                   check=True)
    assert (tmp_path / "py.mp3").read_bytes() == (tmp_path / "cli.mp3").read_bytes()
    segue.convert(SRC, tmp_path / "py.flac", start=0.5, duration=1.0, fade=100)
    subprocess.run([cli, "convert", SRC, str(tmp_path / "cli.flac"), "--start", "0.5",
                    "--duration", "1", "--fade", "100"], check=True)
    assert (tmp_path / "py.flac").read_bytes() == (tmp_path / "cli.flac").read_bytes()


def test_convert_result_and_options(tmp_path):
    r = segue.convert(COVER, tmp_path / "o.wav", rate=22050, channels=1)
    assert r.container == "wav" and r.input.codec == "mp3"
    assert any(u["what"] == "PICTURE" for u in r.unmapped)
    info = segue.probe(tmp_path / "o.wav")
    assert info["sample_rate"] == 22050 and info["channels"] == 1
    r = segue.convert(SRC, tmp_path / "n.flac", normalize="replaygain")
    assert r.loudness is not None and r.loudness["integrated_lufs"] < 0
    assert segue.probe(tmp_path / "n.flac")["loudness"]["track_gain_db"] == pytest.approx(
        -18.0 - r.loudness["integrated_lufs"], abs=0.01)
    with pytest.raises(ValueError):
        segue.convert(SRC, io.BytesIO())  # no format given
    with pytest.raises(ValueError):
        segue.convert(SRC, tmp_path / "x.flac", normalize="loudest")


def test_convert_clipping_warning(tmp_path):
    loud = tmp_path / "loud.wav"
    with segue.Encoder(loud, sample_rate=44100, channels=2, sample_format="f32") as e:
        e.write(tone(4410, amp=1.5))
    r = segue.convert(loud, tmp_path / "clip.wav", sample_format="s16")
    assert r.clipped_samples > 0
    assert any("clipped" in w for w in r.warnings)


def test_convert_cancel_leaves_nothing(tmp_path):
    with pytest.raises(segue.CancelledError):
        segue.convert(SRC, tmp_path / "c.mp3", progress=lambda done, total: done > 0)
    assert listing(tmp_path) == []


def test_profiles(cli):
    import json
    ref = json.loads(subprocess.run([cli, "profiles", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    names = [p["name"] for p in (ref if isinstance(ref, list) else ref["profiles"])]
    got = segue.profiles()
    assert [p.name for p in got] == names
    psp = segue.Profile("psp-mp3")
    assert psp.extension == "mp3" and psp.settings and len(psp.digest) == 64
    custom = segue.Profile.parse("name = mine\ncodec = flac\ncompression_level = 3\n")
    assert custom.name == "mine" and custom.extension == "flac"
    assert segue.Profile.from_spec(custom.spec()).digest == custom.digest
