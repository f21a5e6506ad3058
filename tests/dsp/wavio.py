"""Minimal WAV reading and writing for the DSP acceptance tests (numpy).

Writes 24-bit integer and 32-bit float PCM; reads any PCM or float WAV
(WAVE_FORMAT_EXTENSIBLE too) into float64 arrays scaled to [-1, 1).
"""
import struct

import numpy as np


def write_wav(path, samples, rate, fmt="f32"):
    """samples: float array, shape (frames,) or (frames, channels)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    channels = x.shape[1]
    if fmt == "f32":
        tag, bits = 3, 32
        data = x.astype("<f4").tobytes()
    elif fmt == "s24":
        tag, bits = 1, 24
        codes = np.clip(np.round(x * 8388608.0), -8388608, 8388607).astype("<i4")
        data = codes.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raise ValueError(fmt)
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt_chunk) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk)
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def read_wav(path):
    """Returns (float64 array of shape (frames, channels), rate)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(raw):
        cid = raw[pos:pos + 4]
        size = struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE:  # extensible: the sub-format GUID starts with the tag
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag == 3 and bits == 32:
        x = np.frombuffer(data, dtype="<f4").astype(np.float64)
    elif tag == 1 and bits == 16:
        x = np.frombuffer(data, dtype="<i2") / 32768.0
    elif tag == 1 and bits == 24:
        b = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v) / 8388608.0
    else:
        raise ValueError(f"{path}: format tag {tag}, {bits} bits not handled")
    return x.reshape(-1, channels), rate
