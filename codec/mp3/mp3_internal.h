/*
 * codec/mp3/mp3_internal.h - state and helpers shared by the MPEG audio
 * decoder's files (mp3_decoder.c, mp3_layer12.c, mp3_layer3.c).
 *
 * Memory: the whole decoder is this struct (priv_size); init allocates
 * nothing. The output buffer doubles as the work area of every layer: the
 * subband samples of Layers I/II and the spectrum of a Layer III granule
 * are written into it in the "hybrid" layout of simd/dsp.h
 * (x[slot * 32 * nch + ch * 32 + subband]), the IMDCT runs in place there
 * and the synthesis filterbank turns each slot into interleaved PCM in
 * place. So a stereo decoder needs the 9 KiB of output, 4.5 KiB of IMDCT
 * overlap, 4 KiB of synthesis history and the 511-byte bit reservoir,
 * about 18.4 KiB in all (tests/mp3dec prints the exact figure).
 */
#ifndef SEGUE_CODEC_MP3_INTERNAL_H
#define SEGUE_CODEC_MP3_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "codec/common/mpa_header.h"
#include "simd/dsp.h"

/* Keeps a function out of its caller, so a large local array is off the
 * stack again when the caller goes on (GCC and Clang; elsewhere a hint
 * the compiler may ignore, costing stack only). */
#if defined(__GNUC__)
#define MP3_NOINLINE __attribute__((noinline))
#else
#define MP3_NOINLINE
#endif

#define MP3_MAX_FRAME_SAMPLES 1152u
#define MP3_RESERVOIR_MAX 511u /* main_data_begin is 9 bits in MPEG-1, 8 in LSF */

/* Bit reader over up to two byte ranges read as one stream (the Layer III
 * bit reservoir's stored bytes, then the current frame's main data), with
 * a 64-bit cache. Reading past the end yields zero bits; nothing is ever
 * read outside the two ranges.
 *
 * The cache holds `avail` valid bits at its top. Below them it may hold
 * the leading bits of the byte at `p` (an 8-byte refill loads whole words
 * and keeps the whole bytes); a later refill ORs that same byte into the
 * same place, so those bits never need clearing. */
typedef struct mp3_bits {
    const uint8_t *p, *end;   /* current range */
    const uint8_t *p2, *end2; /* the next range, or NULL */
    uint64_t cache;           /* next bits, MSB first */
    unsigned avail;           /* valid bits in cache */
    size_t pulled;            /* bits moved into the cache (zeros past the end included) */
    size_t total;             /* bits in both ranges */
} mp3_bits;

void mp3_bits_init(mp3_bits *b, const uint8_t *d1, size_t n1, const uint8_t *d2, size_t n2);

static inline uint64_t mp3_load_be64(const uint8_t *p)
{
    /* Compilers turn this into one load and a byte swap. */
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

/* Tops the cache up to at least 56 valid bits. */
static inline void mp3_bits_refill(mp3_bits *b)
{
    if (b->p != b->end && b->end - b->p >= 8) {
        /* Fast path: one unaligned word, as many whole bytes as fit. */
        unsigned n = (63u - b->avail) >> 3;
        b->cache |= mp3_load_be64(b->p) >> b->avail;
        b->p += n;
        b->avail += 8u * n;
        b->pulled += 8u * n;
        return;
    }
    while (b->avail <= 56) {
        uint64_t byte;
        if (b->p < b->end) {
            byte = *b->p++;
        } else if (b->p2) {
            b->p = b->p2;
            b->end = b->end2;
            b->p2 = NULL;
            continue;
        } else {
            /* Past the end: feed zeros. Reads stay inside the two ranges
             * whatever the bitstream says; callers compare
             * mp3_bits_tell() with `total`. */
            byte = 0;
        }
        b->cache |= byte << (56 - b->avail);
        b->avail += 8;
        b->pulled += 8;
    }
}

/* Peeks at the next n (1..32) bits. */
static inline uint32_t mp3_bits_peek(mp3_bits *b, unsigned n)
{
    if (b->avail < n)
        mp3_bits_refill(b);
    return (uint32_t)(b->cache >> (64 - n));
}

static inline void mp3_bits_skip(mp3_bits *b, unsigned n)
{
    b->cache <<= n;
    b->avail -= n;
}

/* Reads n (0..32) bits. */
static inline uint32_t mp3_bits_get(mp3_bits *b, unsigned n)
{
    if (n == 0)
        return 0;
    uint32_t v = mp3_bits_peek(b, n);
    mp3_bits_skip(b, n);
    return v;
}

/* Bits consumed so far. */
static inline size_t mp3_bits_tell(const mp3_bits *b)
{
    return b->pulled - b->avail;
}

/* A plain MSB-first reader of one byte range (side information, Layer I
 * and II frames), bounded by `size`; past the end it yields zeros. */
typedef struct mp3_plain_bits {
    const uint8_t *data;
    size_t size_bits;
    size_t pos;
} mp3_plain_bits;

static inline uint32_t mp3_plain_get(mp3_plain_bits *b, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t bit = 0;
        if (b->pos < b->size_bits)
            bit = (uint32_t)(b->data[b->pos >> 3] >> (7u - (b->pos & 7u))) & 1u;
        b->pos++;
        v = (v << 1) | bit;
    }
    return v;
}

/* Layer III side information of one granule of one channel (ISO/IEC
 * 11172-3 2.4.1.7, 13818-3 2.4.1.7). */
typedef struct mp3_granule {
    uint16_t part2_3_length;
    uint16_t big_values;
    uint16_t global_gain;
    uint16_t scalefac_compress;
    uint8_t window_switching;
    uint8_t block_type;
    uint8_t mixed_block;
    uint8_t table_select[3];
    uint8_t subblock_gain[3];
    uint8_t region0_count;
    uint8_t region1_count;
    uint8_t preflag;
    uint8_t scalefac_scale;
    uint8_t count1_table;
} mp3_granule;

typedef struct mp3_state {
    const segue_dsp *dsp;
    unsigned out_channels; /* from the stream parameters: what decode() returns */
    /* Output, and the work area of every layer (see the top of this file). */
    float pcm[MP3_MAX_FRAME_SAMPLES * 2];
    /* Layer III IMDCT overlap (second halves of the windowed blocks), in the
     * hybrid layout of the channel count it was written with. */
    float overlap[2 * 576];
    unsigned overlap_nch;
    unsigned overlap_sb[2]; /* subbands whose overlap may be nonzero */
    segue_mpa_synth_state synth;
    /* Layer III bit reservoir: the last resv_len bytes of main data. */
    uint8_t resv[MP3_RESERVOIR_MAX];
    uint16_t resv_len;
    /* MPEG-1 scfsi: each channel's long-block scalefactors of granule 0;
     * also the LSF intensity positions' "illegal" markers. */
    uint8_t scf[2][39];
    /* Stats and the last concealment reason (tests read them). */
    uint32_t frames;
    uint32_t concealed;
    uint32_t crc_errors;
    const char *last_conceal;
    unsigned frame_flags; /* MP3_FRAME_* of the last decode() */
    int strict;           /* a CRC mismatch is an error, not concealed */
} mp3_state;

/* mp3_state.frame_flags: what happened to the last frame. */
enum {
    MP3_FRAME_CONCEALED = 1,        /* output is silence (see frame_flags below) */
    MP3_FRAME_CRC_MISMATCH = 2,     /* protected frame whose CRC-16 did not match */
    MP3_FRAME_RESERVOIR_MISSING = 4, /* main_data_begin reached past the stored bytes */
    MP3_FRAME_TRUNCATED = 8          /* shorter than its header says */
};

/* Layer III: decodes one frame (header parsed, `frame` the whole packet,
 * `side` the offset of the side information). Writes h->samples frames of
 * h->channels channels into s->pcm (interleaved). Returns SEGUE_OK (also
 * when concealing), or SEGUE_ERR_CORRUPT for a structurally impossible
 * frame. `side` is 4, or 6 after a CRC word; `check_crc` asks for the
 * CRC of protected frames to be verified (a mismatch conceals). */
segue_status mp3_decode_layer3(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                               size_t size, size_t side, int check_crc, segue_error *err);
/* Layers I and II, likewise (CRC over the allocation, checked inside). */
segue_status mp3_decode_layer12(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                                size_t size, int check_crc, segue_error *err);

/* CRC-16 of ISO/IEC 11172-3 2.4.3.1 (polynomial 0x8005, initial 0xFFFF)
 * over header bits 16..31 and `nbits` bits from byte 6 of the frame. */
uint16_t mp3_crc16(const uint8_t *frame, size_t nbits);

/* Records a concealment: the frame's output is silence. */
void mp3_conceal(mp3_state *s, const char *why, unsigned flags, unsigned nch, unsigned samples);

/* Forgets the Layer III reservoir and overlaps and the synthesis history. */
void mp3_reset_state(mp3_state *s);

#endif
