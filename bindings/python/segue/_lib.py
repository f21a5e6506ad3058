"""Loading libsegue and declaring its public C API for ctypes.

Only the installed headers (``include/segue/*.h``) are mirrored here; every
structure that carries ``struct_size`` is checked against the library's own
``_default()`` initialiser when the library is loaded, so a layout mismatch
is an ImportError rather than memory corruption.

The library is looked up, in order, from:

1. the ``SEGUE_LIBRARY`` environment variable (a path to ``libsegue.so``);
2. a copy shipped inside this package (``segue/libsegue.so*``);
3. the system loader (``ctypes.util.find_library("segue")``, then
   ``libsegue.so.0``).

ctypes releases the GIL around every foreign call made through a
``ctypes.CDLL``; callbacks into Python (file-object IO, batch progress)
take it back for as long as they run.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int,
                    c_int64, c_long, c_size_t, c_uint, c_uint32, c_uint64, c_void_p)

__all__ = ["lib", "library_path"]


def _candidates() -> list[str]:
    found: list[str] = []
    env = os.environ.get("SEGUE_LIBRARY")
    if env:
        found.append(env)
    here = os.path.dirname(os.path.abspath(__file__))
    found.extend(sorted(glob.glob(os.path.join(here, "libsegue.so*"))))
    name = ctypes.util.find_library("segue")
    if name:
        found.append(name)
    found.append("libsegue.so.0")
    return found


def _load() -> tuple[ctypes.CDLL, str]:
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            errors.append(f"{path}: {exc}")
            if path == os.environ.get("SEGUE_LIBRARY"):
                # An explicit choice that fails must not silently fall back
                # to another copy of the library.
                break
    raise ImportError("segue: cannot load libsegue (set SEGUE_LIBRARY to the built "
                      "libsegue.so): " + "; ".join(errors))


lib, library_path = _load()

# ---- structures (include/segue/*.h) -----------------------------------------

READ_FN = CFUNCTYPE(c_long, c_void_p, c_void_p, c_size_t)
WRITE_FN = CFUNCTYPE(c_long, c_void_p, c_void_p, c_size_t)
SEEK_FN = CFUNCTYPE(c_int, c_void_p, c_int64, c_int)
TELL_FN = CFUNCTYPE(c_int64, c_void_p)
CLOSE_FN = CFUNCTYPE(c_int, c_void_p)


class SegueIO(Structure):
    _fields_ = [("read", READ_FN), ("write", WRITE_FN), ("seek", SEEK_FN),
                ("tell", TELL_FN), ("close", CLOSE_FN), ("user", c_void_p)]


class DecoderConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("allocator", c_void_p), ("container", c_char_p),
                ("gapless", c_int), ("strict", c_int), ("max_metadata_bytes", c_uint32)]


class StreamInfo(Structure):
    _fields_ = [("container", c_char_p), ("codec", c_char_p), ("sample_rate", c_uint32),
                ("channels", c_uint32), ("channel_mask", c_uint32), ("source_format", c_int),
                ("bits_per_sample", c_uint32), ("frames", c_int64), ("bitrate", c_uint32),
                ("seekable", c_int), ("big_endian", c_int), ("rate_control", c_char_p)]


class EncoderConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("allocator", c_void_p), ("container", c_char_p),
                ("codec", c_char_p), ("sample_rate", c_uint32), ("channels", c_uint32),
                ("channel_mask", c_uint32), ("sample_format", c_int), ("total_frames", c_int64),
                ("rf64", c_int), ("metadata", c_void_p), ("rate_control", c_int),
                ("bitrate", c_uint32), ("quality", c_float), ("compression_level", c_int),
                ("stereo_mode", c_int), ("id3v2_version", c_int), ("late_loudness", c_int),
                ("length_hint", c_int64)]


class TranscodeConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("allocator", c_void_p), ("decoder", DecoderConfig),
                ("encoder", EncoderConfig), ("chunk_frames", c_size_t),
                ("resample_quality", c_int), ("start_frame", c_int64),
                ("duration_frames", c_int64), ("fade_in_frames", c_int64),
                ("fade_out_frames", c_int64), ("gain_db", c_double), ("limiter", c_int),
                ("limiter_ceiling_dbtp", c_double), ("dither", c_int),
                ("dither_seed", c_uint32), ("normalize", c_int), ("apply_gain", c_int),
                ("picture_max_width", c_uint32), ("picture_max_height", c_uint32),
                ("picture_max_bytes", c_uint32), ("picture_jpeg_only", c_int)]


class TranscodeStats(Structure):
    _fields_ = [("input_frames", c_uint64), ("output_frames", c_uint64),
                ("clipped_samples", c_uint64), ("peak", c_double), ("has_loudness", c_int),
                ("integrated_lufs", c_double), ("loudness_range_lu", c_double),
                ("true_peak", c_double), ("applied_gain_db", c_double), ("passes", c_int),
                ("concealed_packets", c_uint64), ("concealed_last", c_char_p)]


class Picture(Structure):
    _fields_ = [("type", c_uint32), ("mime", c_char_p), ("description", c_char_p),
                ("width", c_uint32), ("height", c_uint32), ("data", c_void_p), ("size", c_size_t)]


class Gapless(Structure):
    _fields_ = [("encoder_delay", c_uint32), ("padding", c_uint32), ("total_frames", c_uint64)]


class Loudness(Structure):
    _fields_ = [("has_track_gain", c_int), ("has_track_peak", c_int), ("has_album_gain", c_int),
                ("has_album_peak", c_int), ("track_gain_db", c_double), ("track_peak", c_double),
                ("album_gain_db", c_double), ("album_peak", c_double),
                ("has_r128_track", c_int), ("has_r128_album", c_int),
                ("r128_track_gain_db", c_double), ("r128_album_gain_db", c_double)]


class BatchItem(Structure):
    _fields_ = [("input", c_char_p), ("output", c_char_p), ("status", c_int), ("error", c_char_p),
                ("warning_count", c_size_t), ("warnings", POINTER(c_char_p)),
                ("unmapped_count", c_size_t), ("unmapped_what", POINTER(c_char_p)),
                ("unmapped_why", POINTER(c_char_p)), ("input_seconds", c_double),
                ("output_seconds", c_double), ("input_bytes", c_uint64),
                ("output_bytes", c_uint64), ("codec", c_char_p), ("input_codec", c_char_p),
                ("wall_seconds", c_double)]


class BatchProgress(Structure):
    _fields_ = [("files_total", c_size_t), ("files_done", c_size_t), ("files_running", c_size_t),
                ("audio_seconds_done", c_double), ("elapsed_seconds", c_double)]


class BatchSummary(Structure):
    _fields_ = [("converted", c_size_t), ("up_to_date", c_size_t), ("ignored", c_size_t),
                ("failed", c_size_t), ("cancelled", c_size_t), ("deleted", c_size_t),
                ("would_convert", c_size_t), ("would_delete", c_size_t),
                ("audio_seconds", c_double), ("wall_seconds", c_double), ("stopped", c_int)]


ITEM_FN = CFUNCTYPE(None, c_void_p, POINTER(BatchItem))
PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, POINTER(BatchProgress))
WARNING_FN = CFUNCTYPE(None, c_void_p, c_char_p)
CANCEL_FN = CFUNCTYPE(c_int, c_void_p)
TRANSCODE_PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_int64)


class BatchConfig(Structure):
    _fields_ = [("struct_size", c_size_t), ("src_dir", c_char_p), ("dst_dir", c_char_p),
                ("profile", c_void_p), ("jobs", c_uint), ("dry_run", c_int),
                ("delete_orphans", c_int), ("on_item", ITEM_FN), ("on_progress", PROGRESS_FN),
                ("on_warning", WARNING_FN), ("user", c_void_p)]


class BatchEntry(Structure):
    _fields_ = [("input", c_char_p), ("output", c_char_p), ("ignored", c_char_p),
                ("error", c_char_p)]


class BatchFile(Structure):
    _fields_ = [("struct_size", c_size_t), ("src_path", c_char_p), ("input", c_char_p),
                ("dst_dir", c_char_p), ("output", c_char_p), ("profile", c_void_p),
                ("have_source_stat", c_int), ("source_size", c_uint64),
                ("source_mtime_ns", c_int64), ("cancel", CANCEL_FN), ("user", c_void_p)]


# ---- functions ----------------------------------------------------------------

_vp, _cp, _st = c_void_p, c_char_p, c_int
_PP = POINTER(c_void_p)


def declare(handle: ctypes.CDLL) -> ctypes.CDLL:
    """Sets restype and argtypes of every function used on `handle` (the
    library as loaded here, or another handle to it: the threads benchmark
    loads it a second time with ctypes.PyDLL, which keeps the GIL, as its
    peer)."""

    def _fn(name: str, restype, *argtypes) -> None:
        f = getattr(handle, name)
        f.restype = restype
        f.argtypes = list(argtypes)

    _fn("segue_version_string", _cp)
    _fn("segue_status_str", _cp, _st)
    _fn("segue_status_name", _cp, _st)
    _fn("segue_sample_format_name", _cp, c_int)
    _fn("segue_sample_format_parse", c_int, _cp)

    _fn("segue_io_from_path", _st, POINTER(SegueIO), _cp)
    _fn("segue_io_to_path", _st, POINTER(SegueIO), _cp)
    _fn("segue_io_from_memory", _st, POINTER(SegueIO), _vp, c_size_t)

    _fn("segue_decoder_config_default", None, POINTER(DecoderConfig))
    _fn("segue_decoder_open", _st, _PP, POINTER(SegueIO), POINTER(DecoderConfig))
    _fn("segue_decoder_destroy", None, _vp)
    _fn("segue_decoder_info", POINTER(StreamInfo), _vp)
    _fn("segue_decoder_metadata", _vp, _vp)
    _fn("segue_decoder_read_f32", _st, _vp, _vp, c_size_t, POINTER(c_size_t))
    _fn("segue_decoder_seek", _st, _vp, c_int64)
    _fn("segue_decoder_concealed", c_uint64, _vp, POINTER(c_char_p))
    _fn("segue_decoder_last_error", _cp, _vp)

    _fn("segue_encoder_config_default", None, POINTER(EncoderConfig))
    _fn("segue_encoder_open", _st, _PP, POINTER(SegueIO), POINTER(EncoderConfig))
    _fn("segue_encoder_destroy", None, _vp)
    _fn("segue_encoder_write_f32", _st, _vp, _vp, c_size_t)
    _fn("segue_encoder_finish", _st, _vp)
    _fn("segue_encoder_frames_written", c_uint64, _vp)
    _fn("segue_encoder_unmapped", _vp, _vp)
    _fn("segue_encoder_last_error", _cp, _vp)
    _fn("segue_encoder_containers", POINTER(c_char_p))

    _fn("segue_metadata_create", _st, _PP, _vp)
    _fn("segue_metadata_destroy", None, _vp)
    _fn("segue_metadata_add", _st, _vp, _cp, _cp)
    _fn("segue_metadata_field_count", c_size_t, _vp)
    _fn("segue_metadata_field_at", _st, _vp, c_size_t, POINTER(c_char_p), POINTER(c_char_p))
    _fn("segue_metadata_add_picture", _st, _vp, POINTER(Picture))
    _fn("segue_metadata_picture_count", c_size_t, _vp)
    _fn("segue_metadata_picture_at", _st, _vp, c_size_t, POINTER(Picture))
    _fn("segue_metadata_get_gapless", None, _vp, POINTER(Gapless))
    _fn("segue_metadata_get_loudness", None, _vp, POINTER(Loudness))
    _fn("segue_metadata_unmapped_count", c_size_t, _vp)
    _fn("segue_metadata_unmapped_at", _st, _vp, c_size_t, POINTER(c_char_p), POINTER(c_char_p))

    _fn("segue_transcode_config_default", None, POINTER(TranscodeConfig))
    _fn("segue_transcoder_open_decoder", _st, _PP, _vp, POINTER(SegueIO), POINTER(TranscodeConfig))
    _fn("segue_transcoder_destroy", None, _vp)
    _fn("segue_transcoder_run", _st, _vp, TRANSCODE_PROGRESS_FN, _vp)
    _fn("segue_transcoder_stats", None, _vp, POINTER(TranscodeStats))
    _fn("segue_transcoder_unmapped", _vp, _vp)
    _fn("segue_transcoder_last_error", _cp, _vp)
    _fn("segue_normalize_mode_parse", c_int, _cp)
    _fn("segue_dither_mode_parse", c_int, _cp)
    _fn("segue_resample_quality_parse", c_int, _cp)

    _fn("segue_profile_count", c_size_t)
    _fn("segue_profile_at", _vp, c_size_t)
    _fn("segue_profile_find", _vp, _cp)
    _fn("segue_profile_parse", _st, _PP, _cp, c_size_t, _vp, _cp, c_size_t)
    _fn("segue_profile_destroy", None, _vp)
    _fn("segue_profile_name", _cp, _vp)
    _fn("segue_profile_description", _cp, _vp)
    _fn("segue_profile_extension", _cp, _vp)
    _fn("segue_profile_key_count", c_size_t, _vp)
    _fn("segue_profile_key_at", _cp, _vp, c_size_t, POINTER(c_char_p))
    _fn("segue_profile_get", _cp, _vp, _cp)
    _fn("segue_profile_apply", _st, _vp, c_uint32, POINTER(TranscodeConfig))
    _fn("segue_profile_digest", None, _vp, _cp)

    _fn("segue_batch_status_name", _cp, c_int)
    _fn("segue_batch_config_default", None, POINTER(BatchConfig))
    _fn("segue_batch_run_tree", _st, POINTER(BatchConfig), POINTER(BatchSummary), _cp, c_size_t)
    _fn("segue_batch_plan_tree", _st, _PP, _cp, _cp, _vp, _cp, c_size_t)
    _fn("segue_batch_plan_list", _st, _PP, POINTER(c_char_p), c_size_t, _vp, _cp, c_size_t)
    _fn("segue_batch_plan_count", c_size_t, _vp)
    _fn("segue_batch_plan_at", _st, _vp, c_size_t, POINTER(BatchEntry))
    _fn("segue_batch_plan_destroy", None, _vp)
    _fn("segue_batch_file_default", None, POINTER(BatchFile))
    _fn("segue_batch_convert_file", _st, POINTER(BatchFile), _PP, _cp, c_size_t)
    _fn("segue_batch_result_item", POINTER(BatchItem), _vp)
    _fn("segue_batch_result_record", _cp, _vp)
    _fn("segue_batch_result_destroy", None, _vp)
    _fn("segue_batch_session_open", _st, _PP, _cp, _vp, WARNING_FN, _vp, _cp, c_size_t)
    _fn("segue_batch_session_check", _st, _vp, _cp, _cp, c_uint64, c_int64, POINTER(c_int),
        POINTER(c_uint64))
    _fn("segue_batch_session_record", _st, _vp, _cp, _cp, c_size_t)
    _fn("segue_batch_session_close", _st, _vp, POINTER(c_size_t), _cp, c_size_t)
    return handle


declare(lib)

def _check_layouts() -> None:
    """Every struct_size the library fills in must match ctypes' view."""
    checks = [
        (DecoderConfig, lib.segue_decoder_config_default),
        (EncoderConfig, lib.segue_encoder_config_default),
        (TranscodeConfig, lib.segue_transcode_config_default),
        (BatchConfig, lib.segue_batch_config_default),
        (BatchFile, lib.segue_batch_file_default),
    ]
    for cls, init in checks:
        v = cls()
        init(ctypes.byref(v))
        if v.struct_size != ctypes.sizeof(cls):
            raise ImportError(f"segue: {cls.__name__} is {v.struct_size} bytes in {library_path} "
                              f"but {ctypes.sizeof(cls)} here: library and bindings disagree")
    t = TranscodeConfig()
    lib.segue_transcode_config_default(ctypes.byref(t))
    if (t.decoder.struct_size != ctypes.sizeof(DecoderConfig)
            or t.encoder.struct_size != ctypes.sizeof(EncoderConfig)):
        raise ImportError("segue: nested config sizes disagree with the library")


_check_layouts()
