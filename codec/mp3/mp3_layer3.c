/*
 * codec/mp3/mp3_layer3.c - Layer III (ISO/IEC 11172-3 2.4.1.7, 2.4.2.7 and
 * 2.4.3.4; the lower sampling frequencies of ISO/IEC 13818-3 2.4.3.2 and
 * the MPEG-2.5 extension).
 *
 * One frame: side information, then per granule and channel the scale
 * factors and Huffman-coded spectrum from the main data (which starts
 * main_data_begin bytes back in the bit reservoir), requantisation straight
 * into the hybrid layout of simd/dsp.h (short blocks reordered on the way),
 * stereo processing, alias reduction, IMDCT with overlap-add and frequency
 * inversion, and the synthesis filterbank, all in the output buffer.
 *
 * Damage handling (the codec cannot see the decoder's `strict` flag, so it
 * conceals by default):
 *  - SEGUE_ERR_CORRUPT (the frame is structurally impossible, nothing is
 *    decoded): a packet shorter than its side information; big_values >
 *    288 (more than 576 lines); window_switching_flag with block_type 0
 *    (reserved); the part2_3_lengths of the frame adding up to more bits
 *    than main_data_begin plus the frame's own main data hold.
 *  - concealed, SEGUE_OK, the frame decodes as an all-zero spectrum (the
 *    output is silence, apart from the decaying tail of the previous
 *    frame's overlap): a CRC mismatch on a protected frame; main data
 *    reaching back past the bytes the reservoir holds (start of stream,
 *    after reset(), after damage); a packet shorter than its header says.
 *  - tolerated: Huffman data running past a granule's part2_3_length is
 *    cut there (the last count1 quadruple is dropped, as in the ISO
 *    reference decoder); table_select 4 or 14 (unused by the standard)
 *    decodes that region as zeros; scale factors longer than part2_3_length
 *    leave the spectrum zero. Every read is bounded by the frame's main
 *    data (mp3_bits returns zeros past it).
 */
#include <math.h>
#include <string.h>

#include "codec/mp3/mp3_internal.h"
#include "codec/mp3/mp3_tables.h"

/* 2^(e/4) for any integer e (the requantiser's quarter-step gains). The
 * power of two is built in the exponent field: a granule needs a gain per
 * band, and ldexpf showed in profiles. */
static float pow2_quarter(int e)
{
    static const float frac[4] = {1.0f, 1.18920712f, 1.41421356f, 1.68179283f};
    if (e < -504 || e > 508) {
        /* Outside the normal range; the side information cannot get
         * here (|e| < 400), but keep the function total. */
        int q = e >= 0 ? e / 4 : -((-e + 3) / 4);
        return ldexpf(frac[e - 4 * q], q);
    }
    /* floor(e / 4) and e mod 4 on a non-negative value */
    unsigned u = (unsigned)(e + 512);
    uint32_t bits = ((u >> 2) - 128u + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return frac[u & 3u] * scale;
}

/* |v|^(4/3) for 0 <= v <= 8206 (15 + the largest linbits escape). */
static float pow43(unsigned v)
{
    if (v < 256)
        return segue_mp3_pow43[v];
    float f = (float)v;
    return f * cbrtf(f);
}

/* One band of lines that share a scale factor, in bitstream order. */
typedef struct l3_band {
    uint16_t width;  /* lines */
    uint8_t sf;      /* index into the scale factor array */
    int8_t window;   /* 0..2 for short blocks, -1 for long */
    uint8_t sfb;     /* scale factor band number (long or short numbering) */
    uint16_t start;  /* first frequency line of the band (short: within a window) */
} l3_band;

typedef struct l3_layout {
    l3_band bands[40];
    unsigned nbands;
    unsigned long_sb;  /* subbands transformed as long blocks (0, 2, 4 or 32) */
    unsigned nlong;    /* long scale factor bands at the start */
} l3_layout;

/* The bands of a granule in bitstream order (2.4.3.4 "reordering": short
 * blocks are sent band by band, window by window). Scale factor indices:
 * long band sfb -> sfb; short band sfb window w -> nlong + 3 * (sfb -
 * first_short) + w. */
static void l3_make_layout(l3_layout *lay, const mp3_granule *g, const segue_mp3_sfb *t, int lsf)
{
    unsigned n = 0;
    if (!(g->window_switching && g->block_type == 2)) {
        for (unsigned sfb = 0; sfb < 22; sfb++) {
            l3_band *b = &lay->bands[n++];
            b->width = (uint16_t)(t->l[sfb + 1] - t->l[sfb]);
            b->sf = (uint8_t)sfb;
            b->window = -1;
            b->sfb = (uint8_t)sfb;
            b->start = t->l[sfb];
        }
        lay->nbands = n;
        lay->long_sb = 32;
        lay->nlong = 22;
        return;
    }
    unsigned nlong = 0;
    unsigned first_short = 0;
    if (g->mixed_block) {
        /* Mixed blocks: long bands up to line 36 (MPEG-1, 8 bands; LSF,
         * 6 bands; at 8 kHz the 6 LSF bands reach line 72), then short
         * bands from the one starting there (band 3). */
        nlong = lsf ? 6 : 8;
        first_short = 3;
        for (unsigned sfb = 0; sfb < nlong; sfb++) {
            l3_band *b = &lay->bands[n++];
            b->width = (uint16_t)(t->l[sfb + 1] - t->l[sfb]);
            b->sf = (uint8_t)sfb;
            b->window = -1;
            b->sfb = (uint8_t)sfb;
            b->start = t->l[sfb];
        }
        lay->long_sb = t->l[nlong] / 18u;
    } else {
        lay->long_sb = 0;
    }
    for (unsigned sfb = first_short; sfb < 13; sfb++) {
        for (unsigned w = 0; w < 3; w++) {
            l3_band *b = &lay->bands[n++];
            b->width = (uint16_t)(t->s[sfb + 1] - t->s[sfb]);
            b->sf = (uint8_t)(nlong + 3 * (sfb - first_short) + w);
            b->window = (int8_t)w;
            b->sfb = (uint8_t)sfb;
            b->start = t->s[sfb];
        }
    }
    lay->nbands = n;
    lay->nlong = nlong;
}

/* Position in the hybrid layout of reordered line L (subband L / 18, line
 * L % 18 of it). */
static inline size_t line_pos(unsigned line, size_t stride)
{
    return (size_t)(line % 18u) * stride + line / 18u;
}

/* Position of line f (0-based) of a band: long bands hold natural lines,
 * short ones the window's line start + f, reordered to 3 (start + f) + w. */
static inline size_t band_pos(const l3_band *b, unsigned f, size_t stride)
{
    if (b->window < 0)
        return line_pos(b->start + f, stride);
    return line_pos(3u * (b->start + f) + (unsigned)b->window, stride);
}

/* ---- scale factors -------------------------------------------------------- */

/* MPEG-1 (2.4.2.7, 2.4.3.4 "scale factors"): fills sf[] in the layout's
 * indexing. scfsi copies the long bands of granule 0 into granule 1. */
static void l3_scalefactors_mpeg1(mp3_state *s, mp3_bits *b, const mp3_granule *g, unsigned gr,
                                  unsigned ch, unsigned scfsi, uint8_t *sf)
{
    unsigned slen1 = segue_mp3_slen[0][g->scalefac_compress];
    unsigned slen2 = segue_mp3_slen[1][g->scalefac_compress];
    memset(sf, 0, 39);
    if (g->window_switching && g->block_type == 2) {
        unsigned k = 0;
        if (g->mixed_block) {
            for (unsigned sfb = 0; sfb < 8; sfb++)
                sf[k++] = (uint8_t)mp3_bits_get(b, slen1);
            for (unsigned sfb = 3; sfb < 12; sfb++)
                for (unsigned w = 0; w < 3; w++)
                    sf[k++] = (uint8_t)mp3_bits_get(b, sfb < 6 ? slen1 : slen2);
        } else {
            for (unsigned sfb = 0; sfb < 12; sfb++)
                for (unsigned w = 0; w < 3; w++)
                    sf[k++] = (uint8_t)mp3_bits_get(b, sfb < 6 ? slen1 : slen2);
        }
        /* Band 12 of short blocks and 21 of long ones carry no scale
         * factor (0). */
        return;
    }
    /* Long blocks: four groups of bands, each either sent or (granule 1
     * with its scfsi bit set) the same as in granule 0. */
    static const uint8_t group_start[5] = {0, 6, 11, 16, 21};
    for (unsigned grp = 0; grp < 4; grp++) {
        unsigned bits = grp < 2 ? slen1 : slen2;
        int reuse = gr == 1 && (scfsi & (8u >> grp));
        for (unsigned sfb = group_start[grp]; sfb < group_start[grp + 1]; sfb++)
            sf[sfb] = reuse ? s->scf[ch][sfb] : (uint8_t)mp3_bits_get(b, bits);
    }
    memcpy(s->scf[ch], sf, 22);
}

/* MPEG-2 LSF (ISO/IEC 13818-3 2.4.3.2): the scale factor lengths and
 * partition sizes come from scalefac_compress; for the right channel of an
 * intensity stereo frame from its upper 8 bits, and is_max[k] gets the
 * "illegal intensity position" value 2^slen - 1 of each factor. */
static void l3_scalefactors_lsf(mp3_bits *b, mp3_granule *g, int is_right_intensity,
                                uint8_t *sf, uint8_t *is_max)
{
    unsigned slen[4] = {0, 0, 0, 0};
    unsigned table;
    unsigned sfc = g->scalefac_compress;
    g->preflag = 0;
    if (!is_right_intensity) {
        if (sfc < 400) {
            slen[0] = (sfc >> 4) / 5;
            slen[1] = (sfc >> 4) % 5;
            slen[2] = (sfc & 15) >> 2;
            slen[3] = sfc & 3;
            table = 0;
        } else if (sfc < 500) {
            sfc -= 400;
            slen[0] = (sfc >> 2) / 5;
            slen[1] = (sfc >> 2) % 5;
            slen[2] = sfc & 3;
            table = 1;
        } else {
            sfc -= 500;
            slen[0] = sfc / 3;
            slen[1] = sfc % 3;
            g->preflag = 1;
            table = 2;
        }
    } else {
        sfc >>= 1; /* the low bit is intensity_scale */
        if (sfc < 180) {
            slen[0] = sfc / 36;
            slen[1] = (sfc % 36) / 6;
            slen[2] = (sfc % 36) % 6;
            table = 3;
        } else if (sfc < 244) {
            sfc -= 180;
            slen[0] = (sfc & 63) >> 4;
            slen[1] = (sfc & 15) >> 2;
            slen[2] = sfc & 3;
            table = 4;
        } else {
            sfc -= 244;
            slen[0] = sfc / 3;
            slen[1] = sfc % 3;
            table = 5;
        }
    }
    unsigned kind = 0;
    if (g->window_switching && g->block_type == 2)
        kind = g->mixed_block ? 2 : 1;
    memset(sf, 0, 39);
    memset(is_max, 0xFF, 39);
    unsigned k = 0;
    for (unsigned part = 0; part < 4; part++) {
        unsigned count = segue_mp3_lsf_nsf[table][kind][part];
        for (unsigned i = 0; i < count && k < 39; i++, k++) {
            sf[k] = (uint8_t)mp3_bits_get(b, slen[part]);
            /* A partition sent with 0 bits has no illegal value: its
             * positions are 0 (as in common decoders). */
            is_max[k] = (uint8_t)(slen[part] ? (1u << slen[part]) - 1u : 0xFFu);
        }
    }
}

/* ---- Huffman decoding and requantisation ------------------------------------ */

typedef struct l3_spectrum_info {
    unsigned nz_sb;          /* subbands that may hold nonzero lines */
    int max_long_band;       /* highest long band with a nonzero value, -1 none */
    int max_short_band[3];   /* the same per short window (short band numbers) */
} l3_spectrum_info;

/* ±|v|^(4/3) as float bits: the sign goes on by XOR, not by a branch
 * (sign bits are random, and so would the branch be). */
static inline float signed_pow43(unsigned v, uint32_t sign)
{
    float m = v < 256 ? segue_mp3_pow43[v] : pow43(v);
    uint32_t u;
    memcpy(&u, &m, sizeof u);
    u ^= sign << 31;
    memcpy(&m, &u, sizeof m);
    return m;
}

/* The same for a value of at most 15 (no escape: the table is enough). */
static inline float small_pow43(unsigned v, uint32_t sign)
{
    float m = segue_mp3_pow43[v];
    uint32_t u;
    memcpy(&u, &m, sizeof u);
    u ^= sign << 31;
    memcpy(&m, &u, sizeof m);
    return m;
}

/* Looks up the Huffman code at the top of `cache` (mp3_tables.h format):
 * returns the leaf, *used = the code's length. Most codes end in the root
 * table; longer ones descend a level per iteration. */
static inline int huff_code(uint64_t cache, const int16_t *tab, unsigned root, unsigned *used)
{
    int e = tab[cache >> (64 - root)];
    unsigned u = 0;
    unsigned nb = root;
    while (e < 0) {
        u += nb; /* a whole level consumed: descend */
        unsigned v = (unsigned)(-e);
        nb = v & 15u;
        e = tab[(v >> 4) + (unsigned)((cache << u) >> (64 - nb))];
    }
    *used = u + ((unsigned)e >> 8);
    return e;
}

/* Reads the sign bit of a value when the value is nonzero, without a
 * branch on either. `*c` is the cache (enough bits guaranteed), `*n` the
 * running count of bits taken from it. */
static inline uint32_t take_sign(uint64_t *c, unsigned *n, unsigned v)
{
    unsigned has = v != 0;
    uint32_t s = (uint32_t)(*c >> 63) & has;
    *c <<= has;
    *n += has;
    return s;
}

/* The requantisation gain of band i of the layout (2.4.3.4 "formula for
 * requantisation": global gain, scale factor with pretab or subblock
 * gain), as a power of 2^(1/4). */
static inline float band_gain(const mp3_granule *g, const l3_layout *lay, const uint8_t *sf,
                              unsigned i)
{
    const l3_band *bd = &lay->bands[i];
    int shift = g->scalefac_scale ? 4 : 2; /* 2^(-(1 + scalefac_scale)/2 * sf) in quarter steps */
    int e = (int)g->global_gain - 210;
    if (bd->window < 0) {
        int pre = g->preflag ? segue_mp3_pretab[bd->sfb] : 0;
        e -= shift * ((int)sf[bd->sf] + pre);
    } else {
        e -= 8 * (int)g->subblock_gain[bd->window] + shift * (int)sf[bd->sf];
    }
    return pow2_quarter(e);
}

/* Huffman decoding of part 3 (big values, then count1 quadruples until
 * bit `end`) into xr[] in bitstream order, requantised: sign * |v|^(4/3)
 * times the band's gain. The big-values loops run over stretches that
 * lie in one band and one region (band widths and region boundaries are
 * even, so a pair never straddles), so the gain is a loop constant.
 * Returns 1 + the index of the last nonzero line (0: all zero); xr[] is
 * written up to the last decoded line, which may be further. */
static unsigned l3_huffman(mp3_bits *bits, size_t end, const mp3_granule *g,
                           const segue_mp3_sfb *t, const l3_layout *lay, const uint8_t *sf,
                           float *xr)
{
    unsigned big_end = 2u * g->big_values;
    unsigned r1, r2;
    if (g->window_switching) {
        /* region0 is fixed (2.4.2.7): for block_type 2 the first three
         * short bands of all windows, 36 lines (the ISO reference
         * decoder), which is 72 at MPEG-2.5 8 kHz, whose short bands are
         * twice as wide (lame writes it so; FFmpeg and libmpg123 decode
         * it so, libmpg123 differing only for mixed blocks, which no
         * standard defines at 8 kHz); else region0_count 7 long bands. */
        r1 = g->block_type == 2 ? 3u * t->s[3] : t->l[8];
        r2 = 576;
    } else {
        unsigned a = g->region0_count + 1u;
        unsigned bb = g->region0_count + g->region1_count + 2u;
        r1 = t->l[a > 22 ? 22 : a];
        r2 = t->l[bb > 22 ? 22 : bb];
    }
    if (r1 > big_end)
        r1 = big_end;
    if (r2 > big_end)
        r2 = big_end;
    if (r2 < r1)
        r2 = r1;
    const unsigned region_end[3] = {r1, r2, big_end};

    /* A local copy keeps the reader in registers across the loops. */
    mp3_bits b = *bits;
    unsigned line = 0;
    unsigned bi = 0;                     /* band of `line` */
    unsigned bend = lay->bands[0].width; /* bitstream line where band bi ends */
    float gain = band_gain(g, lay, sf, 0);
    for (unsigned r = 0; r < 3; r++) {
        const segue_mp3_huff_table *ht = &segue_mp3_huff_tables[g->table_select[r]];
        unsigned stop = region_end[r];
        if (line >= stop)
            continue;
        if (ht->root_bits == 0) {
            /* Table 0 codes zeros without bits; 4 and 14 are unused and
             * decode as zeros too. */
            memset(xr + line, 0, (stop - line) * sizeof *xr);
            line = stop;
            continue;
        }
        const int16_t *tab = segue_mp3_huff_data + ht->offset;
        const unsigned root = ht->root_bits;
        const unsigned linbits = ht->linbits;
        while (line < stop) {
            if (line >= bend) {
                while (line >= bend)
                    bend += lay->bands[++bi].width;
                gain = band_gain(g, lay, sf, bi);
            }
            unsigned seg = stop < bend ? stop : bend;
            if (linbits == 0) {
                /* Tables 1-15: values 0..15, at most 19 + 2 bits a pair. */
                for (; line < seg; line += 2) {
                    if (b.avail < 21)
                        mp3_bits_refill(&b);
                    uint64_t cache = b.cache;
                    unsigned used;
                    int e = huff_code(cache, tab, root, &used);
                    cache <<= used;
                    unsigned vx = ((unsigned)e >> 4) & 15u;
                    unsigned vy = (unsigned)e & 15u;
                    uint32_t sx = take_sign(&cache, &used, vx);
                    uint32_t sy = take_sign(&cache, &used, vy);
                    b.cache = cache;
                    b.avail -= used;
                    xr[line] = small_pow43(vx, sx) * gain;
                    xr[line + 1] = small_pow43(vy, sy) * gain;
                }
                continue;
            }
            for (; line < seg; line += 2) {
                /* One refill covers the pair: a code of at most 19 bits,
                 * and per value up to 13 linbits and a sign (47 bits). */
                if (b.avail < 47)
                    mp3_bits_refill(&b);
                uint64_t cache = b.cache;
                unsigned used;
                int e = huff_code(cache, tab, root, &used);
                cache <<= used;
                unsigned vx = ((unsigned)e >> 4) & 15u;
                unsigned vy = (unsigned)e & 15u;
                if (vx == 15) {
                    vx += (unsigned)(cache >> (64 - linbits));
                    cache <<= linbits;
                    used += linbits;
                }
                uint32_t sx = take_sign(&cache, &used, vx);
                if (vy == 15) {
                    vy += (unsigned)(cache >> (64 - linbits));
                    cache <<= linbits;
                    used += linbits;
                }
                uint32_t sy = take_sign(&cache, &used, vy);
                b.cache = cache;
                b.avail -= used;
                xr[line] = signed_pow43(vx, sx) * gain;
                xr[line + 1] = signed_pow43(vy, sy) * gain;
            }
        }
    }

    /* count1 region: quadruples until the granule's bits are used up. A
     * quadruple that runs past `end` is dropped (the ISO reference). Band
     * widths need not be multiples of 4, so the band is checked per
     * value. */
    while (line + 4 <= 576 && mp3_bits_tell(&b) < end) {
        if (b.avail < 10)
            mp3_bits_refill(&b);
        uint64_t cache = b.cache;
        unsigned used;
        unsigned vwxy;
        if (g->count1_table) {
            vwxy = 15u - (unsigned)(cache >> 60);
            used = 4;
        } else {
            unsigned e = segue_mp3_count1a[cache >> 58];
            used = e >> 4;
            vwxy = e & 15u;
        }
        cache <<= used;
        float q[4];
        for (unsigned i = 0; i < 4; i++) {
            unsigned v = (vwxy >> (3u - i)) & 1u;
            q[i] = small_pow43(v, take_sign(&cache, &used, v));
        }
        b.cache = cache;
        b.avail -= used;
        if (mp3_bits_tell(&b) > end)
            break;
        if (line + 4 <= bend) {
            for (unsigned i = 0; i < 4; i++)
                xr[line + i] = q[i] * gain;
        } else {
            for (unsigned i = 0; i < 4; i++) {
                if (line + i >= bend) {
                    while (line + i >= bend)
                        bend += lay->bands[++bi].width;
                    gain = band_gain(g, lay, sf, bi);
                }
                xr[line + i] = q[i] * gain;
            }
        }
        line += 4;
    }
    /* The last nonzero line: a short walk back over the zeros that end
     * the decoded lines (cheaper than tracking it per value). */
    while (line > 0 && xr[line - 1] == 0.0f)
        line--;
    return line;
}

/* x[j * stride + sb] = xr[18 sb + j] for the first nsb subbands. */
static inline void transpose_subbands(float *x, const float *xr, unsigned nsb, size_t stride)
{
    for (unsigned sb = 0; sb < nsb; sb++) {
        const float *src = xr + 18u * sb;
        float *dst = x + sb;
        for (unsigned j = 0; j < 18; j++)
            dst[j * stride] = src[j];
    }
}

/* Decodes part 3 of one granule/channel (the spectrum) into x (hybrid
 * layout, channel offset applied), stopping at bit `end`. All 576 lines of
 * the channel are written (zeros past the coded ones).
 *
 * Two passes: Huffman decoding and requantisation into bitstream order
 * (a tight loop with no per-line bookkeeping), then the lines moved to
 * the hybrid layout: long bands by transposing whole subbands, short
 * bands by their reordering. Not inlined: its 2.3 KiB line buffer must
 * not stay on the stack under the synthesis that mp3_decode_layer3 calls
 * next. */
MP3_NOINLINE static void l3_spectrum(mp3_bits *bits, size_t end, const mp3_granule *g,
                                     const l3_layout *lay, const uint8_t *sf,
                                     const segue_mp3_sfb *t, float *x, size_t stride,
                                     l3_spectrum_info *info)
{
    float xr[576];
    unsigned nz_end = l3_huffman(bits, end, g, t, lay, sf, xr);

    info->max_long_band = -1;
    info->max_short_band[0] = info->max_short_band[1] = info->max_short_band[2] = -1;
    unsigned nz_sb = 0;
    unsigned long_end = lay->long_sb * 18u; /* lines of the long part */
    int any_short = long_end < 576;
    if (any_short) {
        for (unsigned j = 0; j < 18; j++)
            memset(x + j * stride, 0, 32 * sizeof *x);
    }
    unsigned k = 0; /* bitstream line of the band's first line */
    for (unsigned i = 0; i < lay->nbands && k < nz_end; i++) {
        const l3_band *bd = &lay->bands[i];
        unsigned n = bd->width < nz_end - k ? bd->width : nz_end - k;
        if (bd->window < 0) {
            /* Long: natural order already, moved below by subbands. The
             * band holding the last nonzero line is the highest nonzero
             * long band; in a mixed block that line may lie in the short
             * part, so there each long band is looked at. */
            int nonzero = k + bd->width >= nz_end;
            for (unsigned f = 0; !nonzero && any_short && f < n; f++)
                nonzero = xr[k + f] != 0.0f;
            if (nonzero)
                info->max_long_band = bd->sfb;
        } else {
            /* Short: line f of window w goes to reordered line
             * 3 (start + f) + w, row R % 18 of subband R / 18. */
            const float *v = xr + k;
            unsigned nonzero = 0;
            unsigned rl = 3u * bd->start + (unsigned)bd->window;
            unsigned sb = rl / 18u;
            unsigned j = rl - 18u * sb;
            for (unsigned f = 0; f < n; f++) {
                nonzero |= v[f] != 0.0f;
                x[(size_t)j * stride + sb] = v[f];
                j += 3;
                if (j >= 18) {
                    j -= 18;
                    sb++;
                }
            }
            if (nonzero) {
                if ((int)bd->sfb > info->max_short_band[bd->window])
                    info->max_short_band[bd->window] = bd->sfb;
                unsigned top = (3u * (bd->start + n - 1u) + (unsigned)bd->window) / 18u + 1u;
                if (top > nz_sb)
                    nz_sb = top;
            }
        }
        k += bd->width;
    }
    /* Long part: whole subbands transposed, x[j][sb] = xr[18 sb + j]. */
    unsigned long_nz = nz_end < long_end ? nz_end : long_end;
    unsigned lsb = (long_nz + 17u) / 18u;
    if (lsb) {
        /* Lines between the last nonzero one and the end of its subband
         * may not have been decoded: zero them. */
        for (unsigned l = long_nz; l < 18u * lsb; l++)
            xr[l] = 0.0f;
        /* The stride as a constant makes every store address an
         * immediate offset. */
        if (stride == 64)
            transpose_subbands(x, xr, lsb, 64);
        else
            transpose_subbands(x, xr, lsb, 32);
        if (lsb > nz_sb)
            nz_sb = lsb;
    }
    if (!any_short && lsb < 32) {
        for (unsigned j = 0; j < 18; j++)
            memset(x + j * stride + lsb, 0, (32u - lsb) * sizeof *x);
    }
    info->nz_sb = nz_sb;
}

/* ---- stereo processing ---------------------------------------------------- */

/* is_ratio of MPEG-1 intensity stereo (2.4.3.4 "intensity stereo"):
 * kl = tan(p pi/12) / (1 + tan(p pi/12)), kr = 1 / (1 + tan(p pi/12)). */
static const float is_kl[7] = {0.0f, 0.211324865f, 0.366025404f, 0.5f, 0.633974596f, 0.788675135f, 1.0f};

static void ms_band(float *x0, float *x1, const l3_band *b, size_t stride)
{
    const float r = 0.70710678f; /* 1/sqrt(2), 2.4.3.4 "ms_stereo" */
    for (unsigned f = 0; f < b->width; f++) {
        size_t p = band_pos(b, f, stride);
        float m = x0[p];
        float s = x1[p];
        x0[p] = (m + s) * r;
        x1[p] = (m - s) * r;
    }
}

static void is_band(float *x0, float *x1, const l3_band *b, size_t stride, float kl, float kr)
{
    for (unsigned f = 0; f < b->width; f++) {
        size_t p = band_pos(b, f, stride);
        float v = x0[p];
        x0[p] = v * kl;
        x1[p] = v * kr;
    }
}

/* Joint stereo of one granule. `sf1` are the right channel's scale
 * factors (the intensity positions), `is_max1` their illegal values (LSF)
 * and `info1` where the right channel's spectrum ends. */
static void l3_stereo(float *x, size_t stride, const segue_mpa_header *h, const l3_layout *lay,
                      const mp3_granule *g1, const uint8_t *sf1, const uint8_t *is_max1,
                      const l3_spectrum_info *info1)
{
    int ms = (h->mode_extension & 2) != 0;
    int is = (h->mode_extension & 1) != 0;
    int lsf = h->version != 1;
    float *x0 = x;
    float *x1 = x + 32;
    /* The first intensity band: above the last nonzero band of the right
     * channel, per window for short blocks; for mixed blocks the long part
     * is intensity coded only when no short window has a nonzero band. */
    int start_long = info1->max_long_band + 1;
    int start_short[3];
    for (int w = 0; w < 3; w++)
        start_short[w] = info1->max_short_band[w] + 1;
    if (lay->nlong && lay->nlong < 22) { /* mixed */
        int any_short = 0;
        for (int w = 0; w < 3; w++) {
            if (start_short[w] < 3)
                start_short[w] = 3;
            else
                any_short = 1;
        }
        if (any_short)
            start_long = (int)lay->nlong;
    }
    float lsf_k = g1->scalefac_compress & 1u ? 0.70710678f : 0.84089642f; /* 2^-1/2, 2^-1/4 */
    if (!is) {
        /* M/S alone covers every line: no band walk needed (the line order
         * is the same in both channels). */
        const float r = 0.70710678f;
        for (unsigned j = 0; j < 18; j++) {
            float *a = x0 + j * stride;
            float *c = x1 + j * stride;
            for (unsigned k = 0; k < 32; k++) {
                float m = a[k];
                float sd = c[k];
                a[k] = (m + sd) * r;
                c[k] = (m - sd) * r;
            }
        }
        return;
    }

    for (unsigned i = 0; i < lay->nbands; i++) {
        const l3_band *b = &lay->bands[i];
        int in_is = 0;
        int use_default = 0;
        unsigned pos_sf = b->sf;
        if (is) {
            int last = b->window < 0 ? 21 : 12;
            int start = b->window < 0 ? start_long : start_short[b->window];
            if ((int)b->sfb >= start) {
                in_is = 1;
                if ((int)b->sfb == last) {
                    /* The top band has no scale factor: it takes the
                     * position of the band below when that one is in the
                     * intensity region, else the "centre" (MPEG-1 is_pos
                     * 3, LSF 0), as the reference decoders of these
                     * conformance streams do. */
                    if (last - 1 < start)
                        use_default = 1;
                    else
                        pos_sf = b->window < 0 ? b->sf - 1u : b->sf - 3u;
                }
            }
        }
        if (in_is) {
            unsigned p = use_default ? (lsf ? 0u : 3u) : sf1[pos_sf];
            float kl, kr;
            if (!lsf) {
                if (p >= 7) {
                    in_is = 0; /* is_pos 7 is "illegal": not intensity coded */
                } else {
                    kl = is_kl[p];
                    kr = is_kl[6 - p];
                }
            } else {
                /* 13818-3 2.4.3.2: is_pos equal to its maximum is illegal. */
                if (!use_default && p == is_max1[pos_sf]) {
                    in_is = 0;
                } else if (p == 0) {
                    kl = kr = 1.0f;
                } else if (p & 1u) {
                    kl = powf(lsf_k, (float)((p + 1) / 2));
                    kr = 1.0f;
                } else {
                    kl = 1.0f;
                    kr = powf(lsf_k, (float)(p / 2));
                }
            }
            if (in_is) {
                is_band(x0, x1, b, stride, kl, kr);
                continue;
            }
        }
        if (ms)
            ms_band(x0, x1, b, stride);
    }
}

/* M/S for two channels of different block layouts: bitstream line i of
 * each channel, wherever each layout puts it. */
static void l3_ms_mismatched(float *x, size_t stride, const l3_layout *l0, const l3_layout *l1)
{
    const float r = 0.70710678f;
    unsigned b0 = 0, f0 = 0, b1 = 0, f1 = 0;
    for (unsigned i = 0; i < 576; i++) {
        while (f0 >= l0->bands[b0].width) {
            b0++;
            f0 = 0;
        }
        while (f1 >= l1->bands[b1].width) {
            b1++;
            f1 = 0;
        }
        size_t p0 = band_pos(&l0->bands[b0], f0++, stride);
        size_t p1 = band_pos(&l1->bands[b1], f1++, stride) + 32u;
        float m = x[p0];
        float sd = x[p1];
        x[p0] = (m + sd) * r;
        x[p1] = (m - sd) * r;
    }
}

/* ---- frame --------------------------------------------------------------- */

void mp3_bits_init(mp3_bits *b, const uint8_t *d1, size_t n1, const uint8_t *d2, size_t n2)
{
    /* No pointer arithmetic on NULL (an empty range). */
    b->p = n1 ? d1 : NULL;
    b->end = n1 ? d1 + n1 : NULL;
    b->p2 = n2 ? d2 : NULL;
    b->end2 = n2 ? d2 + n2 : NULL;
    b->cache = 0;
    b->avail = 0;
    b->pulled = 0;
    b->total = (n1 + n2) * 8u;
}

/* Pointers to the two ranges, kept so a seek can restart. */
typedef struct l3_main {
    const uint8_t *d1;
    size_t n1;
    const uint8_t *d2;
    size_t n2;
} l3_main;

static void main_seek(mp3_bits *b, const l3_main *m, size_t pos)
{
    size_t byte = pos / 8u;
    if (byte < m->n1) {
        mp3_bits_init(b, m->d1 + byte, m->n1 - byte, m->d2, m->n2);
    } else if (byte - m->n1 < m->n2) {
        mp3_bits_init(b, m->d2 + (byte - m->n1), m->n2 - (byte - m->n1), NULL, 0);
    } else {
        mp3_bits_init(b, NULL, 0, NULL, 0);
    }
    b->pulled = byte * 8u;
    b->total = (m->n1 + m->n2) * 8u;
    mp3_bits_skip(b, 0);
    if (pos & 7u) {
        mp3_bits_peek(b, 8);
        mp3_bits_skip(b, (unsigned)(pos & 7u));
    }
}

/* Appends the frame's main data to the reservoir, keeping the last 511
 * bytes. */
static void reservoir_append(mp3_state *s, const uint8_t *data, size_t n)
{
    if (n >= MP3_RESERVOIR_MAX) {
        memcpy(s->resv, data + n - MP3_RESERVOIR_MAX, MP3_RESERVOIR_MAX);
        s->resv_len = MP3_RESERVOIR_MAX;
        return;
    }
    size_t keep = s->resv_len;
    if (keep + n > MP3_RESERVOIR_MAX) {
        size_t drop = keep + n - MP3_RESERVOIR_MAX;
        memmove(s->resv, s->resv + drop, keep - drop);
        keep -= drop;
    }
    if (n)
        memcpy(s->resv + keep, data, n);
    s->resv_len = (uint16_t)(keep + n);
}

/* IMDCT, alias reduction and overlap of one channel of a granule. */
static void l3_hybrid(mp3_state *s, float *x, float *ovl, size_t stride, const mp3_granule *g,
                      const l3_layout *lay, unsigned nz_sb, unsigned *ovl_sb)
{
    const segue_dsp *dsp = s->dsp;
    unsigned long_sb = lay->long_sb;
    /* Alias reduction between long-block subbands only (2.4.3.4: not for
     * short blocks, and only below the switch of a mixed block). */
    if (long_sb > 1) {
        unsigned nb = long_sb == 32 ? (nz_sb < 31 ? nz_sb : 31) : long_sb - 1;
        if (nb > 0)
            dsp->mpa_alias(x, stride, nb);
        if (nz_sb > 0 && nz_sb < 32)
            nz_sb++; /* the butterflies reach one subband further */
    }
    /* Subbands above both this spectrum and the stored overlap are zero in
     * and out: leave them (already zero). */
    unsigned active = nz_sb > *ovl_sb ? nz_sb : *ovl_sb;
    if (active > 32)
        active = 32;
    unsigned nl = long_sb < active ? long_sb : active;
    if (nl) {
        /* With mixed_block_flag set the two lowest subbands take the
         * normal window whatever the block type (as the ISO reference
         * decoder does, also for block_type 1 and 3). */
        unsigned lowest = g->window_switching && g->mixed_block ? (nl < 2 ? nl : 2u) : 0u;
        if (lowest)
            dsp->mpa_imdct36(x, ovl, stride, lowest, 0, 0);
        if (nl > lowest)
            dsp->mpa_imdct36(x + lowest, ovl + lowest, stride, nl - lowest, lowest,
                             g->block_type == 2 ? 0u : g->block_type);
    }
    if (active > long_sb)
        dsp->mpa_imdct12(x + long_sb, ovl + long_sb, stride, active - long_sb, long_sb);
    *ovl_sb = nz_sb > 32 ? 32 : nz_sb;
}

segue_status mp3_decode_layer3(mp3_state *s, const segue_mpa_header *h, const uint8_t *frame,
                               size_t size, size_t side, int check_crc, segue_error *err)
{
    int lsf = h->version != 1;
    unsigned nch = h->channels;
    unsigned ngr = lsf ? 1u : 2u;
    size_t side_len = lsf ? (nch == 1 ? 9u : 17u) : (nch == 1 ? 17u : 32u);
    size_t stride = 32u * nch;
    int ri = segue_mp3_rate_index(h->sample_rate);
    if (ri < 0 || size < side + side_len)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp3: frame of %zu bytes is shorter than its side information",
                               size);
    const segue_mp3_sfb *t = &segue_mp3_sfb_table[ri];

    /* Side information (2.4.1.7). */
    mp3_plain_bits sb = {frame + side, side_len * 8u, 0};
    unsigned main_data_begin = mp3_plain_get(&sb, lsf ? 8 : 9);
    mp3_plain_get(&sb, lsf ? (nch == 1 ? 1 : 2) : (nch == 1 ? 5 : 3)); /* private_bits */
    unsigned scfsi[2] = {0, 0};
    if (!lsf)
        for (unsigned ch = 0; ch < nch; ch++)
            scfsi[ch] = mp3_plain_get(&sb, 4);
    mp3_granule gi[2][2];
    memset(gi, 0, sizeof gi);
    size_t part23_total = 0;
    for (unsigned gr = 0; gr < ngr; gr++) {
        for (unsigned ch = 0; ch < nch; ch++) {
            mp3_granule *g = &gi[gr][ch];
            g->part2_3_length = (uint16_t)mp3_plain_get(&sb, 12);
            g->big_values = (uint16_t)mp3_plain_get(&sb, 9);
            g->global_gain = (uint16_t)mp3_plain_get(&sb, 8);
            g->scalefac_compress = (uint16_t)mp3_plain_get(&sb, lsf ? 9 : 4);
            g->window_switching = (uint8_t)mp3_plain_get(&sb, 1);
            if (g->window_switching) {
                g->block_type = (uint8_t)mp3_plain_get(&sb, 2);
                g->mixed_block = (uint8_t)mp3_plain_get(&sb, 1);
                for (unsigned r = 0; r < 2; r++)
                    g->table_select[r] = (uint8_t)mp3_plain_get(&sb, 5);
                for (unsigned w = 0; w < 3; w++)
                    g->subblock_gain[w] = (uint8_t)mp3_plain_get(&sb, 3);
                if (g->block_type == 0)
                    return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                           "mp3: window switching with block_type 0 (reserved)");
            } else {
                for (unsigned r = 0; r < 3; r++)
                    g->table_select[r] = (uint8_t)mp3_plain_get(&sb, 5);
                g->region0_count = (uint8_t)mp3_plain_get(&sb, 4);
                g->region1_count = (uint8_t)mp3_plain_get(&sb, 3);
            }
            if (!lsf)
                g->preflag = (uint8_t)mp3_plain_get(&sb, 1);
            g->scalefac_scale = (uint8_t)mp3_plain_get(&sb, 1);
            g->count1_table = (uint8_t)mp3_plain_get(&sb, 1);
            if (g->big_values > 288)
                return segue_error_set(err, SEGUE_ERR_CORRUPT, "mp3: big_values %u > 288",
                                       g->big_values);
            part23_total += g->part2_3_length;
        }
    }

    const uint8_t *main = frame + side + side_len;
    size_t main_len = size - side - side_len;
    if (part23_total > ((size_t)main_data_begin + main_len) * 8u)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "mp3: part2_3_length adds up to %zu bits, the frame holds %zu",
                               part23_total, ((size_t)main_data_begin + main_len) * 8u);

    /* Channel layout change (2.4.2.3 mode may change between frames):
     * re-lay the overlap, channel by channel, through the output buffer
     * (free at this point). A mono layout keeps channel 1's last overlap
     * in the second half, so it continues when the stream turns stereo
     * again, as a per-channel decoder's would. */
    if (s->overlap_nch != nch) {
        float *tmp = s->pcm;
        size_t old_stride = 32u * s->overlap_nch;
        for (unsigned c = 0; c < 2; c++)
            for (unsigned j = 0; j < 18; j++)
                for (unsigned k = 0; k < 32; k++)
                    tmp[c * 576u + j * 32u + k] =
                        s->overlap_nch == 2 ? s->overlap[j * old_stride + c * 32u + k]
                                            : s->overlap[c * 576u + j * 32u + k];
        for (unsigned c = 0; c < 2; c++)
            for (unsigned j = 0; j < 18; j++)
                for (unsigned k = 0; k < 32; k++) {
                    float v = tmp[c * 576u + j * 32u + k];
                    if (nch == 2)
                        s->overlap[j * stride + c * 32u + k] = v;
                    else
                        s->overlap[c * 576u + j * 32u + k] = v;
                }
        s->overlap_nch = nch;
    }

    int mute = 0;
    if (check_crc && h->protection) {
        uint16_t want = (uint16_t)((frame[4] << 8) | frame[5]);
        if (mp3_crc16(frame, side_len * 8u) != want) {
            mute = 1;
            s->crc_errors++;
            s->last_conceal = "CRC mismatch";
            s->frame_flags |= MP3_FRAME_CRC_MISMATCH;
        }
    }
    if (!mute && main_data_begin > s->resv_len) {
        mute = 1;
        s->last_conceal = "bit reservoir bytes missing";
        s->frame_flags |= MP3_FRAME_RESERVOIR_MISSING;
    }
    if (mute) {
        s->concealed++;
        s->frame_flags |= MP3_FRAME_CONCEALED;
    }

    l3_main m = {s->resv + s->resv_len - (mute ? 0 : main_data_begin), mute ? 0 : main_data_begin,
                 main, main_len};
    size_t bitpos = 0;
    for (unsigned gr = 0; gr < ngr; gr++) {
        float *x = s->pcm + (size_t)gr * 576u * nch;
        l3_layout lay[2];
        uint8_t sf[2][39];
        uint8_t is_max[2][39];
        l3_spectrum_info info[2];
        for (unsigned ch = 0; ch < nch; ch++) {
            mp3_granule *g = &gi[gr][ch];
            l3_make_layout(&lay[ch], g, t, lsf);
            if (mute) {
                for (unsigned j = 0; j < 18; j++)
                    for (unsigned k = 0; k < 32; k++)
                        x[j * stride + ch * 32u + k] = 0.0f;
                memset(&info[ch], 0, sizeof info[ch]);
                info[ch].max_long_band = info[ch].max_short_band[0] = info[ch].max_short_band[1] =
                    info[ch].max_short_band[2] = -1;
                memset(sf[ch], 0, 39);
                continue;
            }
            mp3_bits b;
            main_seek(&b, &m, bitpos);
            size_t end = bitpos + g->part2_3_length;
            if (!lsf) {
                l3_scalefactors_mpeg1(s, &b, g, gr, ch, scfsi[ch], sf[ch]);
            } else {
                int right_is = ch == 1 && (h->mode == 1) && (h->mode_extension & 1);
                l3_scalefactors_lsf(&b, g, right_is, sf[ch], is_max[ch]);
            }
            mp3_granule none;
            if (mp3_bits_tell(&b) > end) {
                /* Scale factors longer than the granule: no spectrum. No
                 * big values either: Huffman codes read from no bits are
                 * not all zeros (table 1 decodes '000' as 1, 1). */
                mp3_bits_init(&b, NULL, 0, NULL, 0);
                end = 0;
                none = *g;
                none.big_values = 0;
                g = &none;
            }
            l3_spectrum(&b, end, g, &lay[ch], sf[ch], t, x + ch * 32u, stride, &info[ch]);
            bitpos += g->part2_3_length;
        }
        if (nch == 2 && h->mode == 1 && !mute && (h->mode_extension & 3)) {
            /* Joint stereo needs both channels on the same block layout;
             * a frame that mixes them is processed on the left layout only
             * where both agree (the standard requires equal block types). */
            if (gi[gr][0].block_type == gi[gr][1].block_type &&
                gi[gr][0].mixed_block == gi[gr][1].mixed_block &&
                gi[gr][0].window_switching == gi[gr][1].window_switching) {
                l3_stereo(x, stride, h, &lay[1], &gi[gr][1], sf[1], is_max[1], &info[1]);
                unsigned nz = info[0].nz_sb > info[1].nz_sb ? info[0].nz_sb : info[1].nz_sb;
                info[0].nz_sb = info[1].nz_sb = nz;
            } else if (h->mode_extension & 2) {
                /* The channels' block types differ (not allowed with
                 * joint stereo): M/S line by line in bitstream order, as
                 * the ISO reference decoder does; no intensity stereo. */
                l3_ms_mismatched(x, stride, &lay[0], &lay[1]);
                info[0].nz_sb = info[1].nz_sb = 32;
            }
        }
        for (unsigned ch = 0; ch < nch; ch++) {
            unsigned *ovl_sb = &s->overlap_sb[ch];
            l3_hybrid(s, x + ch * 32u, s->overlap + ch * 32u, stride, &gi[gr][ch], &lay[ch],
                      info[ch].nz_sb, ovl_sb);
        }
        s->dsp->mpa_synth(x, 18, nch, &s->synth);
    }
    reservoir_append(s, main, main_len);
    return SEGUE_OK;
}
