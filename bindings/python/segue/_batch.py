"""Batch conversion over the public batch API (include/segue/batch.h).

``batch()`` is ``segue batch`` as a function. ``Plan``, ``Session`` and
``convert_file()`` are the pieces the Dask runner (segue.dask) spreads over
processes; they share every rule with ``batch()`` because the library does
the naming, the up-to-date test, the atomic write and the manifest.
"""
from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from . import _lib
from ._core import PathLike, Profile, as_profile
from ._errors import check

L = _lib.lib

__all__ = ["batch", "BatchResult", "Plan", "PlanEntry", "Session", "convert_file",
           "REPORT_FIELDS", "item_dict"]

# The fields of a `segue batch --report` line, in its order.
REPORT_FIELDS = ("input", "output", "status", "error", "warnings", "unmapped", "input_seconds",
                 "output_seconds", "input_bytes", "output_bytes", "codec", "input_codec",
                 "seconds")

_ERR_SIZE = 1024


def _s(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else os.fsdecode(b)


def item_dict(p: Any) -> Dict[str, Any]:
    """A segue_batch_item as the report's JSON object (ignored files carry
    ``reason`` and a null ``error``, as in the CLI's report)."""
    it = p.contents
    status = L.segue_batch_status_name(it.status).decode()
    error = _s(it.error)
    d: Dict[str, Any] = {"input": _s(it.input), "output": _s(it.output), "status": status,
                         "error": None if status == "ignored" else error}
    if status == "ignored":
        d["reason"] = error
    d["warnings"] = [_s(it.warnings[i]) for i in range(it.warning_count)]
    d["unmapped"] = [{"what": _s(it.unmapped_what[i]), "why": _s(it.unmapped_why[i])}
                     for i in range(it.unmapped_count)]
    d["input_seconds"] = it.input_seconds
    d["output_seconds"] = it.output_seconds
    d["input_bytes"] = it.input_bytes
    d["output_bytes"] = it.output_bytes
    d["codec"] = _s(it.codec)
    d["input_codec"] = _s(it.input_codec)
    d["seconds"] = it.wall_seconds
    return d


@dataclass
class BatchResult:
    """items: one report dict per file (REPORT_FIELDS); summary: counts by
    status plus audio_seconds, wall_seconds and stopped; warnings: notes
    about the run itself."""
    items: List[Dict[str, Any]]
    summary: Dict[str, Any]
    warnings: List[str]

    @property
    def failed(self) -> List[Dict[str, Any]]:
        return [i for i in self.items if i["status"] == "failed"]


def batch(src: PathLike, dst: PathLike, profile: Union[str, Profile], *,
          jobs: Optional[int] = None, dry_run: bool = False, delete_orphans: bool = False,
          on_item: Optional[Callable[[Dict[str, Any]], Any]] = None,
          on_progress: Optional[Callable[[Dict[str, Any]], Any]] = None,
          report: Optional[PathLike] = None) -> BatchResult:
    """Converts the tree ``src`` into ``dst`` with one profile, exactly as
    ``segue batch`` (docs/batch.md): worker threads in the library, a
    manifest so reruns only convert what changed, atomic outputs.

    jobs: worker threads (default: online CPUs). on_item(item) is called as
    each file finishes; on_progress(snapshot) about 5 times a second, and
    a truthy return stops the run (as does KeyboardInterrupt, which is
    re-raised once the run has stopped cleanly). report: a JSONL file of the
    items, as ``--report``. Raises OpenError (src), SegueIOError (dst
    cannot be created or is locked by another run), InvalidArgumentError.
    """
    prof = as_profile(profile)
    assert prof is not None
    items: List[Dict[str, Any]] = []
    warnings: List[str] = []
    pending: List[BaseException] = []
    report_file = open(report, "w", encoding="utf-8") if report is not None else None

    def _item(_user, p):
        try:
            d = item_dict(p)
            items.append(d)
            if report_file is not None:
                report_file.write(json.dumps(d, ensure_ascii=False) + "\n")
                report_file.flush()
            if on_item is not None:
                on_item(d)
        except BaseException as exc:  # noqa: BLE001 - re-raised after the run
            pending.append(exc)

    def _progress(_user, p):
        if pending:
            return 1
        try:
            if on_progress is not None:
                q = p.contents
                snap = {"files_total": q.files_total, "files_done": q.files_done,
                        "files_running": q.files_running,
                        "audio_seconds_done": q.audio_seconds_done,
                        "elapsed_seconds": q.elapsed_seconds}
                return 1 if on_progress(snap) else 0
            return 0
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt lands here
            pending.append(exc)
            return 1

    def _warning(_user, msg):
        warnings.append(_s(msg) or "")

    cfg = _lib.BatchConfig()
    L.segue_batch_config_default(ctypes.byref(cfg))
    src_b, dst_b = os.fsencode(src), os.fsencode(dst)
    cfg.src_dir, cfg.dst_dir = src_b, dst_b
    cfg.profile = prof._ptr
    cfg.jobs = int(jobs or 0)
    cfg.dry_run = 1 if dry_run else 0
    cfg.delete_orphans = 1 if delete_orphans else 0
    callbacks = (_lib.ITEM_FN(_item), _lib.PROGRESS_FN(_progress), _lib.WARNING_FN(_warning))
    cfg.on_item, cfg.on_progress, cfg.on_warning = callbacks
    summary = _lib.BatchSummary()
    err = ctypes.create_string_buffer(_ERR_SIZE)
    try:
        st = L.segue_batch_run_tree(ctypes.byref(cfg), ctypes.byref(summary), err, _ERR_SIZE)
    finally:
        if report_file is not None:
            report_file.close()
    if pending:
        raise pending[0]
    check(st, _s(err.value) or "", "batch")
    summ = {name: getattr(summary, name) for name, _t in _lib.BatchSummary._fields_}
    summ["stopped"] = bool(summ["stopped"])
    return BatchResult(items, summ, warnings)


# ---- the pieces -----------------------------------------------------------------

@dataclass(frozen=True)
class PlanEntry:
    """A source and its output name (relative to SRC and DST). ``ignored``
    or ``error`` say why the file is not converted."""
    input: str
    output: Optional[str]
    ignored: Optional[str]
    error: Optional[str]


class Plan:
    """Output names for a tree (``Plan.tree``) or a list of relative paths
    (``Plan.list``), by the rules of ``segue batch``."""

    def __init__(self, entries: List[PlanEntry]):
        self.entries = entries

    @staticmethod
    def _take(h: ctypes.c_void_p) -> "Plan":
        out = []
        e = _lib.BatchEntry()
        try:
            for i in range(L.segue_batch_plan_count(h.value)):
                check(L.segue_batch_plan_at(h.value, i, ctypes.byref(e)))
                out.append(PlanEntry(_s(e.input) or "", _s(e.output), _s(e.ignored), _s(e.error)))
        finally:
            L.segue_batch_plan_destroy(h.value)
        return Plan(out)

    @classmethod
    def tree(cls, src: PathLike, dst: Optional[PathLike], profile: Union[str, Profile]) -> "Plan":
        prof = as_profile(profile)
        h = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERR_SIZE)
        st = L.segue_batch_plan_tree(ctypes.byref(h), os.fsencode(src),
                                     os.fsencode(dst) if dst is not None else None, prof._ptr,
                                     err, _ERR_SIZE)
        check(st, _s(err.value) or "", "batch plan")
        return cls._take(h)

    @classmethod
    def list(cls, inputs: Sequence[str], profile: Union[str, Profile]) -> "Plan":
        prof = as_profile(profile)
        arr = (ctypes.c_char_p * max(1, len(inputs)))(*[os.fsencode(p) for p in inputs])
        h = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERR_SIZE)
        st = L.segue_batch_plan_list(ctypes.byref(h), arr, len(inputs), prof._ptr, err, _ERR_SIZE)
        check(st, _s(err.value) or "", "batch plan")
        return cls._take(h)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class Session:
    """The coordinator's hold on DST: lock, manifest, up-to-date test."""

    def __init__(self, dst: PathLike, profile: Union[str, Profile]):
        self.profile = as_profile(profile)
        self.warnings: List[str] = []
        self._warn_cb = _lib.WARNING_FN(lambda _u, m: self.warnings.append(_s(m) or ""))
        h = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERR_SIZE)
        st = L.segue_batch_session_open(ctypes.byref(h), os.fsencode(dst), self.profile._ptr,
                                        self._warn_cb, None, err, _ERR_SIZE)
        check(st, _s(err.value) or "", "batch session")
        self._h = h.value
        self.removed_temps = 0

    def is_up_to_date(self, input: str, output: str, size: int, mtime_ns: int) -> Optional[int]:
        """The output's size when it is up to date, else None."""
        flag, nbytes = ctypes.c_int(0), ctypes.c_uint64(0)
        check(L.segue_batch_session_check(self._h, os.fsencode(input), os.fsencode(output),
                                          int(size), int(mtime_ns), ctypes.byref(flag),
                                          ctypes.byref(nbytes)))
        return nbytes.value if flag.value else None

    def record(self, line: str) -> None:
        err = ctypes.create_string_buffer(_ERR_SIZE)
        check(L.segue_batch_session_record(self._h, os.fsencode(line), err, _ERR_SIZE),
              _s(err.value) or "", "manifest")

    def close(self) -> None:
        if self._h:
            removed = ctypes.c_size_t(0)
            err = ctypes.create_string_buffer(_ERR_SIZE)
            h, self._h = self._h, None
            st = L.segue_batch_session_close(h, ctypes.byref(removed), err, _ERR_SIZE)
            self.removed_temps = removed.value
            check(st, _s(err.value) or "", "manifest")

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # A session dropped without close() must not keep DST locked for
        # the rest of the process.
        try:
            if getattr(self, "_h", None):
                self.close()
        except Exception:  # noqa: BLE001
            pass


def convert_file(src_path: PathLike, input: str, dst: PathLike, output: str,
                 profile: Union[str, Profile], *, source_size: Optional[int] = None,
                 source_mtime_ns: Optional[int] = None,
                 cancel: Optional[Callable[[], Any]] = None) -> Dict[str, Any]:
    """Converts one planned file atomically into ``dst/output``.

    Returns the report dict, plus ``record``: the manifest line for
    Session.record() when the file was converted (else None). Give
    source_size and source_mtime_ns when src_path is a local copy of a
    remote source. cancel() is polled during the conversion; truthy stops it.
    """
    prof = as_profile(profile)
    f = _lib.BatchFile()
    L.segue_batch_file_default(ctypes.byref(f))
    keep = [os.fsencode(src_path), os.fsencode(input), os.fsencode(dst), os.fsencode(output)]
    f.src_path, f.input, f.dst_dir, f.output = keep
    f.profile = prof._ptr
    if source_size is not None and source_mtime_ns is not None:
        f.have_source_stat = 1
        f.source_size = int(source_size)
        f.source_mtime_ns = int(source_mtime_ns)
    raised: List[BaseException] = []

    def _cancel(_user):
        try:
            return 1 if cancel() else 0
        except BaseException as exc:  # noqa: BLE001
            raised.append(exc)
            return 1

    cb = _lib.CANCEL_FN(_cancel) if cancel else _lib.CANCEL_FN()
    f.cancel = cb
    h = ctypes.c_void_p()
    err = ctypes.create_string_buffer(_ERR_SIZE)
    st = L.segue_batch_convert_file(ctypes.byref(f), ctypes.byref(h), err, _ERR_SIZE)
    check(st, _s(err.value) or "", "batch file")
    try:
        d = item_dict(L.segue_batch_result_item(h.value))
        rec = L.segue_batch_result_record(h.value)
        d["record"] = rec.decode("utf-8", "surrogateescape") if rec else None
    finally:
        L.segue_batch_result_destroy(h.value)
    if raised:
        raise raised[0]
    return d
