"""DRM-flagged, corrupt and unsupported inputs raise the matching classes
with the library's detail text (the same text `segue probe` prints)."""
import subprocess

import pytest

import segue
from conftest import fixture, shared


def cli_message(cli, path):
    r = subprocess.run([cli, "probe", path], capture_output=True, text=True)
    assert r.returncode != 0
    return r.returncode, r.stderr.strip()


CASES = [
    (lambda: shared("fixtures", "atrac", "neg_drm_flagged_at3_lp2.oma"), segue.DRMProtectedError,
     69, "OpenMG"),
    (lambda: fixture("psp", "bad_header.wav"), segue.CorruptInputError, 65, "fmt "),
    (lambda: fixture("psp", "empty.mp3"), segue.CorruptInputError, 65, "empty"),
    (lambda: fixture("psp", "corrupt.mp3"), segue.UnknownFormatError, 65, "unrecognised"),
    (lambda: shared("fixtures", "atrac", "at3p_352k_sweep_5s.oma"), segue.UnsupportedError, 69,
     "ATRAC3plus"),
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("call", ["probe", "Decoder", "convert"])
def test_error_classes_and_detail(cli, tmp_path, case, call):
    where, cls, code, word = CASES[case]
    path = where()
    with pytest.raises(cls) as info:
        if call == "probe":
            segue.probe(path)
        elif call == "Decoder":
            segue.Decoder(path)
        else:
            segue.convert(path, str(tmp_path / "out.flac"))
    e = info.value
    assert isinstance(e, segue.SegueError)
    assert word in e.detail
    rc, message = cli_message(cli, path)
    assert rc == code
    assert e.detail in message  # the C detail text, as the CLI prints it
    assert e.detail in str(e)
    assert not list(tmp_path.iterdir())  # convert left nothing behind


def test_status_fields():
    with pytest.raises(segue.CorruptInputError) as info:
        segue.probe(fixture("psp", "bad_header.wav"))
    assert info.value.status == -5
    assert info.value.status_name == "SEGUE_ERR_CORRUPT"


def test_missing_file():
    with pytest.raises(segue.OpenError):
        segue.probe("/nonexistent/file.flac")


def test_bad_arguments():
    with pytest.raises(TypeError):
        segue.Decoder(12345)
    with pytest.raises(KeyError):
        segue.Profile("no-such-profile")
    with pytest.raises(segue.InvalidArgumentError, match="line 1"):
        segue.Profile.parse("this is not a profile\n")
