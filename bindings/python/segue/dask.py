"""Converting a catalogue on a Dask cluster: ``convert_catalog``.

The coordinator (the process that calls convert_catalog) names every output
with the library's batch plan, holds DST's lock and manifest through a
``segue.Session``, and submits one Dask task per file that is not up to
date. Each task runs ``segue.convert_file`` on a worker: the output is
written to a hidden temp file beside its final name and renamed into place
only when complete, so a worker that dies mid-file leaves at most a temp
file, which the session removes at the end, and the scheduler runs the task
again on another worker. Results come back as the fields of
``segue batch --report``; the coordinator appends each converted file's
manifest line as it arrives, so ``segue batch`` and convert_catalog see the
same manifest and skip the same files.

Needs Debian's python3-distributed; pandas (a DataFrame result) and fsspec
(URL sources and manifests) are used when installed.
"""
from __future__ import annotations

import csv
import json
import os
import posixpath
import shutil
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import unquote, urlsplit

from ._batch import REPORT_FIELDS, Plan, Session, convert_file
from ._core import PathLike, Profile, as_profile

__all__ = ["convert_catalog", "read_manifest"]

_COLUMNS = REPORT_FIELDS + ("reason",)
_KEYS = ("path", "input", "url", "source", "file")


def _is_url(loc: str) -> bool:
    scheme = urlsplit(loc).scheme
    return len(scheme) > 1 and scheme != "file"


def _open_text(path: str):
    if _is_url(path):
        import fsspec  # noqa: PLC0415 - optional dependency
        return fsspec.open(path, "rt", encoding="utf-8").open()
    return open(path, encoding="utf-8", newline="")


def read_manifest(path: str) -> List[str]:
    """The input locations listed in a CSV or JSONL manifest.

    CSV: the column named path, input, url, source or file if the first row
    names one, else the first column. JSONL (.jsonl, .ndjson, .json): each
    line a JSON string or an object with one of those keys. Any other
    extension: one location a line. Blank lines and lines starting with
    '#' are skipped.
    """
    ext = os.path.splitext(urlsplit(path).path)[1].lower()
    out: List[str] = []
    with _open_text(path) as f:
        if ext == ".csv":
            rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
            col = 0
            if rows:
                header = [c.strip().lower() for c in rows[0]]
                for k in _KEYS:
                    if k in header:
                        col = header.index(k)
                        rows = rows[1:]
                        break
            out = [r[col].strip() for r in rows if len(r) > col and r[col].strip()]
        elif ext in (".jsonl", ".ndjson", ".json"):
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                v = json.loads(line)
                if isinstance(v, dict):
                    v = next((v[k] for k in _KEYS if k in v), None)
                if not isinstance(v, str):
                    raise ValueError(f"{path}: line {n}: no path, input, url, source or file")
                out.append(v)
        else:
            out = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    return out


def _name_for(loc: str, base: str) -> Tuple[str, str]:
    """(relative source name for the plan, location to read)."""
    if _is_url(loc):
        u = urlsplit(loc)
        return posixpath.normpath((u.netloc + "/" + u.path.lstrip("/")).strip("/")), loc
    if loc.startswith("file://"):
        loc = unquote(urlsplit(loc).path)  # RFC 8089: the path is percent-encoded
    path = os.path.normpath(loc if os.path.isabs(loc) else os.path.join(base, loc))
    rel = os.path.relpath(path, base)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = path.lstrip(os.sep)
    return rel.replace(os.sep, "/"), path


def _source_stat(loc: str) -> Tuple[int, int]:
    if _is_url(loc):
        import fsspec  # noqa: PLC0415
        fs, p = fsspec.core.url_to_fs(loc)
        info = fs.info(p)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
        if hasattr(mtime, "timestamp"):
            mtime = mtime.timestamp()
        return int(info.get("size") or 0), int(round(float(mtime) * 1e9))
    st = os.stat(loc)
    return st.st_size, st.st_mtime_ns


_profiles: Dict[Tuple[str, str], Profile] = {}


def _convert_task(loc: str, input: str, dst: str, output: str, spec: Tuple[str, str],
                  source_stat: Optional[Tuple[int, int]],
                  hook: Optional[Callable[[str], Any]]) -> Dict[str, Any]:
    """One file, on a worker. Remote sources are copied to a local temp file
    first; the record keeps the original's size and mtime."""
    prof = _profiles.get(spec)
    if prof is None:
        prof = _profiles[spec] = Profile.from_spec(spec)

    def poll() -> bool:
        if hook is not None:
            hook(input)
        return False

    if not _is_url(loc):
        return convert_file(loc, input, dst, output, prof, cancel=poll if hook else None)
    import fsspec  # noqa: PLC0415
    fd, local = tempfile.mkstemp(prefix="segue-src-")
    try:
        with os.fdopen(fd, "wb") as out, fsspec.open(loc, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        size, mtime = source_stat if source_stat else (None, None)
        return convert_file(local, input, dst, output, prof, source_size=size,
                            source_mtime_ns=mtime, cancel=poll if hook else None)
    finally:
        os.unlink(local)


def _blank(input: str, output: Optional[str], status: str, error: Optional[str] = None,
           reason: Optional[str] = None) -> Dict[str, Any]:
    d: Dict[str, Any] = {k: None for k in _COLUMNS}
    d.update(input=input, output=output, status=status, error=error, warnings=[], unmapped=[],
             input_seconds=0.0, output_seconds=0.0, input_bytes=0, output_bytes=0, seconds=0.0)
    if status == "ignored":
        d["reason"] = reason
    return d


def convert_catalog(source: Union[PathLike, Sequence[str]], dst: PathLike,
                    profile: Union[str, Profile], client: Any = None, *, retries: int = 2,
                    report: Optional[PathLike] = None,
                    on_file_progress: Optional[Callable[[str], Any]] = None) -> Any:
    """Converts a catalogue into ``dst`` with one profile on a Dask cluster.

    source: a folder (walked as ``segue batch`` walks it), a manifest file
        (CSV or JSONL of paths or URLs; relative paths are relative to the
        manifest's folder), or a list of paths or URLs. Output names follow
        the source names relative to that folder (URLs: host/path).
    dst: the output folder, on a file system every worker shares.
    profile: a built-in profile name or a segue.Profile.
    client: a distributed.Client; None uses the current default client, or
        starts a LocalCluster for the call.
    retries: how often a task that raised (e.g. a fetch error) is retried;
        a worker that dies is handled by the scheduler, which reruns its
        task elsewhere.
    report: write the table as JSONL too, as ``segue batch --report``.
    on_file_progress(input): called on the worker during each conversion
        (for monitoring; must be picklable).

    Returns a pandas DataFrame when pandas is installed (``attrs["warnings"]``
    holds notes about the run, such as an ignored corrupt manifest), else a
    list of dicts, one row per file with the report's fields (input, output,
    status, error, warnings, unmapped, input_seconds, output_seconds,
    input_bytes, output_bytes, codec, input_codec, seconds, reason).
    A file that fails is a row with status "failed"; the call itself raises
    only when DST cannot be locked or written (SegueError subclasses).
    """
    from distributed import as_completed, get_client  # noqa: PLC0415

    prof = as_profile(profile)
    assert prof is not None
    spec = prof.spec()
    dst = os.path.abspath(os.fsdecode(dst))

    locations: Dict[str, str] = {}
    if isinstance(source, (str, os.PathLike)) and not _is_url(os.fsdecode(source)) \
            and os.path.isdir(source):
        src_dir = os.path.abspath(os.fsdecode(source))
        plan = Plan.tree(src_dir, dst, prof)
        for e in plan:
            locations[e.input] = os.path.join(src_dir, e.input)
    else:
        if isinstance(source, (str, os.PathLike)):
            mpath = os.fsdecode(source)
            locs = read_manifest(mpath)
            base = os.path.dirname(os.path.abspath(mpath)) if not _is_url(mpath) else os.getcwd()
        else:
            locs, base = list(source), os.getcwd()
        for loc in locs:
            name, where = _name_for(loc, base)
            locations.setdefault(name, where)
        plan = Plan.list(list(locations), prof)

    own_cluster = None
    if client is None:
        try:
            client = get_client()
        except ValueError:
            from distributed import Client, LocalCluster  # noqa: PLC0415
            own_cluster = LocalCluster(processes=True, threads_per_worker=1)
            client = Client(own_cluster)

    rows: Dict[str, Dict[str, Any]] = {}
    warnings: List[str] = []
    order = [e.input for e in plan]
    try:
        with Session(dst, prof) as session:
            futures = {}
            for e in plan:
                loc = locations[e.input]
                if e.ignored:
                    rows[e.input] = _blank(e.input, None, "ignored", reason=e.ignored)
                    continue
                if e.error:
                    rows[e.input] = _blank(e.input, e.output, "failed", error=e.error)
                    continue
                try:
                    size, mtime = _source_stat(loc)
                except (OSError, ValueError) as exc:
                    rows[e.input] = _blank(e.input, e.output, "failed",
                                           error=f"cannot stat: {exc}")
                    continue
                have = session.is_up_to_date(e.input, e.output, size, mtime)
                if have is not None:
                    row = _blank(e.input, e.output, "up-to-date")
                    row["input_bytes"], row["output_bytes"] = size, have
                    rows[e.input] = row
                    continue
                fut = client.submit(_convert_task, loc, e.input, dst, e.output, spec,
                                    (size, mtime) if _is_url(loc) else None, on_file_progress,
                                    retries=retries, pure=False,
                                    key=f"segue-convert-{e.output}-{time.monotonic_ns()}")
                futures[fut] = e
            for fut in as_completed(list(futures)):
                e = futures[fut]
                try:
                    row = fut.result()
                except Exception as exc:  # noqa: BLE001 - a task that kept failing
                    rows[e.input] = _blank(e.input, e.output, "failed",
                                           error=f"{type(exc).__name__}: {exc}")
                    continue
                line = row.pop("record", None)
                if line:
                    session.record(line)
                row.setdefault("reason", None)
                rows[e.input] = row
            warnings = session.warnings
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    table = [rows[i] for i in order if i in rows]
    if report is not None:
        with open(report, "w", encoding="utf-8") as f:
            for r in table:
                d = {k: r[k] for k in REPORT_FIELDS if k != "seconds"}
                if r["status"] == "ignored":
                    d = {**{k: d[k] for k in ("input", "output", "status", "error")},
                         "reason": r["reason"],
                         **{k: d[k] for k in REPORT_FIELDS[4:-1]}}
                d["seconds"] = r["seconds"]
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    try:
        import pandas as pd  # noqa: PLC0415
    except ImportError:
        return table
    df = pd.DataFrame(table, columns=list(_COLUMNS))
    df.attrs["warnings"] = list(warnings)  # notes about the run (a corrupt manifest)
    return df
