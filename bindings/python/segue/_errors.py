"""Exceptions mapped from ``segue_status`` (include/segue/status.h)."""
from __future__ import annotations

from typing import Optional

from ._lib import lib

__all__ = ["SegueError", "InvalidArgumentError", "OutOfMemoryError", "SegueIOError",
           "OpenError", "CorruptInputError", "UnsupportedError", "DRMProtectedError",
           "NotSeekableError", "UnknownFormatError", "TooLargeError", "StateError",
           "CancelledError", "InternalError", "error_for", "check"]


class SegueError(Exception):
    """A call into libsegue failed.

    Attributes:
        status: the ``segue_status`` value (negative).
        status_name: its C name, e.g. ``"SEGUE_ERR_CORRUPT"``.
        detail: the library's detail text (``segue_*_last_error()``), e.g.
            ``"wav: 'fmt ' chunk is 12 bytes, need 16"``; may be ``""``.
    """

    status: int = 0

    def __init__(self, status: int, detail: str = "", context: Optional[str] = None):
        self.status = status
        self.status_name = lib.segue_status_name(status).decode()
        self.detail = detail or ""
        text = lib.segue_status_str(status).decode()
        if self.detail:
            text = f"{text}: {self.detail}"
        if context:
            text = f"{context}: {text}"
        super().__init__(text)


class InvalidArgumentError(SegueError, ValueError):
    """SEGUE_ERR_INVALID_ARGUMENT: a bad argument or configuration."""


class OutOfMemoryError(SegueError, MemoryError):
    """SEGUE_ERR_NO_MEMORY."""


class SegueIOError(SegueError):
    """SEGUE_ERR_IO: a read, write or seek failed (also a Python file
    object that raised; the original exception is the ``__cause__``)."""


class OpenError(SegueError):
    """SEGUE_ERR_OPEN: a file could not be opened."""


class CorruptInputError(SegueError):
    """SEGUE_ERR_CORRUPT: the input is malformed or truncated."""


class UnknownFormatError(CorruptInputError):
    """SEGUE_ERR_UNKNOWN_FORMAT: no container recognised the input (the
    CLI reports it with the corrupt-input exit code, 65)."""


class UnsupportedError(SegueError):
    """SEGUE_ERR_UNSUPPORTED: format, codec or feature not supported."""


class DRMProtectedError(SegueError):
    """SEGUE_ERR_DRM: the input is DRM-protected; segue never decodes it."""


class NotSeekableError(SegueError):
    """SEGUE_ERR_NOT_SEEKABLE: the operation needs a seekable stream."""


class TooLargeError(SegueError):
    """SEGUE_ERR_TOO_LARGE: a declared size exceeds a stated limit."""


class StateError(SegueError):
    """SEGUE_ERR_STATE: the call is not valid in the handle's state."""


class CancelledError(SegueError):
    """SEGUE_ERR_CANCELLED: a progress callback asked to stop."""


class InternalError(SegueError):
    """SEGUE_ERR_INTERNAL: a bug in segue."""


_BY_STATUS = {
    -1: InvalidArgumentError, -2: OutOfMemoryError, -3: SegueIOError, -4: OpenError,
    -5: CorruptInputError, -6: UnsupportedError, -7: DRMProtectedError, -8: NotSeekableError,
    -9: UnknownFormatError, -10: TooLargeError, -11: StateError, -12: CancelledError,
    -13: InternalError,
}


def error_for(status: int, detail: str = "", context: Optional[str] = None) -> SegueError:
    """The exception instance for a negative status."""
    return _BY_STATUS.get(status, SegueError)(status, detail, context)


def check(status: int, detail: str = "", context: Optional[str] = None) -> int:
    """Returns a non-negative status, raises the mapped exception otherwise."""
    if status < 0:
        raise error_for(status, detail, context)
    return status
