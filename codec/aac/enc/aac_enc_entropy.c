/*
 * codec/aac/enc/aac_enc_entropy.c - noiseless coding of the AAC-LC encoder
 * (ISO/IEC 14496-3 4.6.3; syntax of 4.5.2.3): bit writer, spectral and
 * scalefactor Huffman coding, and optimal section planning.
 *
 * Tables: aac_enc_tables.c (generated from the decoder generator's codebook
 * data by tools/gen_aac_enc_tables.py). Counting uses packed tables that
 * give several books' bits per lookup in 16-bit fields; writing uses one
 * code | length << 24 word per codeword index.
 */
#include "codec/aac/enc/aac_enc_entropy.h"

#include "codec/aac/enc/aac_enc_tables.h"

/* ---- bit writer ----------------------------------------------------------- */

void aacenc_bw_init(aacenc_bitwriter *bw, uint8_t *buf, size_t cap)
{
    bw->buf = buf;
    bw->cap = buf ? cap : 0;
    bw->bytes = 0;
    bw->cache = 0;
    bw->cached = 0;
    bw->overflow = 0;
}

/* Moves whole bytes from the top of the cache to buf until fewer than
 * `keep_below` bits remain; marks overflow when buf is full. */
static void bw_drain(aacenc_bitwriter *bw, unsigned keep_below)
{
    while (bw->cached >= keep_below && bw->cached >= 8) {
        if (bw->bytes >= bw->cap) {
            bw->overflow = 1;
            bw->cached = 0;
            bw->cache = 0;
            return;
        }
        bw->cached -= 8;
        bw->buf[bw->bytes++] = (uint8_t)(bw->cache >> bw->cached);
    }
    bw->cache &= bw->cached ? (((uint64_t)1 << bw->cached) - 1) : 0;
}

void aacenc_bw_put(aacenc_bitwriter *bw, uint32_t value, unsigned nbits)
{
    if (bw->overflow || nbits == 0) {
        return;
    }
    if (nbits > 32) {
        nbits = 32;
    }
    /* cached < 32 on entry (drained below), so 64 bits always hold it. */
    bw->cache = (bw->cache << nbits) | ((uint64_t)value & (((uint64_t)1 << nbits) - 1));
    bw->cached += nbits;
    if (bw->cached >= 32) {
        if (bw->bytes + 4 <= bw->cap) {
            unsigned s = bw->cached - 32;
            uint32_t w = (uint32_t)(bw->cache >> s);
            bw->buf[bw->bytes] = (uint8_t)(w >> 24);
            bw->buf[bw->bytes + 1] = (uint8_t)(w >> 16);
            bw->buf[bw->bytes + 2] = (uint8_t)(w >> 8);
            bw->buf[bw->bytes + 3] = (uint8_t)w;
            bw->bytes += 4;
            bw->cached = s;
            bw->cache &= s ? (((uint64_t)1 << s) - 1) : 0;
        } else {
            bw_drain(bw, 8);
        }
    }
}

size_t aacenc_bw_bits(const aacenc_bitwriter *bw)
{
    return bw->bytes * 8 + bw->cached;
}

size_t aacenc_bw_flush(aacenc_bitwriter *bw)
{
    if (!bw->overflow && (bw->cached & 7u)) {
        aacenc_bw_put(bw, 0, 8 - (bw->cached & 7u));
    }
    if (!bw->overflow) {
        bw_drain(bw, 8);
    }
    return bw->bytes;
}

/* ---- spectral books -------------------------------------------------------- */

const uint16_t aacenc_book_max[12] = {0, 1, 1, 2, 2, 4, 4, 7, 7, 12, 12, 8191};

/* Tuple size, modulus, and the offset a signed book adds to each value
 * (4.6.3.3, Table 4.150); 0 offset marks an unsigned book. */
static const uint8_t book_dim[12] = {0, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2};
static const uint8_t book_mod[12] = {0, 3, 3, 3, 3, 9, 9, 8, 8, 13, 13, 17};
static const uint8_t book_off[12] = {0, 1, 1, 0, 0, 4, 4, 0, 0, 0, 0, 0};

static unsigned iabs(int v)
{
    return v < 0 ? (unsigned)-v : (unsigned)v;
}

/* Escape of book 11 for |v| >= 16 (4.6.3.3): N ones, a zero, and the N + 4
 * low bits of v, where N = floor(log2 v) - 4: 2 floor(log2 v) - 3 bits. */
static unsigned floor_log2(unsigned v)
{
#if defined(__GNUC__)
    return v ? 31u - (unsigned)__builtin_clz(v) : 0u;
#else
    unsigned r = 0;
    while (v >>= 1) {
        r++;
    }
    return r;
#endif
}

static unsigned esc_bits(unsigned a)
{
    return a >= 16 ? 2 * floor_log2(a) - 3 : 0;
}

/* Largest |q[i]|. */
static unsigned band_max(const int16_t *q, size_t n)
{
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned a = iabs(q[i]);
        m = a > m ? a : m;
    }
    return m;
}

unsigned aacenc_spectral_bits(const int16_t *q, size_t n, unsigned book)
{
    if (book >= 13 && book <= 15) {
        return 0; /* noise and intensity bands send no spectral_data */
    }
    if (book > 11) {
        return AACENC_BITS_INF;
    }
    unsigned m = band_max(q, n);
    if (m > aacenc_book_max[book]) {
        return AACENC_BITS_INF;
    }
    if (book == 0) {
        return 0;
    }
    const uint8_t *len = aacenc_hcb_bits[book];
    unsigned bits = 0;
    if (book_dim[book] == 4) {
        if (book_off[book]) {
            for (size_t i = 0; i + 4 <= n; i += 4) {
                bits += len[27 * (q[i] + 1) + 9 * (q[i + 1] + 1) + 3 * (q[i + 2] + 1) + (q[i + 3] + 1)];
            }
        } else {
            for (size_t i = 0; i + 4 <= n; i += 4) {
                bits += len[27 * iabs(q[i]) + 9 * iabs(q[i + 1]) + 3 * iabs(q[i + 2]) + iabs(q[i + 3])];
            }
        }
        return bits;
    }
    unsigned mod = book_mod[book];
    if (book_off[book]) {
        int off = book_off[book];
        for (size_t i = 0; i + 2 <= n; i += 2) {
            bits += len[(unsigned)(q[i] + off) * mod + (unsigned)(q[i + 1] + off)];
        }
    } else if (book < 11 || m < 16) {
        for (size_t i = 0; i + 2 <= n; i += 2) {
            bits += len[iabs(q[i]) * mod + iabs(q[i + 1])];
        }
    } else {
        for (size_t i = 0; i + 2 <= n; i += 2) {
            unsigned y = iabs(q[i]), z = iabs(q[i + 1]);
            bits += len[(y < 16 ? y : 16) * 17 + (z < 16 ? z : 16)] + esc_bits(y) + esc_bits(z);
        }
    }
    return bits;
}

#define F0(v) ((unsigned)((v)&0xFFFFu))
#define F1(v) ((unsigned)(((v) >> 16) & 0xFFFFu))
#define F2(v) ((unsigned)(((v) >> 32) & 0xFFFFu))
#define F3(v) ((unsigned)(((v) >> 48) & 0xFFFFu))

/* Values per chunk of the packed sums: a 4-tuple costs at most 20 bits and
 * a pair at most 17 in any field, so 2048 values keep every 16-bit field
 * below 2^16. */
#define CHUNK 2048u

void aacenc_spectral_bits_all(const int16_t *q, size_t n, unsigned bits[12])
{
    aacenc_spectral_bits_all_max(q, n, band_max(q, n), bits);
}

void aacenc_spectral_bits_all_max(const int16_t *q, size_t n, unsigned max_abs, unsigned bits[12])
{
    unsigned m = max_abs;
    if (m > 8191) {
        for (unsigned k = 0; k < 12; k++) {
            bits[k] = AACENC_BITS_INF;
        }
        return;
    }
    bits[0] = m ? AACENC_BITS_INF : 0;
    unsigned b1 = 0, b2 = 0, b3 = 0, b4 = 0;
    unsigned b5 = 0, b6 = 0, b7 = 0, b8 = 0, b9 = 0, b10 = 0, b11 = 0;
    if (m == 0) {
        /* All zero: each tuple costs the book's zero codeword. */
        uint64_t z4 = aacenc_quad_bits[312], zl = aacenc_pair_bits_lo[544],
                 zh = aacenc_pair_bits_hi[544];
        unsigned nq = (unsigned)(n / 4), np = (unsigned)(n / 2);
        b1 = F0(z4) * nq, b2 = F1(z4) * nq, b3 = F2(z4) * nq, b4 = F3(z4) * nq;
        b5 = F0(zl) * np, b6 = F1(zl) * np, b7 = F2(zl) * np, b8 = F3(zl) * np;
        b9 = F0(zh) * np, b10 = F1(zh) * np, b11 = F2(zh) * np;
    } else {
        for (size_t c = 0; c < n; c += CHUNK) {
            size_t e = n - c < CHUNK ? n : c + CHUNK;
            if (m <= 2) {
                uint64_t acc = 0;
                for (size_t i = c; i + 4 <= e; i += 4) {
                    acc += aacenc_quad_bits[125 * q[i] + 25 * q[i + 1] + 5 * q[i + 2] + q[i + 3] + 312];
                }
                b1 += F0(acc), b2 += F1(acc), b3 += F2(acc), b4 += F3(acc);
            }
            uint64_t lo = 0, hi = 0;
            if (m <= 7) {
                for (size_t i = c; i + 2 <= e; i += 2) {
                    int idx = 33 * q[i] + q[i + 1] + 544;
                    lo += aacenc_pair_bits_lo[idx];
                    hi += aacenc_pair_bits_hi[idx];
                }
            } else if (m < 16) {
                /* Books 5-8 cannot code the band: only 9-11 are counted. */
                for (size_t i = c; i + 2 <= e; i += 2) {
                    hi += aacenc_pair_bits_hi[33 * q[i] + q[i + 1] + 544];
                }
            } else {
                /* Only book 11 codes the band: its unsigned index of the
                 * clamped magnitudes, sign bits included, plus escapes. */
                const uint8_t *len = aacenc_hcb_bits[11];
                unsigned sum = 0;
                for (size_t i = c; i + 2 <= e; i += 2) {
                    unsigned y = iabs(q[i]), z = iabs(q[i + 1]);
                    unsigned cy = y < 16 ? y : 16, cz = z < 16 ? z : 16;
                    sum += len[cy * 17 + cz];
                    if ((y | z) >= 16) {
                        sum += esc_bits(y) + esc_bits(z);
                    }
                }
                b11 += sum;
            }
            b5 += F0(lo), b6 += F1(lo), b7 += F2(lo), b8 += F3(lo);
            b9 += F0(hi), b10 += F1(hi), b11 += F2(hi);
        }
    }
    bits[1] = m <= 1 ? b1 : AACENC_BITS_INF;
    bits[2] = m <= 1 ? b2 : AACENC_BITS_INF;
    bits[3] = m <= 2 ? b3 : AACENC_BITS_INF;
    bits[4] = m <= 2 ? b4 : AACENC_BITS_INF;
    bits[5] = m <= 4 ? b5 : AACENC_BITS_INF;
    bits[6] = m <= 4 ? b6 : AACENC_BITS_INF;
    bits[7] = m <= 7 ? b7 : AACENC_BITS_INF;
    bits[8] = m <= 7 ? b8 : AACENC_BITS_INF;
    bits[9] = m <= 12 ? b9 : AACENC_BITS_INF;
    bits[10] = m <= 12 ? b10 : AACENC_BITS_INF;
    bits[11] = b11;
}

/* Escape word of book 11 (4.6.3.3, hcod_esc_y/z) for |v| >= 16. */
static void put_esc(aacenc_bitwriter *bw, unsigned a)
{
    unsigned l = floor_log2(a); /* 4..12 */
    unsigned nn = l - 4;
    /* nn ones then a zero (escape_prefix, escape_separator), then the
     * nn + 4 bits of a below its leading one (escape_word). */
    aacenc_bw_put(bw, ((1u << nn) - 1u) << 1, nn + 1);
    aacenc_bw_put(bw, a & ((1u << l) - 1u), l);
}

static unsigned clamp_abs(int v, unsigned lav)
{
    unsigned a = iabs(v);
    return a < lav ? a : lav;
}

void aacenc_spectral_write(aacenc_bitwriter *bw, const int16_t *q, size_t n, unsigned book)
{
    if (book == 0 || book > 11) {
        return; /* no spectral_data for the zero, noise and intensity books */
    }
    const uint32_t *code = aacenc_hcb_code[book];
    unsigned lav = aacenc_book_max[book], mod = book_mod[book];
    if (book_dim[book] == 4) {
        for (size_t i = 0; i + 4 <= n; i += 4) {
            unsigned idx = 0, signs = 0, ns = 0;
            for (unsigned j = 0; j < 4; j++) {
                int v = q[i + j];
                if (book_off[book]) {
                    int c = v < -1 ? -1 : v > 1 ? 1 : v;
                    idx = idx * 3 + (unsigned)(c + 1);
                } else {
                    unsigned a = clamp_abs(v, lav);
                    idx = idx * 3 + a;
                    if (a) {
                        signs = (signs << 1) | (v < 0);
                        ns++;
                    }
                }
            }
            uint32_t w = code[idx];
            unsigned len = w >> 24;
            /* Codeword (<= 16 bits) and its sign bits in one put. */
            aacenc_bw_put(bw, ((w & 0xFFFFFFu) << ns) | signs, len + ns);
        }
        return;
    }
    for (size_t i = 0; i + 2 <= n; i += 2) {
        int y = q[i], z = q[i + 1];
        if (book_off[book]) {
            int off = book_off[book];
            int cy = y < -off ? -off : y > off ? off : y;
            int cz = z < -off ? -off : z > off ? off : z;
            uint32_t w = code[(unsigned)(cy + off) * mod + (unsigned)(cz + off)];
            aacenc_bw_put(bw, w & 0xFFFFFFu, w >> 24);
            continue;
        }
        unsigned ay = clamp_abs(y, lav), az = clamp_abs(z, lav);
        unsigned cy = ay, cz = az;
        if (book == 11) {
            cy = ay < 16 ? ay : 16;
            cz = az < 16 ? az : 16;
        }
        uint32_t w = code[cy * mod + cz];
        unsigned signs = 0, ns = 0;
        if (ay) {
            signs = (unsigned)(y < 0), ns = 1;
        }
        if (az) {
            signs = (signs << 1) | (unsigned)(z < 0), ns++;
        }
        aacenc_bw_put(bw, ((w & 0xFFFFFFu) << ns) | signs, (w >> 24) + ns);
        if (cy == 16 && book == 11) {
            put_esc(bw, ay);
        }
        if (cz == 16 && book == 11) {
            put_esc(bw, az);
        }
    }
}

/* ---- scalefactors ------------------------------------------------------------ */

unsigned aacenc_sf_bits(int delta)
{
    if (delta < -60 || delta > 60) {
        return AACENC_BITS_INF;
    }
    return aacenc_sf_code[delta + 60] >> 24;
}

void aacenc_sf_write(aacenc_bitwriter *bw, int delta)
{
    int d = delta < -60 ? -60 : delta > 60 ? 60 : delta;
    uint32_t w = aacenc_sf_code[d + 60];
    aacenc_bw_put(bw, w & 0xFFFFFFu, w >> 24);
}

/* ---- section data -------------------------------------------------------------- */

/* section_data() header of one section of L bands (4.5.2.3): 4 bits of
 * sect_cb, then sect_len_incr pieces of 5 (long) or 3 (short) bits, a piece
 * equal to 31 (7) meaning "more follows": 4 + sb (L / esc + 1) bits. */

/* The dynamic programme's tables: best[i] is the fewest bits for bands
 * [0, i), its last section [from[i], i) coded with book cb[i]; can[b] the
 * books 0..11 that code free band b, as a bit mask (0 for a band of fixed
 * book). A section of one book is never worth splitting (two headers cost
 * more than one longer), so the minimum over all section boundaries is the
 * minimum over per-band book choices. */
typedef struct plan_tables {
    uint64_t best[AACENC_MAX_SECTION_BANDS + 1];
    uint8_t from[AACENC_MAX_SECTION_BANDS + 1], cb[AACENC_MAX_SECTION_BANDS + 1];
    uint16_t can[AACENC_MAX_SECTION_BANDS];
} plan_tables;

typedef struct plan_pick {
    uint64_t bits;
    unsigned from, book;
} plan_pick;

static void pick(plan_pick *p, uint64_t bits, unsigned from, unsigned book)
{
    if (bits < p->bits) {
        p->bits = bits;
        p->from = from;
        p->book = book;
    }
}

/* Sections ending at band i - 1 with book k (fixed_book: the bands' fixed
 * book, which costs no spectral bits). Scans the section's start back.
 * Pruning (exact): extending it from j to any j' < j costs t(j') =
 * best[j'] + hdr(i - j') + S(j', i) (S the bands' bits); since best[j'] +
 * hdr(j - j') + S(j', j) >= best[j] (that is one plan of [0, j)) and hdr
 * grows with the length, t(j') >= best[j] + S(j, i): once that reaches the
 * best cost found for i, no longer section does better. */
static void scan_back(const plan_tables *t, const unsigned (*band_bits)[12], const uint8_t *fixed,
                      unsigned i, unsigned k, unsigned fixed_book, unsigned sb, unsigned esc,
                      plan_pick *p)
{
    uint64_t sum = 0;
    unsigned hdr = 4 + sb, left = esc - 1; /* the header of one band */
    for (unsigned j = i - 1;; j--) {
        if (fixed_book) {
            if (fixed[j] != fixed_book) {
                break;
            }
        } else {
            if (!((t->can[j] >> k) & 1u)) {
                break;
            }
            sum += band_bits[j][k];
        }
        uint64_t lb = t->best[j] + sum;
        if (lb >= p->bits) {
            break;
        }
        pick(p, lb + hdr, j, k);
        if (j == 0) {
            break;
        }
        /* One more sect_len piece each time the length reaches a multiple
         * of esc. */
        if (--left == 0) {
            hdr += sb;
            left = esc;
        }
    }
}

/* Any window, any number of bands: for each end, every book that codes the
 * last band, the previous band's book first (it usually is the optimum and
 * tightens the pruning bound), then largest first. */
static int plan_scan(plan_tables *t, const unsigned (*band_bits)[12], const uint8_t *fixed,
                     unsigned nbands, unsigned sb, unsigned esc)
{
    for (unsigned i = 1; i <= nbands; i++) {
        plan_pick p = {UINT64_MAX, 0, 0};
        unsigned f_last = fixed ? fixed[i - 1] : 0;
        if (f_last) {
            scan_back(t, band_bits, fixed, i, f_last, f_last, sb, esc, &p);
        } else {
            unsigned todo = t->can[i - 1];
            unsigned first = i > 1 && ((todo >> t->cb[i - 1]) & 1u) ? t->cb[i - 1] : 16u;
            while (todo) {
                unsigned k = first < 16 ? first : floor_log2(todo);
                first = 16;
                todo &= ~(1u << k);
                scan_back(t, band_bits, fixed, i, k, 0, sb, esc, &p);
            }
        }
        if (p.bits >= AACENC_BITS_INF) {
            return -1; /* a band no book can code */
        }
        t->best[i] = p.bits;
        t->from[i] = (uint8_t)p.from;
        t->cb[i] = (uint8_t)p.book;
    }
    return 0;
}

/* Long windows of fewer than 62 bands: a section has one sect_len piece
 * below 31 bands and two from 31, so its header is 9 or 14 bits. With
 * P_k(j) the bits of book k from the start of the current run of bands
 * it can code (lo_k) to j, the best section of book k ending at i costs
 *   P_k(i) + min(9 + min_{i-31 < j < i} V_k(j), 14 + min_{lo_k <= j <= i-31} V_k(j)),
 *   V_k(j) = best[j] - P_k(j), j >= lo_k:
 * the first minimum over a sliding window (a deque of increasing V), the
 * second over a prefix that only grows (a running minimum). O(bands x
 * books) instead of the scan's O(bands^2 x books). */
#define PLAN_LONG_ESC 31u
static int plan_long(plan_tables *t, const unsigned (*band_bits)[12], const uint8_t *fixed,
                     unsigned nbands)
{
    int64_t pre[12][AACENC_MAX_SECTION_BANDS + 1];
    int64_t dv[12][AACENC_MAX_SECTION_BANDS];
    uint8_t dj[12][AACENC_MAX_SECTION_BANDS];
    unsigned head[12], tail[12], lo[12], m1j[12];
    int64_t m1v[12];
    unsigned active = 0; /* books whose run reaches the previous band */
    for (unsigned i = 1; i <= nbands; i++) {
        unsigned b = i - 1;
        plan_pick p = {UINT64_MAX, 0, 0};
        unsigned f_last = fixed ? fixed[b] : 0;
        for (unsigned todo = t->can[b]; todo; todo &= todo - 1) {
            unsigned k = floor_log2(todo & (0u - todo));
            if (!((active >> k) & 1u)) {
                /* A run of bands book k codes starts at b. */
                lo[k] = b, head[k] = tail[k] = 0, m1v[k] = INT64_MAX, m1j[k] = 0, pre[k][b] = 0;
            }
            int64_t v = (int64_t)t->best[b] - pre[k][b];
            unsigned tl = tail[k];
            while (tl > head[k] && dv[k][tl - 1] >= v) {
                tl--;
            }
            dv[k][tl] = v;
            dj[k][tl] = (uint8_t)b;
            tail[k] = tl + 1;
            pre[k][i] = pre[k][b] + band_bits[b][k];
            if (i >= PLAN_LONG_ESC && i - PLAN_LONG_ESC >= lo[k]) {
                unsigned j1 = i - PLAN_LONG_ESC;
                int64_t v1 = (int64_t)t->best[j1] - pre[k][j1];
                if (v1 < m1v[k]) {
                    m1v[k] = v1, m1j[k] = j1;
                }
            }
            while (dj[k][head[k]] + PLAN_LONG_ESC <= i) {
                head[k]++; /* 31 bands or more: the two-piece class */
            }
            pick(&p, (uint64_t)(dv[k][head[k]] + pre[k][i]) + 9, dj[k][head[k]], k);
            if (m1v[k] != INT64_MAX) {
                pick(&p, (uint64_t)(m1v[k] + pre[k][i]) + 14, m1j[k], k);
            }
        }
        active = t->can[b];
        if (f_last) {
            scan_back(t, band_bits, fixed, i, f_last, f_last, 5, PLAN_LONG_ESC, &p);
        }
        if (p.bits >= AACENC_BITS_INF) {
            return -1; /* a band no book can code */
        }
        t->best[i] = p.bits;
        t->from[i] = (uint8_t)p.from;
        t->cb[i] = (uint8_t)p.book;
    }
    return 0;
}

unsigned aacenc_section_plan(const unsigned (*band_bits)[12], const uint8_t *fixed,
                             unsigned nbands, int short_window, uint8_t *book)
{
    plan_tables t;
    if (nbands > AACENC_MAX_SECTION_BANDS) {
        return AACENC_BITS_INF;
    }
    for (unsigned b = 0; b < nbands; b++) {
        unsigned m = 0;
        if (!(fixed && fixed[b])) {
            for (unsigned k = 0; k < 12; k++) {
                m |= (unsigned)(band_bits[b][k] < AACENC_BITS_INF) << k;
            }
        }
        t.can[b] = (uint16_t)m;
    }
    t.best[0] = 0;
    t.cb[0] = 0;
    int r = !short_window && nbands < 2 * PLAN_LONG_ESC
                ? plan_long(&t, band_bits, fixed, nbands)
                : plan_scan(&t, band_bits, fixed, nbands, short_window ? 3u : 5u,
                            short_window ? 7u : 31u);
    if (r != 0) {
        return AACENC_BITS_INF;
    }
    for (unsigned i = nbands; i > 0; i = t.from[i]) {
        for (unsigned j = t.from[i]; j < i; j++) {
            book[j] = t.cb[i];
        }
    }
    return (unsigned)t.best[nbands];
}

void aacenc_section_write(aacenc_bitwriter *bw, const uint8_t *book, unsigned nbands,
                          int short_window)
{
    unsigned sb = short_window ? 3u : 5u, esc = short_window ? 7u : 31u;
    for (unsigned i = 0; i < nbands;) {
        unsigned j = i + 1;
        while (j < nbands && book[j] == book[i]) {
            j++;
        }
        unsigned len = j - i;
        aacenc_bw_put(bw, book[i], 4);
        while (len >= esc) {
            aacenc_bw_put(bw, esc, sb);
            len -= esc;
        }
        aacenc_bw_put(bw, len, sb);
        i = j;
    }
}
