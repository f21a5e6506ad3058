"""`pip install ./bindings/python` works offline, and the library is found
from SEGUE_LIBRARY or the copy bundled as package data."""
import os
import subprocess
import sys

import pytest

import segue

PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("bundle", [True, False])
def test_pip_install_offline(tmp_path, bundle):
    env = dict(os.environ)
    lib = os.path.realpath(segue.library_path)
    if not bundle:
        env.pop("SEGUE_LIBRARY", None)
    else:
        env["SEGUE_LIBRARY"] = lib
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "-q",
                    "--disable-pip-version-check", "--target", str(target), PKG], check=True,
                   env=env, cwd=tmp_path)
    assert (target / "segue" / "py.typed").exists()
    assert (target / "segue" / "libsegue.so").exists() == bundle
    run = dict(os.environ, PYTHONPATH=str(target))
    run.pop("SEGUE_LIBRARY", None)
    if not bundle:
        run["SEGUE_LIBRARY"] = lib
    code = "import segue; print(segue.library_path); print(segue.probe(__import__('sys').argv[1])['codec'])"
    out = subprocess.run([sys.executable, "-c", code,
                          os.path.join(PKG, "..", "..", "fixtures", "psp", "flac_44k.flac")],
                         check=True, capture_output=True, text=True, env=run,
                         cwd=tmp_path).stdout.split()
    assert out[1] == "flac"
    if bundle:
        assert out[0] == str(target / "segue" / "libsegue.so")
    else:
        assert out[0] == lib


def test_bad_segue_library_is_a_clear_import_error(tmp_path):
    env = dict(os.environ, SEGUE_LIBRARY=str(tmp_path / "missing.so"), PYTHONPATH=PKG)
    r = subprocess.run([sys.executable, "-c", "import segue"], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "cannot load libsegue" in r.stderr and "missing.so" in r.stderr
