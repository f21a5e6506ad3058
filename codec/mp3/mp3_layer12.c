/*
 * codec/mp3/mp3_layer12.c - Layers I and II (ISO/IEC 11172-3 2.4.1.5,
 * 2.4.1.6, 2.4.2.5, 2.4.2.6, 2.4.3.2 and 2.4.3.3; ISO/IEC 13818-3 for the
 * lower sampling frequencies, which change only Layer II's allocation
 * table).
 *
 * The subband samples are requantised straight into the output buffer in
 * the layout of simd/dsp.h (slot-major, 32 subbands per channel) and the
 * synthesis filterbank runs there in place.
 *
 * Damage handling: a Layer I allocation of 15 (forbidden, 2.4.2.5), and a
 * frame whose allocation asks for more bits than the packet holds, are
 * structurally impossible (SEGUE_ERR_CORRUPT; the decoder state is left as
 * it was, so the caller may go on with the next frame). A CRC mismatch
 * on a protected frame (the CRC covers the bit allocation, and Layer II's
 * scfsi, 2.4.3.1) conceals it: the frame decodes as silence, the
 * filterbank's history decaying into it. Reads are bounded by the packet.
 * Scale factor index 63 (not in Table 3-B.1) follows the table's rule,
 * 2^(1 - 63/3), as common decoders do.
 */
#include <math.h>
#include <string.h>

#include "codec/mp3/mp3_internal.h"
#include "codec/mp3/mp3_tables.h"

/* Table 3-B.1: scalefactor index i -> 2^(1 - i/3). */
static float l12_scalefactor(unsigned i)
{
    static const float thirds[3] = {1.0f, 0.793700526f, 0.629960525f}; /* 2^(-k/3) */
    return ldexpf(thirds[i % 3u], 1 - (int)(i / 3u));
}

/* 2.4.3.2 / 2.4.3.3: a code c of an L-step quantiser (L = 2^nb - 1, or 3,
 * 5, 9 for grouped codes) stands for the fraction (2c + 1 - L) / L, the
 * same as the standard's "invert the MSB, add 2^(1-nb), scale by C" steps
 * (Table 3-B.4's C and D). */
static inline float l12_fraction(unsigned c, unsigned steps)
{
    return (float)(2 * (int)c + 1 - (int)steps) / (float)steps;
}

/* Joint stereo bound (2.4.2.3 mode_extension for Layers I and II). */
static unsigned l12_bound(const segue_mpa_header *h, unsigned sblimit)
{
    unsigned bound = h->mode == 1 ? 4u * ((unsigned)h->mode_extension + 1u) : sblimit;
    return bound > sblimit ? sblimit : bound;
}

static int l12_crc_ok(const uint8_t *frame, size_t protected_bits)
{
    uint16_t want = (uint16_t)((frame[4] << 8) | frame[5]);
    return mp3_crc16(frame, protected_bits) == want;
}

static segue_status layer1(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                           size_t size, size_t side, int check_crc, segue_error *err)
{
    unsigned nch = h->channels;
    unsigned bound = l12_bound(h, 32);
    mp3_plain_bits b = {frame + side, (size - side) * 8u, 0};
    uint8_t alloc[2][32];
    float scf[2][32];
    memset(alloc, 0, sizeof alloc);
    for (unsigned sb = 0; sb < 32; sb++) {
        for (unsigned ch = 0; ch < (sb < bound ? nch : 1u); ch++)
            alloc[ch][sb] = (uint8_t)mp3_plain_get(&b, 4);
        if (sb >= bound)
            alloc[1][sb] = alloc[0][sb];
        for (unsigned ch = 0; ch < nch; ch++)
            if (alloc[ch][sb] == 15)
                return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                       "mp2: Layer I bit allocation 15 (forbidden)");
    }
    if (b.pos > b.size_bits)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp2: Layer I allocation past the frame");
    if (check_crc && h->protection && !l12_crc_ok(frame, b.pos)) {
        s->crc_errors++;
        mp3_conceal(s, "CRC mismatch", MP3_FRAME_CRC_MISMATCH, nch, 384);
        s->dsp->mpa_synth(s->pcm, 12, nch, &s->synth);
        return SEGUE_OK;
    }
    for (unsigned sb = 0; sb < 32; sb++)
        for (unsigned ch = 0; ch < nch; ch++)
            scf[ch][sb] = alloc[ch][sb] ? l12_scalefactor(mp3_plain_get(&b, 6)) : 0.0f;
    size_t stride = 32u * nch;
    for (unsigned t = 0; t < 12; t++) {
        float *slot = s->pcm + t * stride;
        for (unsigned sb = 0; sb < 32; sb++) {
            if (sb < bound) {
                for (unsigned ch = 0; ch < nch; ch++) {
                    unsigned a = alloc[ch][sb];
                    float v = 0.0f;
                    if (a) {
                        unsigned nb = a + 1u;
                        v = l12_fraction(mp3_plain_get(&b, nb), (1u << nb) - 1u) * scf[ch][sb];
                    }
                    slot[ch * 32u + sb] = v;
                }
            } else {
                /* Intensity-coded subband: one sample, each channel's own
                 * scale factor (2.4.3.2). */
                unsigned a = alloc[0][sb];
                float f = 0.0f;
                if (a) {
                    unsigned nb = a + 1u;
                    f = l12_fraction(mp3_plain_get(&b, nb), (1u << nb) - 1u);
                }
                slot[sb] = f * scf[0][sb];
                slot[32u + sb] = f * scf[1][sb];
            }
        }
    }
    if (b.pos > b.size_bits)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "mp2: Layer I frame needs %zu bits, has %zu", b.pos, b.size_bits);
    s->dsp->mpa_synth(s->pcm, 12, nch, &s->synth);
    return SEGUE_OK;
}

/* Table 3-B.2 selection (Annex B): by sampling frequency and bitrate per
 * channel; LSF always uses ISO/IEC 13818-3 Table B.1. */
static unsigned l2_table(const segue_mpa_header *h, size_t size)
{
    if (h->version != 1)
        return 4;
    uint32_t br = h->bitrate;
    if (br == 0) /* free format: the rate this frame's size implies */
        br = (uint32_t)((uint64_t)size * 8u * h->sample_rate / 1152u);
    uint32_t per_ch = br / 1000u / h->channels;
    if ((h->sample_rate == 48000 && per_ch >= 56) || (per_ch >= 56 && per_ch <= 80))
        return 0;
    if (h->sample_rate != 48000 && per_ch >= 96)
        return 1;
    if (h->sample_rate != 32000 && per_ch <= 48)
        return 2;
    return 3;
}

static segue_status layer2(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                           size_t size, size_t side, int check_crc, segue_error *err)
{
    unsigned nch = h->channels;
    const segue_mp2_alloc *at = &segue_mp2_alloc_tables[l2_table(h, size)];
    unsigned sblimit = at->sblimit;
    unsigned bound = l12_bound(h, sblimit);
    mp3_plain_bits b = {frame + side, (size - side) * 8u, 0};
    uint8_t cls[2][32];  /* quantisation class + 1, 0 = no allocation */
    uint8_t scfsi[2][32];
    float scf[2][32][3];
    memset(cls, 0, sizeof cls);
    memset(scfsi, 0, sizeof scfsi);
    unsigned off = 0;
    for (unsigned sb = 0; sb < sblimit; sb++) {
        unsigned nbal = at->nbal[sb];
        for (unsigned ch = 0; ch < (sb < bound ? nch : 1u); ch++) {
            unsigned a = mp3_plain_get(&b, nbal);
            cls[ch][sb] = a ? (uint8_t)(at->classes[off + a - 1u] + 1u) : 0;
        }
        if (sb >= bound)
            cls[1][sb] = cls[0][sb];
        off += (1u << nbal) - 1u;
    }
    for (unsigned sb = 0; sb < sblimit; sb++)
        for (unsigned ch = 0; ch < nch; ch++)
            if (cls[ch][sb])
                scfsi[ch][sb] = (uint8_t)mp3_plain_get(&b, 2);
    if (b.pos > b.size_bits)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp2: Layer II allocation past the frame");
    if (check_crc && h->protection && !l12_crc_ok(frame, b.pos)) {
        s->crc_errors++;
        mp3_conceal(s, "CRC mismatch", MP3_FRAME_CRC_MISMATCH, nch, 1152);
        s->dsp->mpa_synth(s->pcm, 36, nch, &s->synth);
        return SEGUE_OK;
    }
    /* Scale factors: scfsi tells which of the three parts share one
     * (2.4.2.6). */
    for (unsigned sb = 0; sb < sblimit; sb++) {
        for (unsigned ch = 0; ch < nch; ch++) {
            if (!cls[ch][sb])
                continue;
            unsigned i0 = mp3_plain_get(&b, 6);
            unsigned i1 = i0;
            unsigned i2 = i0;
            switch (scfsi[ch][sb]) {
            case 0:
                i1 = mp3_plain_get(&b, 6);
                i2 = mp3_plain_get(&b, 6);
                break;
            case 1:
                i2 = mp3_plain_get(&b, 6);
                break;
            case 3:
                i1 = i2 = mp3_plain_get(&b, 6);
                break;
            default:
                break;
            }
            scf[ch][sb][0] = l12_scalefactor(i0);
            scf[ch][sb][1] = l12_scalefactor(i1);
            scf[ch][sb][2] = l12_scalefactor(i2);
        }
    }
    size_t stride = 32u * nch;
    for (unsigned gr = 0; gr < 12; gr++) {
        unsigned part = gr / 4u;
        float *slots = s->pcm + (size_t)gr * 3u * stride;
        for (unsigned sb = 0; sb < 32; sb++) {
            unsigned chans = sb < bound ? nch : 1u;
            for (unsigned ch = 0; ch < chans; ch++) {
                float f[3] = {0.0f, 0.0f, 0.0f};
                if (sb < sblimit && cls[ch][sb]) {
                    const segue_mp2_class *q = &segue_mp2_classes[cls[ch][sb] - 1u];
                    if (q->grouped) {
                        /* 2.4.3.3: three samples in one codeword, base
                         * `steps` digits, least significant first. */
                        unsigned c = mp3_plain_get(&b, q->bits);
                        for (unsigned k = 0; k < 3; k++) {
                            f[k] = l12_fraction(c % q->steps, q->steps);
                            c /= q->steps;
                        }
                    } else {
                        for (unsigned k = 0; k < 3; k++)
                            f[k] = l12_fraction(mp3_plain_get(&b, q->bits), q->steps);
                    }
                }
                if (sb < bound) {
                    float g = cls[ch][sb] ? scf[ch][sb][part] : 0.0f;
                    for (unsigned k = 0; k < 3; k++)
                        slots[k * stride + ch * 32u + sb] = f[k] * g;
                } else {
                    float g0 = cls[0][sb] ? scf[0][sb][part] : 0.0f;
                    float g1 = nch > 1 && cls[1][sb] ? scf[1][sb][part] : 0.0f;
                    for (unsigned k = 0; k < 3; k++) {
                        slots[k * stride + sb] = f[k] * g0;
                        if (nch > 1)
                            slots[k * stride + 32u + sb] = f[k] * g1;
                    }
                }
            }
        }
    }
    if (b.pos > b.size_bits)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "mp2: Layer II frame needs %zu bits, has %zu", b.pos, b.size_bits);
    s->dsp->mpa_synth(s->pcm, 36, nch, &s->synth);
    return SEGUE_OK;
}

segue_status mp3_decode_layer12(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                                size_t size, int check_crc, segue_error *err)
{
    size_t side = h->protection ? 6u : 4u;
    if (size < side)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp2: frame of %zu bytes", size);
    if (h->layer == 1)
        return layer1(s, h, frame, size, side, check_crc, err);
    return layer2(s, h, frame, size, side, check_crc, err);
}
