"""segue.batch() and the batch pieces (Plan, Session, convert_file) against
`segue batch`."""
import json
import os
import subprocess
import sys
import threading

import pytest

import segue
from conftest import cli_batch, make_tree, tree_bytes

COMPARED = ("output", "status", "error", "warnings", "unmapped", "input_bytes", "output_bytes",
            "codec", "input_codec")


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    broken = make_tree(str(src))
    return src, broken


def test_batch_equals_cli(cli, tmp_path, tree):
    src, broken = tree
    ref = cli_batch(cli, src, tmp_path / "cli", "psp-mp3", tmp_path / "cli.jsonl")
    seen = []
    res = segue.batch(src, tmp_path / "py", "psp-mp3", jobs=2, on_item=seen.append,
                      report=tmp_path / "py.jsonl")
    assert tree_bytes(tmp_path / "py") == tree_bytes(tmp_path / "cli")
    got = {d["input"]: d for d in res.items}
    assert got.keys() == ref.keys()
    for name, d in got.items():
        for k in COMPARED:
            assert d[k] == ref[name][k], (name, k)
        assert d["input_seconds"] == pytest.approx(ref[name]["input_seconds"], abs=1e-6)
        assert list(d) == list(ref[name])  # same fields, same order as the CLI's report
    assert sorted(i["input"] for i in res.failed) == broken
    assert res.summary["failed"] == 3 and res.summary["ignored"] == 2
    assert res.summary["converted"] == 37
    assert len(seen) == len(res.items)
    with open(tmp_path / "py.jsonl") as f:
        assert [json.loads(line) for line in f] == res.items
    # Re-running skips everything that is up to date.
    again = segue.batch(src, tmp_path / "py", "psp-mp3", jobs=2)
    assert again.summary["converted"] == 0 and again.summary["up_to_date"] == 37
    touched = next(i["input"] for i in res.items if i["status"] == "converted")
    os.utime(src / touched, ns=(1, 1))
    again = segue.batch(src, tmp_path / "py", "psp-mp3", jobs=1)
    assert [i["input"] for i in again.items if i["status"] == "converted"] == [touched]


def test_dry_run_and_stop(tmp_path, tree):
    src, _ = tree
    res = segue.batch(src, tmp_path / "dry", "archive-flac", dry_run=True)
    assert res.summary["would_convert"] == 40 and not (tmp_path / "dry").exists()
    res = segue.batch(src, tmp_path / "stop", "archive-flac", jobs=1, on_progress=lambda p: True)
    assert res.summary["stopped"]
    assert res.summary["converted"] < 37
    assert not [n for n in tree_bytes(tmp_path / "stop") if ".segue-part-" in n]


def test_callback_exceptions_stop_and_propagate(tmp_path, tree):
    src, _ = tree

    def boom(item):
        raise KeyError("from on_item")

    with pytest.raises(KeyError):
        segue.batch(src, tmp_path / "x", "archive-flac", jobs=1, on_item=boom)


def test_batch_errors(cli, tmp_path, tree):
    src, _ = tree
    with pytest.raises(segue.OpenError):
        segue.batch(tmp_path / "missing", tmp_path / "d", "psp-mp3")
    with pytest.raises(segue.InvalidArgumentError):
        segue.batch(src, src, "psp-mp3")
    # The lock is a POSIX record lock: it excludes other processes.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, segue; s = segue.Session(sys.argv[1], 'psp-mp3'); "
         "print('locked', flush=True); sys.stdin.read()", str(tmp_path / "locked")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(segue.SegueIOError, match="another segue batch"):
            segue.batch(src, tmp_path / "locked", "psp-mp3")
        with pytest.raises(segue.SegueIOError, match="another segue batch"):
            segue.Session(tmp_path / "locked", "psp-mp3")
    finally:
        holder.communicate("")
    with segue.Session(tmp_path / "locked", "psp-mp3"):
        r = subprocess.run([cli, "batch", str(src), str(tmp_path / "locked"), "--profile",
                            "psp-mp3"], capture_output=True)
        assert r.returncode == 73


def test_plan_list_equals_tree(tree):
    src, _ = tree
    t = segue.Plan.tree(src, None, "psp-mp3")
    files = [e.input for e in t]
    lst = segue.Plan.list(list(reversed(files)) + files[:3], "psp-mp3")
    assert lst.entries == t.entries
    outs = [e.output for e in t if e.output]
    assert "Artist/Album/Song_.mp3" in outs and "Artist/Album/Song_ (2).mp3" in outs
    assert {e.input: e.ignored for e in t if e.ignored} == {
        "Artist/Album/cover.jpg": "not audio (by extension)",
        "Various/notes.txt": "not audio (by extension)"}
    bad = segue.Plan.list(["../up.flac", "/abs.flac", "ok.flac"], "psp-mp3")
    assert {e.input: e.error is not None for e in bad} == {
        "../up.flac": True, "/abs.flac": True, "ok.flac": False}


def test_pieces_equal_batch(cli, tmp_path, tree):
    """Plan + convert_file + Session write what `segue batch` writes,
    manifest included, and threads may convert at once."""
    src, broken = tree
    cli_batch(cli, src, tmp_path / "cli", "psp-mp3", tmp_path / "cli.jsonl")
    plan = segue.Plan.tree(src, tmp_path / "pieces", "psp-mp3")
    results = {}
    with segue.Session(tmp_path / "pieces", "psp-mp3") as s:
        todo = [e for e in plan if e.output and not e.error]

        def work(entries):
            for e in entries:
                results[e.input] = segue.convert_file(src / e.input, e.input,
                                                      tmp_path / "pieces", e.output, "psp-mp3")
        threads = [threading.Thread(target=work, args=(todo[k::2],)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for e in todo:
            if results[e.input]["record"]:
                s.record(results[e.input]["record"])
        st = os.stat(src / todo[0].input)
        assert s.is_up_to_date(todo[0].input, todo[0].output, st.st_size, st.st_mtime_ns)
        assert s.is_up_to_date(todo[0].input, todo[0].output, st.st_size + 1,
                               st.st_mtime_ns) is None
        with pytest.raises(segue.CorruptInputError):
            s.record("not a manifest line\n")
    assert tree_bytes(tmp_path / "pieces") == tree_bytes(tmp_path / "cli")
    assert sorted(k for k, v in results.items() if v["status"] == "failed") == broken


def test_ctrl_c_stops_the_run_cleanly(tmp_path, tree):
    """SIGINT lands in the progress callback (the only Python code running
    during the run): the run stops, cleans up, and KeyboardInterrupt is
    re-raised."""
    import signal
    src, _ = tree
    with pytest.raises(KeyboardInterrupt):
        segue.batch(src, tmp_path / "int", "archive-flac", jobs=1,
                    on_progress=lambda p: os.kill(os.getpid(), signal.SIGINT))
    assert not [n for n in tree_bytes(tmp_path / "int") if ".segue-part-" in n]
    # The manifest kept what was finished: a rerun completes the tree.
    res = segue.batch(src, tmp_path / "int", "archive-flac", jobs=2)
    s = res.summary
    assert s["converted"] + s["up_to_date"] + s["failed"] == 40 and s["cancelled"] == 0


def test_empty_plan_list():
    assert len(segue.Plan.list([], "psp-mp3")) == 0
