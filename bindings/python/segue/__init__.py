"""segue: Python bindings for the segue audio transcoding engine.

The package is a thin ctypes layer over libsegue's public C API
(include/segue/*.h); docs/python.md is the guide. In short::

    import segue
    info = segue.probe("song.flac")
    with segue.Decoder("song.flac") as d:
        for block in d:          # float32 (frames, channels) blocks
            ...
    segue.convert("song.flac", "song.mp3", profile="psp-mp3")

Distributed conversion of a catalogue: ``segue.dask.convert_catalog``.
"""
from __future__ import annotations

from ._lib import library_path
from ._errors import (CancelledError, CorruptInputError, DRMProtectedError, InternalError,
                      InvalidArgumentError, NotSeekableError, OpenError, OutOfMemoryError,
                      SegueError, SegueIOError, StateError, TooLargeError, UnknownFormatError,
                      UnsupportedError)
from ._core import (HAVE_NUMPY, ConvertResult, Decoder, Encoder, Picture, Profile, StreamInfo,
                    convert, encoder_containers, probe, profiles, version)
from ._batch import REPORT_FIELDS, BatchResult, Plan, PlanEntry, Session, batch, convert_file

__version__ = "0.1.0"

__all__ = [
    "probe", "Decoder", "Encoder", "convert", "batch", "profiles", "Profile", "StreamInfo",
    "Picture", "ConvertResult", "BatchResult", "Plan", "PlanEntry", "Session", "convert_file",
    "REPORT_FIELDS", "version", "encoder_containers", "library_path", "HAVE_NUMPY",
    "SegueError", "InvalidArgumentError", "OutOfMemoryError", "SegueIOError", "OpenError",
    "CorruptInputError", "UnknownFormatError", "UnsupportedError", "DRMProtectedError",
    "NotSeekableError", "TooLargeError", "StateError", "CancelledError", "InternalError",
]
