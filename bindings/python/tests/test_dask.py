"""segue.dask.convert_catalog on a LocalCluster of two worker processes."""
import glob
import json
import os

import pytest

distributed = pytest.importorskip("distributed")

import segue  # noqa: E402
import segue.dask  # noqa: E402
from conftest import SANITIZED, cli_batch, make_tree, tree_bytes  # noqa: E402

if SANITIZED:
    pytest.skip("skipped under ASan: Dask worker processes", allow_module_level=True)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("catalog")
    broken = make_tree(str(root / "src"))
    ref = cli_batch(cli, root / "src", root / "cli", "psp-mp3", root / "cli.jsonl")
    return root, broken, ref


def rows(table):
    recs = table.to_dict("records") if hasattr(table, "to_dict") else table
    return {r["input"]: r for r in recs}


def temps(root):
    return glob.glob(os.path.join(str(root), "**", ".*.segue-part-*"), recursive=True)


def test_catalog_equals_segue_batch(client, catalog, tmp_path):
    root, broken, ref = catalog
    dst = tmp_path / "dask"
    table = segue.dask.convert_catalog(root / "src", dst, "psp-mp3", client,
                                       report=tmp_path / "r.jsonl")
    assert tree_bytes(dst) == tree_bytes(root / "cli")  # outputs and manifest
    got = rows(table)
    assert got.keys() == ref.keys()
    for name, r in got.items():
        for k in ("output", "status", "error", "codec", "input_codec", "unmapped", "warnings",
                  "input_bytes", "output_bytes"):
            assert r[k] == ref[name][k], (name, k)
    assert sorted(n for n, r in got.items() if r["status"] == "failed") == broken
    for name in broken:
        assert got[name]["error"]  # the reason, per file
    with open(tmp_path / "r.jsonl") as f:
        report = [json.loads(line) for line in f]
    assert [list(d) for d in report] == [list(ref[d["input"]]) for d in report]
    # A second run converts nothing.
    again = rows(segue.dask.convert_catalog(root / "src", dst, "psp-mp3", client))
    statuses = {r["status"] for n, r in again.items() if n not in broken}
    assert statuses == {"up-to-date", "ignored"}
    assert tree_bytes(dst) == tree_bytes(root / "cli")


def test_manifest_sources(client, catalog, tmp_path):
    root, broken, ref = catalog
    names = sorted(ref)
    csv_path = root / "src" / "catalog.csv"
    with open(csv_path, "w") as f:
        f.write("path,comment\n" + "".join(f'"{n}",x\n' for n in names))
    jsonl_path = tmp_path / "catalog.jsonl"
    with open(jsonl_path, "w") as f:
        for n in names:
            f.write(json.dumps({"url": (root / "src" / n).as_uri()}) + "\n")
    try:
        assert segue.dask.read_manifest(str(csv_path)) == names
        dst = tmp_path / "from_csv"
        table = rows(segue.dask.convert_catalog(csv_path, dst, "psp-mp3", client))
        assert {n: r["status"] for n, r in table.items()} == {
            n: r["status"] for n, r in ref.items()}
        assert tree_bytes(dst) == tree_bytes(root / "cli")
    finally:
        os.unlink(csv_path)
    # Absolute file:// URLs in JSONL: named by their path; same bytes.
    dst = tmp_path / "from_jsonl"
    table = rows(segue.dask.convert_catalog(jsonl_path, dst, "psp-mp3", client))
    prefix = str(root / "src").lstrip("/") + "/"
    for n, r in ref.items():
        t = table[prefix + n]
        assert t["status"] == r["status"]
        if r["status"] == "converted":
            assert (dst / t["output"]).read_bytes() == (root / "cli" / r["output"]).read_bytes()


def kill_once(marker, _input):
    """The first call anywhere kills its own worker process mid-conversion,
    after noting the temp files that exist at that moment."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    dst = os.path.dirname(marker)
    parts = glob.glob(os.path.join(dst, "out", "**", ".*.segue-part-*"), recursive=True)
    os.write(fd, "\n".join(parts).encode())
    os.close(fd)
    os._exit(1)


def test_worker_killed_mid_file(client, catalog, tmp_path):
    import functools
    root, broken, ref = catalog
    marker = tmp_path / "killed"
    dst = tmp_path / "out"
    table = rows(segue.dask.convert_catalog(
        root / "src", dst, "psp-mp3", client,
        on_file_progress=functools.partial(kill_once, str(marker))))
    # A worker died while its temp file existed ...
    assert marker.exists() and marker.read_text().strip()
    # ... its task ran again elsewhere, and nothing partial is left.
    assert {n: r["status"] for n, r in table.items()} == {n: r["status"] for n, r in ref.items()}
    assert temps(dst) == []
    assert tree_bytes(dst) == tree_bytes(root / "cli")
    client.wait_for_workers(2, timeout=60)


def test_remote_source_is_copied_and_keeps_its_stat(catalog, tmp_path):
    """A URL source (fsspec's in-process memory file system here) is fetched
    to a local copy; the record keeps the remote size and mtime."""
    fsspec = pytest.importorskip("fsspec")
    root, _broken, ref = catalog
    name = next(n for n, r in ref.items() if r["status"] == "converted")
    data = (root / "src" / name).read_bytes()
    with fsspec.open("memory://bucket/track.x", "wb") as f:
        f.write(data)
    row = segue.dask._convert_task("memory://bucket/track.x", "bucket/track.x", str(tmp_path),
                                   "bucket/track.mp3", ("name", "psp-mp3"),
                                   (len(data), 1234567890), None)
    assert row["status"] == "converted" and row["input_bytes"] == len(data)
    assert (tmp_path / "bucket" / "track.mp3").read_bytes() == \
        (root / "cli" / ref[name]["output"]).read_bytes()
    fields = row["record"].rstrip("\n").split("\t")
    assert fields[:4] == ["bucket/track.mp3", "bucket/track.x", str(len(data)), "1234567890"]
    with segue.Session(tmp_path, "psp-mp3") as s:
        s.record(row["record"])
        assert s.is_up_to_date("bucket/track.x", "bucket/track.mp3", len(data), 1234567890)
    assert not glob.glob(os.path.join(tempfile_dir(), "segue-src-*"))


def tempfile_dir():
    import tempfile
    return tempfile.gettempdir()
