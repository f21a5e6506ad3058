#!/usr/bin/env python3
"""Writes the seed corpus of the demuxer fuzz target.

    /usr/bin/python3 tools/make_fuzz_seeds.py [OUT_DIR]

OUT_DIR defaults to tests/fuzz/corpus/demux next to this script's checkout.
The files are small (< 4 KiB), valid or deliberately unsupported WAV/RF64/
BW64 and AIFF/AIFF-C inputs with tags, built with the struct module only, so
the output is byte-for-byte the same on every machine and Python 3 version.
A fuzzer mutates from these; they are not test expectations.
"""
import os
import struct
import sys


def ramp(frames, channels, bytes_per_sample, signed=True, big=False, fmt=None):
    """A deterministic triangle wave as packed samples (no floating point
    libm calls, so every platform writes the same bytes)."""
    out = bytearray()
    top = (1 << (8 * bytes_per_sample - 1)) - 1
    for i in range(frames):
        for c in range(channels):
            phase = (i * (c + 1) * 7) % 64
            level = phase if phase < 32 else 64 - phase  # 0..32
            value = (level - 16) * top // 16
            if fmt == 'f':
                out += struct.pack('>f' if big else '<f', value / (top + 1))
            elif fmt == 'd':
                out += struct.pack('>d' if big else '<d', value / (top + 1))
            else:
                if not signed:
                    value += top + 1
                raw = value.to_bytes(bytes_per_sample, 'big' if big else 'little', signed=signed)
                out += raw
    return bytes(out)


# ---- RIFF ---------------------------------------------------------------------

def chunk(cid, body):
    """A RIFF chunk: id, little-endian size, body, pad byte if odd."""
    data = cid + struct.pack('<I', len(body)) + body
    return data + (b'\0' if len(body) & 1 else b'')


def fmt_pcm(tag, channels, rate, bits):
    block = channels * ((bits + 7) // 8)
    body = struct.pack('<HHIIHH', tag, channels, rate, rate * block, block, bits)
    if tag == 3:
        body += struct.pack('<H', 0)
    return chunk(b'fmt ', body)


KS_TAIL = bytes([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])


def fmt_ext(subtag, channels, rate, bits, valid, mask):
    block = channels * (bits // 8)
    body = struct.pack('<HHIIHHHHI', 0xFFFE, channels, rate, rate * block, block, bits, 22, valid, mask)
    body += struct.pack('<HH', subtag, 0) + KS_TAIL
    return chunk(b'fmt ', body)


def info(pairs):
    body = b'INFO'
    for cid, text in pairs:
        body += chunk(cid, text.encode('utf-8') + b'\0')
    return chunk(b'LIST', body)


def riff(chunks, form=b'RIFF'):
    body = b'WAVE' + b''.join(chunks)
    size = 0xFFFFFFFF if form != b'RIFF' else len(body)
    return form + struct.pack('<I', size) + body


# ---- ID3v2 ---------------------------------------------------------------------

def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3(major, frames):
    body = b''
    for fid, payload in frames:
        size = syncsafe(len(payload)) if major == 4 else struct.pack('>I', len(payload))
        body += fid + size + b'\0\0' + payload
    body += b'\0' * 8  # padding
    return b'ID3' + bytes([major, 0, 0]) + syncsafe(len(body)) + body


TINY_PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b'\0\0\0\rIHDR' + b'\0' * 17

ID3_V23 = id3(3, [
    (b'TIT2', b'\x00Seed title'),
    (b'TPE1', b'\x01\xff\xfeA\x00r\x00t\x00'),
    (b'TRCK', b'\x003/12'),
    (b'TCON', b'\x00(17)'),
    (b'COMM', b'\x00eng\x00A comment'),
    (b'TXXX', b'\x00REPLAYGAIN_TRACK_GAIN\x00-3.20 dB'),
    (b'APIC', b'\x00image/png\x00\x03cover\x00' + TINY_PNG),
])

ID3_V24 = id3(4, [
    (b'TIT2', b'\x03Seed v2.4'),
    (b'TPE1', b'\x03One\x00Two'),
    (b'TDRC', b'\x032024'),
    (b'TCON', b'\x0317\x00Synth'),
])


# ---- AIFF ----------------------------------------------------------------------

def ext80(hz):
    """An integer rate as an IEEE 754 80-bit extended number."""
    e = hz.bit_length() - 1
    return struct.pack('>HQ', 16383 + e, hz << (63 - e))


def achunk(cid, body):
    data = cid + struct.pack('>I', len(body)) + body
    return data + (b'\0' if len(body) & 1 else b'')


def comm(channels, frames, bits, rate, codec=None):
    body = struct.pack('>hIh', channels, frames, bits) + ext80(rate)
    if codec is not None:
        body += codec + bytes([len(b'seed')]) + b'seed' + b'\0'  # pstring padded to even
    return achunk(b'COMM', body)


def ssnd(samples):
    return achunk(b'SSND', struct.pack('>II', 0, 0) + samples)


def form(kind, chunks):
    body = kind + b''.join(chunks)
    return b'FORM' + struct.pack('>I', len(body)) + body


# ---- the seeds -----------------------------------------------------------------

def seeds():
    tags = [(b'INAM', 'Seed'), (b'IART', 'Artist'), (b'ICMT', 'Comment'), (b'ITRK', '1'),
            (b'IENG', 'Engineer')]
    yield 'wav_u8_mono.wav', riff([fmt_pcm(1, 1, 8000, 8), chunk(b'data', ramp(101, 1, 1, signed=False))])
    yield 'wav_s16_stereo_info.wav', riff([fmt_pcm(1, 2, 44100, 16), info(tags),
                                            chunk(b'data', ramp(64, 2, 2))])
    yield 'wav_s24.wav', riff([fmt_pcm(1, 2, 48000, 24), chunk(b'data', ramp(48, 2, 3))])
    yield 'wav_s32.wav', riff([fmt_pcm(1, 1, 96000, 32), chunk(b'data', ramp(64, 1, 4))])
    yield 'wav_f32.wav', riff([fmt_pcm(3, 2, 44100, 32), chunk(b'fact', struct.pack('<I', 40)),
                               chunk(b'data', ramp(40, 2, 4, fmt='f'))])
    yield 'wav_f64.wav', riff([fmt_pcm(3, 1, 44100, 64), chunk(b'fact', struct.pack('<I', 32)),
                               chunk(b'data', ramp(32, 1, 8, fmt='d'))])
    yield 'wav_ext_6ch_20bit.wav', riff([fmt_ext(1, 6, 48000, 24, 20, 0x3F),
                                         chunk(b'data', ramp(20, 6, 3))])
    yield 'wav_ext_float.wav', riff([fmt_ext(3, 2, 48000, 32, 32, 0x3),
                                     chunk(b'data', ramp(30, 2, 4, fmt='f'))])
    data = ramp(50, 2, 2)
    ds64 = chunk(b'ds64', struct.pack('<QQQI', 0, len(data), 50, 0))
    yield 'rf64_s16_tags.wav', riff([ds64, fmt_pcm(1, 2, 44100, 16), info(tags),
                                     b'data' + struct.pack('<I', 0xFFFFFFFF) + data,
                                     chunk(b'id3 ', ID3_V23)], form=b'RF64')
    yield 'bw64_s24.wav', riff([chunk(b'ds64', struct.pack('<QQQI', 0, 60, 20, 0)),
                                fmt_pcm(1, 1, 48000, 24),
                                b'data' + struct.pack('<I', 0xFFFFFFFF) + ramp(20, 1, 3)], form=b'BW64')
    yield 'wav_junk_id3_after_data.wav', riff([chunk(b'JUNK', b'\0' * 28), fmt_pcm(1, 1, 22050, 16),
                                               chunk(b'data', ramp(33, 1, 2)), chunk(b'id3 ', ID3_V23)])
    pipe = riff([fmt_pcm(1, 2, 8000, 16), b'data' + struct.pack('<I', 0xFFFFFFFF) + ramp(25, 2, 2)])
    yield 'wav_pipe_markers.wav', pipe[:4] + struct.pack('<I', 0xFFFFFFFF) + pipe[8:]
    # MPEG Layer III in WAV: the "not supported yet" path.
    yield 'wav_mp3_tag.wav', riff([chunk(b'fmt ', struct.pack('<HHIIHH', 0x55, 2, 44100, 16000, 1, 0)),
                                   chunk(b'data', b'\xff\xfb\x90\x00' * 8)])

    yield 'aiff_s16_text.aiff', form(b'AIFF', [achunk(b'NAME', b'Seed'), achunk(b'AUTH', b'Author'),
                                              achunk(b'ANNO', b'Note'), achunk(b'(c) ', b'2024'),
                                              comm(2, 40, 16, 44100), ssnd(ramp(40, 2, 2, big=True))])
    yield 'aiff_s8.aiff', form(b'AIFF', [comm(1, 64, 8, 8000), ssnd(ramp(64, 1, 1, big=True))])
    yield 'aiff_12bit.aiff', form(b'AIFF', [comm(1, 32, 12, 22050), ssnd(ramp(32, 1, 2, big=True))])
    fver = achunk(b'FVER', struct.pack('>I', 0xA2805140))
    yield 'aifc_twos.aifc', form(b'AIFC', [fver, comm(2, 30, 16, 48000, b'twos'),
                                          ssnd(ramp(30, 2, 2, big=True))])
    yield 'aifc_sowt.aifc', form(b'AIFC', [fver, comm(2, 30, 16, 44100, b'sowt'),
                                          ssnd(ramp(30, 2, 2))])
    yield 'aifc_fl32_id3.aifc', form(b'AIFC', [fver, comm(1, 40, 32, 44100, b'fl32'),
                                              ssnd(ramp(40, 1, 4, fmt='f', big=True)),
                                              achunk(b'ID3 ', ID3_V24)])
    yield 'aifc_ima4.aifc', form(b'AIFC', [fver, comm(1, 64, 16, 22050, b'ima4'),
                                          ssnd(b'\x12\x34' * 17)])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'tests', 'fuzz', 'corpus', 'demux')
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        assert len(data) < 4096, name
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
        print('%-32s %5d bytes' % (name, len(data)))


if __name__ == '__main__':
    main()
