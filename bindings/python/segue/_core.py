"""probe, Decoder, Encoder, convert, profiles: the public C API in Python."""
from __future__ import annotations

import array
import contextlib
import ctypes
import itertools
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _lib
from ._errors import check, error_for
from ._io import Sink, Source

try:  # numpy is optional: blocks are numpy arrays when it is installed
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None

L = _lib.lib

PathLike = Union[str, "os.PathLike[str]"]
SourceLike = Union[PathLike, bytes, bytearray, memoryview, Any]

__all__ = ["StreamInfo", "Picture", "Profile", "ConvertResult", "Decoder", "Encoder", "probe",
           "convert", "profiles", "version", "encoder_containers", "HAVE_NUMPY"]

HAVE_NUMPY = _np is not None


def _s(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


def version() -> str:
    """The version of the loaded libsegue ("major.minor.patch")."""
    return _s(L.segue_version_string()) or ""


def encoder_containers() -> List[str]:
    """Container names this build of the library can write ("wav", "mp3", ...)."""
    arr = L.segue_encoder_containers()
    out = []
    for i in itertools.count():
        if not arr[i]:
            break
        out.append(arr[i].decode())
    return out


# ---- data classes -----------------------------------------------------------

@dataclass(frozen=True)
class StreamInfo:
    """What segue_decoder_info() reports about a stream.

    ``frames`` is -1 when the length is unknown; ``duration`` is then None.
    """
    container: str
    codec: str
    sample_rate: int
    channels: int
    channel_mask: int
    source_format: str
    bits_per_sample: int
    frames: int
    bitrate: int
    seekable: bool
    rate_control: Optional[str]

    @property
    def duration(self) -> Optional[float]:
        if self.frames < 0 or not self.sample_rate:
            return None
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class Picture:
    """An embedded picture (ID3v2 APIC / FLAC PICTURE types; 3 = front cover)."""
    type: int
    mime: str
    description: str
    width: int
    height: int
    data: bytes = field(repr=False)


def _info(p: Any) -> StreamInfo:
    i = p.contents
    return StreamInfo(container=_s(i.container) or "", codec=_s(i.codec) or "",
                      sample_rate=i.sample_rate, channels=i.channels,
                      channel_mask=i.channel_mask,
                      source_format=_s(L.segue_sample_format_name(i.source_format)) or "none",
                      bits_per_sample=i.bits_per_sample, frames=i.frames, bitrate=i.bitrate,
                      seekable=bool(i.seekable), rate_control=_s(i.rate_control))


def _tags(meta: int) -> Dict[str, List[str]]:
    tags: Dict[str, List[str]] = {}
    if not meta:
        return tags
    k, v = ctypes.c_char_p(), ctypes.c_char_p()
    for i in range(L.segue_metadata_field_count(meta)):
        if L.segue_metadata_field_at(meta, i, ctypes.byref(k), ctypes.byref(v)) == 0:
            tags.setdefault(_s(k.value) or "", []).append(_s(v.value) or "")
    return tags


def _pictures(meta: int, with_data: bool = True) -> List[Picture]:
    out = []
    if not meta:
        return out
    p = _lib.Picture()
    for i in range(L.segue_metadata_picture_count(meta)):
        if L.segue_metadata_picture_at(meta, i, ctypes.byref(p)) == 0:
            data = ctypes.string_at(p.data, p.size) if (with_data and p.size) else b""
            out.append(Picture(p.type, _s(p.mime) or "", _s(p.description) or "", p.width,
                               p.height, data))
    return out


def _unmapped(meta: int) -> List[Dict[str, str]]:
    out = []
    if not meta:
        return out
    w, y = ctypes.c_char_p(), ctypes.c_char_p()
    for i in range(L.segue_metadata_unmapped_count(meta)):
        if L.segue_metadata_unmapped_at(meta, i, ctypes.byref(w), ctypes.byref(y)) == 0:
            out.append({"what": _s(w.value) or "", "why": _s(y.value) or ""})
    return out


# ---- profiles -----------------------------------------------------------------

class Profile:
    """A conversion profile: a built-in one (``Profile("psp-mp3")``) or one
    parsed from ``key = value`` text (``Profile.parse(text)``,
    ``Profile.from_file(path)``; docs/profiles.md lists the keys)."""

    def __init__(self, name: str):
        ptr = L.segue_profile_find(name.encode())
        if not ptr:
            known = ", ".join(p.name for p in profiles())
            raise KeyError(f"segue: no built-in profile '{name}' (built in: {known})")
        self._ptr = ptr
        self._owned = False
        self.text: Optional[str] = None

    @classmethod
    def _wrap(cls, ptr: int) -> "Profile":
        p = cls.__new__(cls)
        p._ptr, p._owned, p.text = ptr, False, None
        return p

    @classmethod
    def parse(cls, text: str) -> "Profile":
        """Parses profile text; raises InvalidArgumentError with "line N: why"."""
        raw = text.encode()
        out = ctypes.c_void_p()
        why = ctypes.create_string_buffer(256)
        st = L.segue_profile_parse(ctypes.byref(out), raw, len(raw), None, why, len(why))
        check(st, _s(why.value) or "", "profile")
        p = cls.__new__(cls)
        p._ptr, p._owned, p.text = out.value, True, text
        return p

    @classmethod
    def from_file(cls, path: PathLike) -> "Profile":
        with open(path, encoding="utf-8") as f:
            return cls.parse(f.read())

    def __del__(self) -> None:
        if getattr(self, "_owned", False) and self._ptr:
            L.segue_profile_destroy(self._ptr)
            self._ptr = None

    @property
    def name(self) -> str:
        return _s(L.segue_profile_name(self._ptr)) or ""

    @property
    def description(self) -> str:
        return _s(L.segue_profile_description(self._ptr)) or ""

    @property
    def extension(self) -> str:
        return _s(L.segue_profile_extension(self._ptr)) or ""

    @property
    def settings(self) -> Dict[str, str]:
        v = ctypes.c_char_p()
        out = {}
        for i in range(L.segue_profile_key_count(self._ptr)):
            k = L.segue_profile_key_at(self._ptr, i, ctypes.byref(v))
            if k:
                out[_s(k) or ""] = _s(v.value) or ""
        return out

    @property
    def digest(self) -> str:
        buf = ctypes.create_string_buffer(65)
        L.segue_profile_digest(self._ptr, buf)
        return buf.value.decode()

    def spec(self) -> Tuple[str, str]:
        """A picklable description to rebuild this profile in another process."""
        return ("text", self.text) if self.text is not None else ("name", self.name)

    @classmethod
    def from_spec(cls, spec: Tuple[str, str]) -> "Profile":
        kind, value = spec
        return cls.parse(value) if kind == "text" else cls(value)

    def as_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "extension": self.extension, "settings": self.settings}

    def __repr__(self) -> str:
        return f"<segue.Profile {self.name!r} .{self.extension}>"


def profiles() -> List[Profile]:
    """The built-in profiles, in the library's stable order."""
    return [Profile._wrap(L.segue_profile_at(i)) for i in range(L.segue_profile_count())]


def as_profile(p: Union[None, str, Profile]) -> Optional[Profile]:
    if p is None or isinstance(p, Profile):
        return p
    if isinstance(p, str):
        return Profile(p)
    raise TypeError("segue: profile must be a name or a segue.Profile")


# ---- decoding -------------------------------------------------------------------

class Decoder:
    """Pull decoder over a path, bytes or a binary file object.

    Iterating yields blocks of float32 samples: numpy arrays of shape
    (frames, channels) when numpy is installed, else ``array.array('f')``
    holding interleaved samples. Gapless trimming is on by default, so the
    blocks together are exactly ``segue decode``'s samples.

    Unseekable file objects (pipes) work; ``seek()`` then raises
    NotSeekableError. Use as a context manager or call ``close()``.
    """

    def __init__(self, source: SourceLike, *, block_frames: int = 4096, gapless: bool = True,
                 strict: bool = False, container: Optional[str] = None):
        if block_frames <= 0:
            raise ValueError("block_frames must be positive")
        self._src = Source(source)
        cfg = _lib.DecoderConfig()
        L.segue_decoder_config_default(ctypes.byref(cfg))
        cfg.gapless = 1 if gapless else 0
        cfg.strict = 1 if strict else 0
        self._container = container.encode() if container else None
        cfg.container = self._container
        h = ctypes.c_void_p()
        st = L.segue_decoder_open(ctypes.byref(h), ctypes.byref(self._src.io), ctypes.byref(cfg))
        self._h = h.value
        if st < 0:
            detail = _s(L.segue_decoder_last_error(self._h)) or ""
            L.segue_decoder_destroy(self._h)
            self._h = None
            self._src.raise_pending()
            raise error_for(st, detail, self._src.name)
        self.block_frames = block_frames
        self.info: StreamInfo = _info(L.segue_decoder_info(self._h))
        meta = L.segue_decoder_metadata(self._h)
        self.tags: Dict[str, List[str]] = _tags(meta)
        self.pictures: List[Picture] = _pictures(meta)
        g = _lib.Gapless()
        L.segue_metadata_get_gapless(meta, ctypes.byref(g))
        self.gapless = {"encoder_delay": g.encoder_delay, "padding": g.padding,
                        "total_frames": g.total_frames}
        lo = _lib.Loudness()
        L.segue_metadata_get_loudness(meta, ctypes.byref(lo))
        self.loudness = _loudness(lo)
        self._lock = threading.Lock()
        self._buf = None

    def _handle(self) -> int:
        if not self._h:
            raise ValueError("segue: the decoder is closed")
        return self._h

    def read(self, frames: Optional[int] = None):
        """Reads up to ``frames`` (default ``block_frames``) frames; returns
        an empty block at the end of the stream."""
        n = frames or self.block_frames
        ch = self.info.channels
        got = ctypes.c_size_t(0)
        with self._lock:
            h = self._handle()
            if _np is not None:
                block = _np.empty((n, ch), dtype=_np.float32)
                ptr = block.ctypes.data
            else:
                if self._buf is None or len(self._buf) < n * ch:
                    self._buf = (ctypes.c_float * (n * ch))()
                ptr = ctypes.addressof(self._buf)
            st = L.segue_decoder_read_f32(h, ptr, n, ctypes.byref(got))
            if st < 0:
                self._src.raise_pending()
                raise error_for(st, _s(L.segue_decoder_last_error(h)) or "", self._src.name)
            k = got.value
            if _np is not None:
                return block[:k]
            # Copied while the lock is held: self._buf is shared by the
            # handle's calls and another thread's read may replace it.
            out = array.array("f")
            out.frombytes(ctypes.string_at(ptr, k * ch * 4))
            return out

    def __iter__(self) -> Iterator[Any]:
        while True:
            block = self.read()
            if len(block) == 0:
                return
            yield block

    def read_all(self):
        """The rest of the stream in one block."""
        blocks = list(self)
        if _np is not None:
            if not blocks:
                return _np.empty((0, self.info.channels), dtype=_np.float32)
            return _np.concatenate(blocks)
        out = array.array("f")
        for b in blocks:
            out.extend(b)
        return out

    def seek(self, frame: int) -> None:
        """Moves so that the next read starts at output frame ``frame``."""
        with self._lock:
            h = self._handle()
            st = L.segue_decoder_seek(h, int(frame))
            if st < 0:
                self._src.raise_pending()
                raise error_for(st, _s(L.segue_decoder_last_error(h)) or "", self._src.name)

    @property
    def concealed(self) -> Tuple[int, str]:
        """(count, last detail) of damaged packets concealed so far."""
        last = ctypes.c_char_p()
        with self._lock:
            n = L.segue_decoder_concealed(self._handle(), ctypes.byref(last))
            return n, _s(last.value) or ""

    def close(self) -> None:
        with self._lock:
            if self._h:
                L.segue_decoder_destroy(self._h)
                self._h = None

    def __enter__(self) -> "Decoder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_h", None):
            self.close()


def _loudness(lo: Any) -> Dict[str, float]:
    out = {}
    if lo.has_track_gain:
        out["track_gain_db"] = lo.track_gain_db
    if lo.has_track_peak:
        out["track_peak"] = lo.track_peak
    if lo.has_album_gain:
        out["album_gain_db"] = lo.album_gain_db
    if lo.has_album_peak:
        out["album_peak"] = lo.album_peak
    if lo.has_r128_track:
        out["r128_track_gain_db"] = lo.r128_track_gain_db
    if lo.has_r128_album:
        out["r128_album_gain_db"] = lo.r128_album_gain_db
    return out


def probe(source: SourceLike) -> Dict[str, Any]:
    """What the stream is: format, codec, rate, channels, length, bitrate,
    gapless values, loudness tags, tags and pictures (without their bytes:
    ``size`` instead). Raises DRMProtectedError, CorruptInputError,
    UnsupportedError, ... as opening a Decoder does."""
    with Decoder(source, block_frames=1) as d:
        i = d.info
        pics = [{"type": p.type, "mime": p.mime, "description": p.description,
                 "width": p.width, "height": p.height, "size": len(p.data)}
                for p in d.pictures]
        return {"container": i.container, "codec": i.codec, "sample_rate": i.sample_rate,
                "channels": i.channels, "channel_mask": i.channel_mask,
                "source_format": i.source_format, "bits_per_sample": i.bits_per_sample,
                "frames": i.frames, "duration": i.duration, "bitrate": i.bitrate,
                "seekable": i.seekable, "rate_control": i.rate_control,
                # Protected inputs never get here: they raise DRMProtectedError.
                "drm": "none", "gapless": d.gapless,
                "loudness": d.loudness, "tags": d.tags, "pictures": pics}


# ---- encoding -------------------------------------------------------------------

def _make_metadata(tags: Optional[Mapping[str, Union[str, Sequence[str]]]],
                   pictures: Optional[Sequence[Picture]]) -> Optional[int]:
    if not tags and not pictures:
        return None
    m = ctypes.c_void_p()
    check(L.segue_metadata_create(ctypes.byref(m), None))
    try:
        for key, values in (tags or {}).items():
            if isinstance(values, str):
                values = [values]
            for v in values:
                check(L.segue_metadata_add(m.value, key.encode(), str(v).encode()), key)
        for pic in pictures or ():
            data = ctypes.create_string_buffer(pic.data, len(pic.data))
            p = _lib.Picture(pic.type, pic.mime.encode(), pic.description.encode(), pic.width,
                             pic.height, ctypes.cast(data, ctypes.c_void_p), len(pic.data))
            check(L.segue_metadata_add_picture(m.value, ctypes.byref(p)), "picture")
    except BaseException:
        L.segue_metadata_destroy(m.value)
        raise
    return m.value


_temp_counter = itertools.count(1)


def _temp_beside(path: str) -> str:
    d, base = os.path.split(path)
    return os.path.join(d, f".{base[:160]}.segue-part-{os.getpid()}-{next(_temp_counter)}")


_RATE_CONTROL = {None: 0, "default": 0, "cbr": 1, "abr": 2, "vbr": 3}


class Encoder:
    """Push encoder into a path or a binary file object.

    ``write()`` takes float32 frames: a numpy array of shape (frames,
    channels) (or (frames,) for mono), or any buffer/sequence of
    interleaved floats. ``finish()`` completes the stream. A path output is
    written to a temp file beside it and renamed into place by finish();
    closing an unfinished encoder removes it, so no partial file remains.
    """

    def __init__(self, sink: Union[PathLike, Any], *, sample_rate: int, channels: int,
                 container: str = "wav", codec: Optional[str] = None,
                 sample_format: Optional[str] = None, bitrate: Optional[int] = None,
                 quality: Optional[float] = None, compression_level: Optional[int] = None,
                 rate_control: Optional[str] = None, total_frames: Optional[int] = None,
                 tags: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
                 pictures: Optional[Sequence[Picture]] = None):
        self.channels = int(channels)
        cfg = _lib.EncoderConfig()
        L.segue_encoder_config_default(ctypes.byref(cfg))
        self._strings = [container.encode(), codec.encode() if codec else None]
        cfg.container, cfg.codec = self._strings
        cfg.sample_rate = int(sample_rate)
        cfg.channels = self.channels
        if sample_format:
            fmt = L.segue_sample_format_parse(sample_format.encode())
            if fmt == 0:
                raise ValueError(f"segue: unknown sample format '{sample_format}'")
            cfg.sample_format = fmt
        if bitrate is not None:
            cfg.bitrate = int(bitrate)
        if quality is not None:
            cfg.quality = float(quality)
        if compression_level is not None:
            cfg.compression_level = int(compression_level)
        if rate_control not in _RATE_CONTROL:
            raise ValueError("rate_control must be 'cbr', 'abr', 'vbr' or None")
        cfg.rate_control = _RATE_CONTROL[rate_control]
        if total_frames is not None:
            cfg.total_frames = int(total_frames)
        meta = _make_metadata(tags, pictures)
        cfg.metadata = meta
        self._path: Optional[str] = None
        self._temp: Optional[str] = None
        self._sink: Optional[Sink] = None
        io = _lib.SegueIO()
        if isinstance(sink, (str, os.PathLike)):
            self._path = os.fsdecode(sink)
            self._temp = _temp_beside(self._path)
            try:
                check(L.segue_io_to_path(ctypes.byref(io), os.fsencode(self._temp)), self._temp)
            except BaseException:
                if meta:
                    L.segue_metadata_destroy(meta)
                raise
        else:
            self._sink = Sink(sink)
            io = self._sink.io
        h = ctypes.c_void_p()
        st = L.segue_encoder_open(ctypes.byref(h), ctypes.byref(io), ctypes.byref(cfg))
        if meta:
            L.segue_metadata_destroy(meta)  # the encoder copied it
        self._h = h.value
        self.finished = False
        if st < 0:
            detail = _s(L.segue_encoder_last_error(self._h)) or ""
            self._discard()
            raise error_for(st, detail, "encoder")
        self._lock = threading.Lock()

    def _raise(self, st: int) -> None:
        detail = _s(L.segue_encoder_last_error(self._h)) or ""
        if self._sink is not None:
            self._sink.raise_pending()
        raise error_for(st, detail, "encoder")

    def write(self, block: Any) -> None:
        """Encodes float32 frames (see the class doc for the accepted shapes)."""
        if _np is not None and isinstance(block, _np.ndarray):
            a = _np.ascontiguousarray(block, dtype=_np.float32)
            if a.ndim == 1 and self.channels != 1:
                raise ValueError("a 1-D block needs channels=1; give shape (frames, channels)")
            if a.ndim == 2 and a.shape[1] != self.channels:
                raise ValueError(f"block has {a.shape[1]} channels, encoder {self.channels}")
            frames = a.shape[0]
            ptr = a.ctypes.data
            keep = a
        else:
            if isinstance(block, array.array) and block.typecode == "f":
                keep = block
            else:
                keep = array.array("f", block)
            if len(keep) % self.channels:
                raise ValueError("interleaved sample count is not a multiple of channels")
            frames = len(keep) // self.channels
            ptr, _ = keep.buffer_info()
        if frames == 0:
            return
        with self._lock:
            if not self._h or self.finished:
                raise ValueError("segue: the encoder is finished or closed")
            st = L.segue_encoder_write_f32(self._h, ptr, frames)
            if st < 0:
                self._raise(st)
        del keep

    @property
    def frames_written(self) -> int:
        return L.segue_encoder_frames_written(self._h) if self._h else 0

    def finish(self) -> List[Dict[str, str]]:
        """Completes the stream; returns the tags the format could not carry
        as ``[{"what": ..., "why": ...}]``."""
        with self._lock:
            if not self._h or self.finished:
                raise ValueError("segue: the encoder is finished or closed")
            st = L.segue_encoder_finish(self._h)
            if st < 0:
                self._raise(st)
            unmapped = _unmapped(L.segue_encoder_unmapped(self._h))
            self.finished = True
            L.segue_encoder_destroy(self._h)  # closes (flushes) the sink
            self._h = None
        if self._sink is not None:
            self._sink.raise_pending()
        if self._temp:
            os.replace(self._temp, self._path)
            self._temp = None
        return unmapped

    def _discard(self) -> None:
        # Never while another thread is inside a write; an __init__ that
        # failed before the lock existed shared the handle with no one.
        lock = getattr(self, "_lock", None) or contextlib.nullcontext()
        with lock:
            if getattr(self, "_h", None):
                L.segue_encoder_destroy(self._h)
                self._h = None
        if getattr(self, "_temp", None):
            try:
                os.unlink(self._temp)
            except FileNotFoundError:
                pass
            self._temp = None

    def close(self) -> None:
        """Releases the encoder; an unfinished path output is removed."""
        if not self.finished:
            self._discard()

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None and not self.finished and self._h:
            self.finish()
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


# ---- convert --------------------------------------------------------------------

# The output formats of `segue convert`: --codec names and extensions.
_FORMATS = [
    ("wav", ("wav", "wave"), "wav", None),
    ("raw", ("raw", "pcm"), "raw", None),
    ("flac", ("flac",), "flac", None),
    ("vorbis", ("ogg", "oga"), "ogg", "vorbis"),
    ("opus", ("opus",), "ogg", "opus"),
    ("mp3", ("mp3",), "mp3", "mp3"),
    ("aac", ("m4a", "aac", "mp4"), "m4a", "aac"),
]


def _format_for(codec: Optional[str], path: Optional[str]) -> Optional[Tuple[str, Optional[str]]]:
    if codec:
        for name, _exts, container, c in _FORMATS:
            if name == codec.lower():
                return container, c
        raise ValueError(f"segue: unknown codec '{codec}'")
    if path:
        ext = os.path.splitext(path)[1][1:].lower()
        for _name, exts, container, c in _FORMATS:
            if ext in exts:
                return container, c
    return None


@dataclass
class ConvertResult:
    """What convert() did.

    warnings: notes about the output (clipped samples, concealed damage).
    unmapped: tags the output could not carry, ``[{"what", "why"}]``.
    """
    input: StreamInfo
    codec: str
    container: str
    input_frames: int
    output_frames: int
    warnings: List[str]
    unmapped: List[Dict[str, str]]
    peak: float
    clipped_samples: int
    loudness: Optional[Dict[str, float]]
    seconds: float


def _frames(seconds: Optional[float], rate: int) -> Optional[int]:
    if seconds is None:
        return None
    return int(math.floor(float(seconds) * rate + 0.5))


def convert(src: SourceLike, dst: Union[PathLike, Any], profile: Union[None, str, Profile] = None,
            *, codec: Optional[str] = None, bitrate: Optional[int] = None,
            quality: Optional[float] = None, compression_level: Optional[int] = None,
            rate: Optional[int] = None, channels: Optional[int] = None,
            sample_format: Optional[str] = None, normalize: Optional[str] = None,
            apply_gain: bool = False, gain_db: Optional[float] = None,
            start: Optional[float] = None, duration: Optional[float] = None,
            fade: Optional[float] = None, fade_in: Optional[float] = None,
            fade_out: Optional[float] = None, dither: Optional[str] = None,
            resample_quality: Optional[str] = None, strict: bool = False,
            progress: Optional[Any] = None) -> ConvertResult:
    """Converts ``src`` into ``dst`` through segue_transcoder.

    src: a path, bytes, or a binary file object (pipes included).
    dst: a path (written to a temp file beside it and renamed into place
        when complete; nothing is left on failure) or a binary file object.
    profile: a built-in profile name or a Profile; its settings come first
        and the options below override them, as in ``segue convert``.
    Options (all optional): codec ("mp3", "flac", "vorbis", "opus", "wav",
    "raw"; default from dst's extension, else the profile), bitrate in
    kbit/s, quality (VBR), compression_level (FLAC), rate (Hz), channels,
    sample_format ("s16", "s24", "f32" ...), normalize ("off", "r128",
    "replaygain"), apply_gain, gain_db, start and duration in seconds,
    fade / fade_in / fade_out in milliseconds, dither ("auto", "none",
    "tpdf", "shaped"), resample_quality ("quick" ... "very-high"), strict
    (refuse damaged input instead of concealing it), progress(done_frames,
    total_frames) -> truthy to cancel.

    Returns a ConvertResult; raises a SegueError subclass on failure.
    """
    started = time.perf_counter()
    prof = as_profile(profile)
    dst_path = os.fsdecode(dst) if isinstance(dst, (str, os.PathLike)) else None
    fmt = _format_for(codec, dst_path)
    if fmt is None and prof is None:
        raise ValueError("segue: say which output format: codec=..., a profile, or a dst "
                         "path with a known extension")
    if fmt is not None and fmt[0] not in encoder_containers():
        raise error_for(-6, f"no muxer named '{fmt[0]}' in this build", "convert")
    dec = Decoder(src, strict=strict)
    info = dec.info
    cfg = _lib.TranscodeConfig()
    L.segue_transcode_config_default(ctypes.byref(cfg))
    cfg.decoder.strict = 1 if strict else 0
    if prof is not None:
        st = L.segue_profile_apply(prof._ptr, info.sample_rate, ctypes.byref(cfg))
        if st < 0:
            dec.close()
            raise error_for(st, f"profile '{prof.name}' cannot be applied", "convert")
    keep: List[Any] = []
    e = cfg.encoder
    if fmt is not None:
        keep.extend(b.encode() if b else None for b in fmt)
        e.container, e.codec = keep[-2], keep[-1]
    if sample_format:
        f = L.segue_sample_format_parse(sample_format.encode())
        if f == 0:
            dec.close()
            raise ValueError(f"segue: unknown sample format '{sample_format}'")
        e.sample_format = f
    if bitrate is not None:
        e.bitrate = int(bitrate * 1000)
    if quality is not None:
        e.quality = float(quality)
    if compression_level is not None:
        e.compression_level = int(compression_level)
    if rate is not None:
        e.sample_rate = int(rate)
    if channels is not None:
        e.channels = int(channels)
    sr = info.sample_rate
    if start is not None:
        cfg.start_frame = _frames(start, sr)
    if duration is not None:
        cfg.duration_frames = _frames(duration, sr)
    if fade is not None:
        fade_in = fade_out = fade
    if fade_in is not None:
        cfg.fade_in_frames = _frames(fade_in / 1000.0, sr)
    if fade_out is not None:
        cfg.fade_out_frames = _frames(fade_out / 1000.0, sr)
    if gain_db is not None:
        cfg.gain_db = float(gain_db)
    for name, value, parser, fieldname in (
            ("normalize", normalize, L.segue_normalize_mode_parse, "normalize"),
            ("dither", dither, L.segue_dither_mode_parse, "dither"),
            ("resample_quality", resample_quality, L.segue_resample_quality_parse,
             "resample_quality")):
        if value is not None:
            v = parser(value.encode())
            if v < 0:
                dec.close()
                raise ValueError(f"segue: unknown {name} '{value}'")
            setattr(cfg, fieldname, v)
    if apply_gain:
        cfg.apply_gain = 1
    # As `segue convert`: FLAC keeps 16-bit sources 16-bit, else 24.
    if e.sample_format == 0 and e.container == b"flac":
        bits = info.bits_per_sample
        e.sample_format = 2 if (0 < bits <= 16 and info.source_format != "f32") else 3
    if not e.id3v2_version:
        e.id3v2_version = 3
    container = _s(e.container) or "wav"
    out_codec = _s(e.codec) or container

    temp = None
    sink: Optional[Sink] = None
    io = _lib.SegueIO()
    try:
        if dst_path is not None:
            temp = _temp_beside(dst_path)
            check(L.segue_io_to_path(ctypes.byref(io), os.fsencode(temp)), temp)
        else:
            sink = Sink(dst)
            io = sink.io
    except BaseException:
        dec.close()
        raise
    # The transcoder takes the decoder (and its io) over.
    dh, dec._h = dec._h, None
    t = ctypes.c_void_p()
    st = L.segue_transcoder_open_decoder(ctypes.byref(t), dh, ctypes.byref(io), ctypes.byref(cfg))
    cb_error: List[BaseException] = []

    def _progress(_user, done, total):
        try:
            return 1 if progress(done, total) else 0
        except BaseException as exc:  # noqa: BLE001
            cb_error.append(exc)
            return 1

    cb = _lib.TRANSCODE_PROGRESS_FN(_progress) if progress else _lib.TRANSCODE_PROGRESS_FN()
    if st >= 0:
        st = L.segue_transcoder_run(t.value, cb, None)
    stats = _lib.TranscodeStats()
    L.segue_transcoder_stats(t.value, ctypes.byref(stats))
    detail = _s(L.segue_transcoder_last_error(t.value)) or ""
    unmapped = _unmapped(L.segue_transcoder_unmapped(t.value)) if st >= 0 else []
    warnings = []
    if stats.clipped_samples:
        warnings.append(f"{stats.clipped_samples} samples clipped")
    if stats.concealed_packets:
        warnings.append(f"{stats.concealed_packets} damaged packets concealed (last: "
                        f"{_s(stats.concealed_last) or ''})")
    loud = None
    if stats.has_loudness:
        loud = {"integrated_lufs": stats.integrated_lufs,
                "loudness_range_lu": stats.loudness_range_lu, "true_peak": stats.true_peak,
                "applied_gain_db": stats.applied_gain_db}
    L.segue_transcoder_destroy(t.value)  # closes both io (flushes the sink)
    try:
        for exc in cb_error:
            raise exc
        dec._src.raise_pending()
        if sink is not None:
            sink.raise_pending()
        if st < 0:
            raise error_for(st, detail, dec._src.name)
        if temp is not None:
            os.replace(temp, dst_path)
            temp = None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
    return ConvertResult(input=info, codec=out_codec, container=container,
                         input_frames=stats.input_frames, output_frames=stats.output_frames,
                         warnings=warnings, unmapped=unmapped, peak=stats.peak,
                         clipped_samples=stats.clipped_samples, loudness=loud,
                         seconds=time.perf_counter() - started)
