"""segue_io over Python objects: paths, bytes, and file objects.

A file object becomes a struct of ctypes callbacks. It is seekable for the
library only when ``seekable()`` says so; pipes and sockets get a NULL seek,
which the library treats as a forward-only stream (include/segue/io.h).
Each callback runs Python code and so holds the GIL while it runs; the
decoding and encoding between callbacks runs without it.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Optional

from . import _lib
from ._errors import check

__all__ = ["Source", "Sink"]


class _Callbacks:
    """Callbacks over one file object. Keeps every ctypes object alive for
    as long as the handle that owns the segue_io."""

    def __init__(self, fileobj: Any, reading: bool):
        self.f = fileobj
        self.error: Optional[BaseException] = None
        self.position = 0
        try:
            seekable = bool(fileobj.seekable())
        except Exception:  # noqa: BLE001 - objects without seekable() are pipes
            seekable = False
        self.seekable = seekable
        self.readinto = getattr(fileobj, "readinto", None) if reading else None
        io = _lib.SegueIO()
        if reading:
            self._read = _lib.READ_FN(self._do_read)
            io.read = self._read
        else:
            self._write = _lib.WRITE_FN(self._do_write)
            io.write = self._write
        if seekable:
            self._seek = _lib.SEEK_FN(self._do_seek)
            io.seek = self._seek
        self._tell = _lib.TELL_FN(self._do_tell)
        io.tell = self._tell
        self._close = _lib.CLOSE_FN(self._do_close)
        io.close = self._close
        self.io = io

    def _fail(self, exc: BaseException) -> int:
        if self.error is None:
            self.error = exc
        return -1

    def _do_read(self, _user, buf, size):
        try:
            if self.readinto is not None:
                view = (ctypes.c_char * size).from_address(buf)
                n = self.readinto(memoryview(view).cast("B"))
                if n is None:  # non-blocking stream with nothing ready
                    n = 0
            else:
                data = self.f.read(size)
                n = len(data)
                if n > size:
                    raise ValueError("read() returned more bytes than asked for")
                ctypes.memmove(buf, data, n)
            self.position += n
            return n
        except BaseException as exc:  # noqa: BLE001 - reported after the C call
            return self._fail(exc)

    def _do_write(self, _user, buf, size):
        try:
            data = ctypes.string_at(buf, size)
            done = 0
            view = memoryview(data)
            while done < size:
                n = self.f.write(view[done:])
                if n is None:
                    n = size - done
                if n <= 0:
                    raise OSError("write() wrote nothing")
                done += n
            self.position += size
            return size
        except BaseException as exc:  # noqa: BLE001
            return self._fail(exc)

    def _do_seek(self, _user, offset, whence):
        try:
            self.position = self.f.seek(offset, whence)
            return 0
        except BaseException as exc:  # noqa: BLE001
            return self._fail(exc)

    def _do_tell(self, _user):
        if not self.seekable:
            return self.position
        try:
            return self.f.tell()
        except BaseException as exc:  # noqa: BLE001
            return self._fail(exc)

    def _do_close(self, _user):
        # The caller owns the file object; a sink is flushed, never closed.
        try:
            flush = getattr(self.f, "flush", None)
            if flush is not None and self.io.write:
                flush()
            return 0
        except BaseException as exc:  # noqa: BLE001
            return self._fail(exc)


class Source:
    """A readable segue_io for a path, a bytes-like object or a file object."""

    def __init__(self, obj: Any):
        self.io = _lib.SegueIO()
        self.callbacks: Optional[_Callbacks] = None
        self.keep: Any = None
        if isinstance(obj, (str, os.PathLike)):
            path = os.fsencode(obj)
            self.name = os.fsdecode(path)
            check(_lib.lib.segue_io_from_path(ctypes.byref(self.io), path), self.name, "open")
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            data = bytes(obj)
            self.keep = ctypes.create_string_buffer(data, len(data))
            self.name = "<bytes>"
            check(_lib.lib.segue_io_from_memory(ctypes.byref(self.io), self.keep, len(data)))
        elif hasattr(obj, "read"):
            self.callbacks = _Callbacks(obj, reading=True)
            self.io = self.callbacks.io
            self.name = str(getattr(obj, "name", "<file>"))
        else:
            raise TypeError(f"segue: cannot read from {type(obj).__name__}: give a path, "
                            "bytes or a binary file object")

    def raise_pending(self) -> None:
        """Re-raises an exception a Python callback swallowed."""
        if self.callbacks is not None and self.callbacks.error is not None:
            exc, self.callbacks.error = self.callbacks.error, None
            raise exc


class Sink:
    """A writable segue_io for a file object (paths are handled by the
    callers, which write a temp file and rename it)."""

    def __init__(self, obj: Any):
        if not hasattr(obj, "write"):
            raise TypeError(f"segue: cannot write to {type(obj).__name__}: give a path or a "
                            "binary file object")
        self.callbacks = _Callbacks(obj, reading=False)
        self.io = self.callbacks.io

    def raise_pending(self) -> None:
        if self.callbacks.error is not None:
            exc, self.callbacks.error = self.callbacks.error, None
            raise exc
