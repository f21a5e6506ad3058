/*
 * tests/aacenc/aacenc_entropy_test.c - unit tests of the AAC-LC encoder's
 * noiseless coding (codec/aac/enc/aac_enc_entropy.h).
 *
 * - Bit writer against a bit-at-a-time reference packer on random
 *   sequences of 0..32-bit writes; overflow of a small buffer sets the flag
 *   and never writes past the capacity.
 * - Every codeword of the scalefactor book and of spectral books 1..11 is
 *   written by the encoder and read back with segue's decoder tables
 *   (aac_huff_lut, codec/aac/aac_tables.h, an independent path from the
 *   same spec data): the values, signs and book 11 escapes come back and
 *   the bits written equal aacenc_spectral_bits()/aacenc_sf_bits().
 * - aacenc_spectral_bits_all() (and _max() given the maximum) equals
 *   aacenc_spectral_bits() per book on
 *   random bands of every magnitude class (including values outside every
 *   book but 11, and beyond 8191), and aacenc_spectral_bits() equals the
 *   bits that aacenc_spectral_write() emits.
 * - aacenc_section_plan() against exhaustive search on small random band
 *   sets (free, noise and intensity bands, uncodable books), long and short,
 *   and against the plain O(n^2) DP without pruning up to 64 bands;
 *   on long runs that need sect_len escapes its result is the cost of its
 *   own choice and no worse than one section per band or the cheapest
 *   single book; aacenc_section_write() is parsed back as the decoder's
 *   section_data() reads it.
 *
 * Plain C (no cmocka). Exit status: 0 all passed, 1 a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/aac/aac_tables.h"
#include "codec/aac/enc/aac_enc_entropy.h"

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (failures++ < 20) {                                                                 \
                printf("FAIL %s:%d: ", __FILE__, __LINE__);                                        \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static uint32_t rng = 0xacce55u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- a reader with the decoder's tables ---------------------------------- */
typedef struct reader {
    const uint8_t *buf;
    size_t nbytes, pos;
} reader;

static unsigned get_bit(reader *r)
{
    size_t p = r->pos++;
    if ((p >> 3) >= r->nbytes)
        return 0;
    return ((unsigned)r->buf[p >> 3] >> (7u - (p & 7u))) & 1u;
}

static unsigned get_bits(reader *r, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 1) | get_bit(r);
    return v;
}

static unsigned peek_bits(reader *r, unsigned n)
{
    size_t save = r->pos;
    unsigned v = get_bits(r, n);
    r->pos = save;
    return v;
}

/* One entry of `book` through aac_huff_lut (format: aac_tables.h): the
 * codeword, and for the unsigned books the sign bits too when the table
 * resolved them; consumes what the entry says. */
static uint32_t huff_entry(reader *r, unsigned book)
{
    const uint32_t *lut = aac_huff_lut + aac_huff_lut_root[book];
    uint32_t e = lut[peek_bits(r, AAC_HUFF_LUT_BITS)];
    if (e & AAC_HUFF_SUB) {
        r->pos += AAC_HUFF_LUT_BITS;
        e = lut[(e >> 8) + peek_bits(r, e & 0x1fu)];
    }
    r->pos += e & 0x3fu;
    return e;
}

/* Scalefactor book: the codeword's index (bits 8-15). */
static unsigned huff_decode(reader *r, unsigned book)
{
    return (huff_entry(r, book) >> 8) & 0xffu;
}

static const unsigned dim_of[12] = {0, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2};
/* Books 1, 2, 5, 6 are signed: index digits carry an offset (4.6.3.3). */
static const int signed_off[12] = {0, 1, 1, 0, 0, 4, 4, 0, 0, 0, 0, 0};

/* Decodes n values of `book` as spectral_data() does (4.6.3.3): codeword,
 * sign bits of the unsigned books, then book 11's escapes. */
static void decode_values(reader *r, unsigned book, int *v, size_t n)
{
    unsigned dim = dim_of[book], width = dim == 4 ? 4 : 6;
    for (size_t i = 0; i < n; i += dim) {
        uint32_t e = huff_entry(r, book);
        for (unsigned j = 0; j < dim; j++) {
            /* Two's complement field, first value on top. */
            int32_t f = (int32_t)(e << (width * j)) >> (32 - width);
            v[i + j] = f;
        }
        if (e & AAC_HUFF_SIGNS)
            for (unsigned j = 0; j < dim; j++)
                if (v[i + j] && get_bit(r))
                    v[i + j] = -v[i + j];
        if (book == 11)
            for (unsigned j = 0; j < 2; j++) {
                int a = v[i + j] < 0 ? -v[i + j] : v[i + j];
                if (a == 16) {
                    unsigned nn = 0;
                    while (get_bit(r) && nn < 20)
                        nn++;
                    a = (int)((1u << (nn + 4)) + get_bits(r, nn + 4));
                    v[i + j] = v[i + j] < 0 ? -a : a;
                }
            }
    }
}

/* ---- bit writer ----------------------------------------------------------- */
static void test_bitwriter(void)
{
    static uint8_t buf[4096], ref[4096];
    for (unsigned round = 0; round < 50; round++) {
        aacenc_bitwriter bw;
        aacenc_bw_init(&bw, buf, sizeof buf);
        memset(ref, 0, sizeof ref);
        size_t bits = 0;
        unsigned writes = rnd() % 900;
        for (unsigned w = 0; w < writes; w++) {
            unsigned n = rnd() % 33;
            uint32_t v = rnd() ^ (rnd() << 16);
            aacenc_bw_put(&bw, v, n);
            for (unsigned i = n; i-- > 0; bits++)
                if ((v >> i) & 1u)
                    ref[bits >> 3] |= (uint8_t)(0x80u >> (bits & 7u));
            CHECK(aacenc_bw_bits(&bw) == bits, "bit count %zu, want %zu", aacenc_bw_bits(&bw), bits);
        }
        size_t nb = aacenc_bw_flush(&bw);
        CHECK(!bw.overflow, "overflow flagged");
        CHECK(nb == (bits + 7) / 8, "flush gave %zu bytes, want %zu", nb, (bits + 7) / 8);
        CHECK(memcmp(buf, ref, nb) == 0, "round %u: bytes differ", round);
    }
    /* Overflow: a 5-byte buffer inside guards. */
    uint8_t guarded[16];
    memset(guarded, 0xA5, sizeof guarded);
    aacenc_bitwriter bw;
    aacenc_bw_init(&bw, guarded + 4, 5);
    for (unsigned i = 0; i < 10; i++)
        aacenc_bw_put(&bw, 0xFFFFFFFFu, 13);
    aacenc_bw_flush(&bw);
    CHECK(bw.overflow, "overflow not flagged");
    CHECK(bw.bytes <= 5, "wrote %zu bytes into 5", bw.bytes);
    for (unsigned i = 0; i < 16; i++)
        if (i < 4 || i >= 9)
            CHECK(guarded[i] == 0xA5, "wrote outside the buffer at %u", i);
    /* Flush pads with zeros. */
    uint8_t one[2] = {0xFF, 0xFF};
    aacenc_bw_init(&bw, one, 2);
    aacenc_bw_put(&bw, 5, 3);
    CHECK(aacenc_bw_flush(&bw) == 1 && one[0] == 0xA0, "padding: %02x", one[0]);
}

/* ---- codebooks ------------------------------------------------------------- */
static void test_sf_book(void)
{
    static uint8_t buf[1024];
    aacenc_bitwriter bw;
    aacenc_bw_init(&bw, buf, sizeof buf);
    size_t want = 0;
    for (int d = -60; d <= 60; d++) {
        aacenc_sf_write(&bw, d);
        want += aacenc_sf_bits(d);
    }
    CHECK(aacenc_bw_bits(&bw) == want, "sf bits %zu, want %zu", aacenc_bw_bits(&bw), want);
    size_t nb = aacenc_bw_flush(&bw);
    reader r = {buf, nb, 0};
    for (int d = -60; d <= 60; d++) {
        size_t at = r.pos;
        unsigned idx = huff_decode(&r, 0);
        CHECK((int)idx == d + 60, "sf %d decoded as %d", d, (int)idx - 60);
        CHECK(r.pos - at == aacenc_sf_bits(d), "sf %d: %zu bits, counted %u", d, r.pos - at,
              aacenc_sf_bits(d));
    }
    CHECK(aacenc_sf_bits(0) == 1, "sf 0 is the 1-bit codeword");
    CHECK(aacenc_sf_bits(61) == AACENC_BITS_INF && aacenc_sf_bits(-61) == AACENC_BITS_INF,
          "out-of-range differences are uncodable");
}

static const unsigned mod_of[12] = {0, 3, 3, 3, 3, 9, 9, 8, 8, 13, 13, 17};

/* Every codeword of every spectral book, with random signs and escapes. */
static void test_spectral_books(void)
{
    static uint8_t buf[8192];
    static int16_t q[4 * 289 * 2];
    static int got[4 * 289 * 2];
    for (unsigned book = 1; book <= 11; book++) {
        unsigned dim = dim_of[book], mod = mod_of[book];
        unsigned count = dim == 4 ? mod * mod * mod * mod : mod * mod;
        size_t n = 0;
        for (unsigned idx = 0; idx < count; idx++) {
            unsigned x = idx;
            int digits[4];
            for (unsigned j = dim; j-- > 0;) {
                digits[j] = (int)(x % mod);
                x /= mod;
            }
            for (unsigned j = 0; j < dim; j++) {
                int v = digits[j] - signed_off[book];
                if (!signed_off[book]) {
                    if (book == 11 && v == 16)
                        v = 16 + (int)(rnd() % 8176u); /* 16..8191 */
                    if (rnd() & 1u)
                        v = -v;
                }
                q[n++] = (int16_t)v;
            }
        }
        aacenc_bitwriter bw;
        aacenc_bw_init(&bw, buf, sizeof buf);
        aacenc_spectral_write(&bw, q, n, book);
        size_t bits = aacenc_bw_bits(&bw);
        CHECK(!bw.overflow, "book %u: overflow", book);
        unsigned counted = aacenc_spectral_bits(q, n, book);
        CHECK(counted == bits, "book %u: counted %u bits, wrote %zu", book, counted, bits);
        unsigned all[12];
        aacenc_spectral_bits_all(q, n, all);
        CHECK(all[book] == bits, "book %u: bits_all %u, wrote %zu", book, all[book], bits);
        size_t nb = aacenc_bw_flush(&bw);
        reader r = {buf, nb, 0};
        decode_values(&r, book, got, n);
        CHECK(r.pos == bits, "book %u: decoder read %zu bits of %zu", book, r.pos, bits);
        for (size_t i = 0; i < n; i++)
            if (got[i] != q[i]) {
                CHECK(0, "book %u value %zu: wrote %d, decoded %d", book, i, q[i], got[i]);
                break;
            }
    }
}

/* A random band whose magnitudes stay within `lim`, mostly small. */
static void random_band(int16_t *q, size_t n, unsigned lim)
{
    for (size_t i = 0; i < n; i++) {
        unsigned r = rnd() % 8u;
        unsigned a = r < 3 ? 0 : r < 6 ? rnd() % (lim < 2 ? lim + 1 : 3) : rnd() % (lim + 1);
        q[i] = (int16_t)((rnd() & 1u) ? -(int)a : (int)a);
    }
    if (n && lim && rnd() % 2u)
        q[rnd() % n] = (int16_t)lim; /* reach the class's edge */
}

static void test_bits_all(void)
{
    static const unsigned lims[] = {0, 1, 2, 3, 4, 5, 7, 8, 12, 13, 15, 16, 17, 31, 32, 100, 8191, 8192, 20000};
    static const size_t lens[] = {0, 4, 8, 12, 16, 32, 96, 128, 1024, 4096, 8192};
    static int16_t q[8192];
    static uint8_t buf[65536];
    for (size_t li = 0; li < sizeof lims / sizeof lims[0]; li++)
        for (size_t ni = 0; ni < sizeof lens / sizeof lens[0]; ni++)
            for (unsigned round = 0; round < 4; round++) {
                size_t n = lens[ni];
                unsigned lim = lims[li];
                random_band(q, n, lim);
                unsigned all[12], mx = 0;
                for (size_t i = 0; i < n; i++) {
                    unsigned a = (unsigned)(q[i] < 0 ? -q[i] : q[i]);
                    mx = a > mx ? a : mx;
                }
                aacenc_spectral_bits_all(q, n, all);
                unsigned allm[12];
                aacenc_spectral_bits_all_max(q, n, mx, allm);
                CHECK(memcmp(all, allm, sizeof all) == 0, "n %zu max %u: bits_all_max differs", n, mx);
                for (unsigned b = 0; b < 12; b++) {
                    unsigned one = aacenc_spectral_bits(q, n, b);
                    CHECK(all[b] == one, "n %zu max %u book %u: bits_all %u, bits %u", n, mx, b,
                          all[b], one);
                    int codable = mx <= aacenc_book_max[b];
                    CHECK((one < AACENC_BITS_INF) == codable, "n %zu max %u book %u: %u", n, mx, b,
                          one);
                    if (codable && b && n <= 1024) {
                        aacenc_bitwriter bw;
                        aacenc_bw_init(&bw, buf, sizeof buf);
                        aacenc_spectral_write(&bw, q, n, b);
                        CHECK(aacenc_bw_bits(&bw) == one, "n %zu book %u: wrote %zu, counted %u", n,
                              b, aacenc_bw_bits(&bw), one);
                        size_t nb = aacenc_bw_flush(&bw);
                        static int got[1024];
                        reader r = {buf, nb, 0};
                        decode_values(&r, b, got, n);
                        for (size_t i = 0; i < n; i++)
                            if (got[i] != q[i]) {
                                CHECK(0, "book %u value %zu: wrote %d, decoded %d", b, i, q[i], got[i]);
                                break;
                            }
                    }
                }
            }
    unsigned z[12];
    aacenc_spectral_bits_all(q, 0, z);
    CHECK(z[0] == 0, "empty band costs 0 with book 0");
    CHECK(aacenc_spectral_bits(q, 0, 13) == 0 && aacenc_spectral_bits(q, 4, 15) == 0,
          "noise and intensity bands cost no spectral bits");
}

/* ---- sections ------------------------------------------------------------- */
static unsigned header_bits(unsigned len, int shrt)
{
    unsigned sb = shrt ? 3u : 5u, esc = shrt ? 7u : 31u;
    return 4 + sb * (len / esc + 1);
}

/* The cost of a per-band choice of books, sections being maximal runs. */
static unsigned plan_cost(const unsigned (*bb)[12], const uint8_t *fixed, const uint8_t *book,
                          unsigned nb, int shrt)
{
    unsigned total = 0;
    for (unsigned i = 0; i < nb;) {
        unsigned j = i;
        while (j < nb && book[j] == book[i]) {
            unsigned f = fixed ? fixed[j] : 0;
            if (f) {
                if (f != book[j])
                    return AACENC_BITS_INF;
            } else {
                if (book[j] > 11 || bb[j][book[j]] >= AACENC_BITS_INF)
                    return AACENC_BITS_INF;
                total += bb[j][book[j]];
            }
            j++;
        }
        total += header_bits(j - i, shrt);
        i = j;
    }
    return total;
}

static const uint8_t choices[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15};

static unsigned brute(const unsigned (*bb)[12], const uint8_t *fixed, unsigned nb, int shrt,
                      uint8_t *cur, unsigned at)
{
    if (at == nb)
        return plan_cost(bb, fixed, cur, nb, shrt);
    unsigned best = AACENC_BITS_INF;
    for (unsigned c = 0; c < sizeof choices; c++) {
        unsigned k = choices[c];
        unsigned f = fixed ? fixed[at] : 0;
        if (f ? k != f : (k > 11 || bb[at][k] >= AACENC_BITS_INF))
            continue;
        cur[at] = (uint8_t)k;
        unsigned t = brute(bb, fixed, nb, shrt, cur, at + 1);
        best = t < best ? t : best;
    }
    return best;
}

/* Parses section_data() for one group as the decoder does (4.5.2.3). */
static int parse_sections(reader *r, uint8_t *book, unsigned nb, int shrt)
{
    unsigned sb = shrt ? 3u : 5u, esc = shrt ? 7u : 31u;
    unsigned k = 0;
    while (k < nb) {
        unsigned cb = get_bits(r, 4), len = 0, incr;
        do {
            incr = get_bits(r, sb);
            len += incr;
        } while (incr == esc);
        if (len == 0 || k + len > nb)
            return -1;
        for (unsigned i = 0; i < len; i++)
            book[k++] = (uint8_t)cb;
    }
    return 0;
}

static void check_written(const uint8_t *book, unsigned nb, int shrt, unsigned section_bits)
{
    static uint8_t buf[1024];
    uint8_t back[AACENC_MAX_SECTION_BANDS];
    aacenc_bitwriter bw;
    aacenc_bw_init(&bw, buf, sizeof buf);
    aacenc_section_write(&bw, book, nb, shrt);
    CHECK(aacenc_bw_bits(&bw) == section_bits, "section_data %zu bits, plan counted %u",
          aacenc_bw_bits(&bw), section_bits);
    size_t n = aacenc_bw_flush(&bw);
    reader r = {buf, n, 0};
    CHECK(parse_sections(&r, back, nb, shrt) == 0 && memcmp(back, book, nb) == 0,
          "section_data does not parse back");
}

static unsigned spectral_part(const unsigned (*bb)[12], const uint8_t *fixed, const uint8_t *book,
                              unsigned nb)
{
    unsigned s = 0;
    for (unsigned i = 0; i < nb; i++)
        if (!(fixed && fixed[i]))
            s += bb[i][book[i]];
    return s;
}

static void random_costs(unsigned (*bb)[12], uint8_t *fixed, unsigned nb, int with_fixed)
{
    for (unsigned i = 0; i < nb; i++) {
        /* Like real bands: a max magnitude class rules out the small books,
         * larger books cost less or more at random. */
        unsigned first = rnd() % 12u;
        for (unsigned k = 0; k < 12; k++)
            bb[i][k] = (k < first || (k == 0 && first)) ? AACENC_BITS_INF : rnd() % 60u;
        if (rnd() % 5u == 0)
            bb[i][rnd() % 12u] = AACENC_BITS_INF;
        bb[i][11] = bb[i][11] >= AACENC_BITS_INF ? 40 + rnd() % 60u : bb[i][11];
        fixed[i] = 0;
        if (with_fixed && rnd() % 4u == 0)
            fixed[i] = (uint8_t)(13 + rnd() % 3u);
    }
}

/* The section DP in its plainest form: every last section [j, i) with every
 * book, no pruning (exact: a plan is a sequence of sections). */
static unsigned reference_plan(const unsigned (*bb)[12], const uint8_t *fixed, unsigned nb,
                               int shrt)
{
    unsigned long long best[AACENC_MAX_SECTION_BANDS + 1];
    best[0] = 0;
    for (unsigned i = 1; i <= nb; i++) {
        best[i] = ~0ull;
        for (unsigned c = 0; c < sizeof choices; c++) {
            unsigned k = choices[c];
            unsigned long long sum = 0;
            for (unsigned j = i; j-- > 0;) {
                unsigned f = fixed ? fixed[j] : 0;
                if (f ? f != k : (k > 11 || bb[j][k] >= AACENC_BITS_INF))
                    break;
                sum += f ? 0 : bb[j][k];
                if (best[j] != ~0ull && best[j] + sum + header_bits(i - j, shrt) < best[i])
                    best[i] = best[j] + sum + header_bits(i - j, shrt);
            }
        }
    }
    return best[nb] >= AACENC_BITS_INF ? AACENC_BITS_INF : (unsigned)best[nb];
}

static void test_sections(void)
{
    unsigned bb[AACENC_MAX_SECTION_BANDS][12];
    uint8_t fixed[AACENC_MAX_SECTION_BANDS], book[AACENC_MAX_SECTION_BANDS],
        cur[AACENC_MAX_SECTION_BANDS];
    for (unsigned round = 0; round < 300; round++) {
        unsigned nb = 1 + rnd() % 5u;
        int shrt = (int)(rnd() & 1u);
        int with_fixed = round % 3 == 0;
        random_costs(bb, fixed, nb, with_fixed);
        const uint8_t *fx = with_fixed ? fixed : NULL;
        unsigned got = aacenc_section_plan((const unsigned(*)[12])bb, fx, nb, shrt, book);
        unsigned want = brute((const unsigned(*)[12])bb, fx, nb, shrt, cur, 0);
        CHECK(got == want, "round %u (%u bands): plan %u, exhaustive %u", round, nb, got, want);
        if (got < AACENC_BITS_INF) {
            CHECK(plan_cost((const unsigned(*)[12])bb, fx, book, nb, shrt) == got,
                  "round %u: the books chosen cost %u, plan said %u", round,
                  plan_cost((const unsigned(*)[12])bb, fx, book, nb, shrt), got);
            check_written(book, nb, shrt, got - spectral_part((const unsigned(*)[12])bb, fx, book, nb));
        }
    }
    /* Long runs: escapes of sect_len (31 long, 7 short). */
    for (unsigned round = 0; round < 60; round++) {
        int shrt = (int)(round & 1u);
        unsigned nb = shrt ? 1 + rnd() % 15u : 1 + rnd() % 51u;
        if (round < 8)
            nb = shrt ? 7 + round / 2 : 31 + round / 2; /* right at the escape */
        int flat = round % 3 != 2;
        random_costs(bb, fixed, nb, round % 4 == 3);
        if (flat)
            for (unsigned i = 0; i < nb; i++) {
                fixed[i] = 0;
                for (unsigned k = 0; k < 12; k++)
                    bb[i][k] = k == 7 ? 10 : k == 9 ? 11 : AACENC_BITS_INF;
            }
        const uint8_t *fx = round % 4 == 3 && !flat ? fixed : NULL;
        unsigned got = aacenc_section_plan((const unsigned(*)[12])bb, fx, nb, shrt, book);
        CHECK(got < AACENC_BITS_INF, "round %u: no plan", round);
        unsigned self = plan_cost((const unsigned(*)[12])bb, fx, book, nb, shrt);
        CHECK(self == got, "round %u: the books chosen cost %u, plan said %u", round, self, got);
        if (flat) {
            unsigned want = 10 * nb + header_bits(nb, shrt);
            CHECK(got == want, "round %u: one section of book 7 costs %u, plan %u", round, want, got);
            for (unsigned i = 0; i < nb; i++)
                CHECK(book[i] == 7, "round %u: band %u book %u", round, i, book[i]);
        }
        /* No worse than the cheapest book per band, one section each. */
        unsigned per_band = 0;
        for (unsigned i = 0; i < nb; i++) {
            unsigned m = AACENC_BITS_INF;
            if (fx && fx[i])
                m = 0;
            else
                for (unsigned k = 0; k < 12; k++)
                    m = bb[i][k] < m ? bb[i][k] : m;
            per_band += m + header_bits(1, shrt);
        }
        CHECK(got <= per_band, "round %u: plan %u worse than per-band %u", round, got, per_band);
        check_written(book, nb, shrt, got - spectral_part((const unsigned(*)[12])bb, fx, book, nb));
    }
    /* Every size up to 64 long and 15 short bands (sect_len escapes at 31
     * and 7) against the plain DP, with runs of equal costs that favour long
     * sections and fixed bands in between. */
    for (unsigned round = 0; round < 600; round++) {
        int shrt = (int)(round & 1u);
        /* Long: up to the 64 bands the planner takes (from 62 on, past two
         * sect_len pieces, it scans instead of keeping window minima). */
        unsigned nb = shrt ? 1 + rnd() % 15u : 1 + rnd() % AACENC_MAX_SECTION_BANDS;
        int with_fixed = round % 5 == 1;
        random_costs(bb, fixed, nb, with_fixed);
        if (round % 3 == 0) /* long cheap runs of one book */
            for (unsigned i = 0; i < nb; i++)
                if (rnd() % 8u) {
                    bb[i][0] = AACENC_BITS_INF;
                    bb[i][9] = 3;
                }
        const uint8_t *fx = with_fixed ? fixed : NULL;
        unsigned got = aacenc_section_plan((const unsigned(*)[12])bb, fx, nb, shrt, book);
        unsigned want = reference_plan((const unsigned(*)[12])bb, fx, nb, shrt);
        CHECK(got == want, "round %u (%u bands, %s): plan %u, plain DP %u", round, nb,
              shrt ? "short" : "long", got, want);
        if (got < AACENC_BITS_INF)
            CHECK(plan_cost((const unsigned(*)[12])bb, fx, book, nb, shrt) == got,
                  "round %u: the books chosen cost %u, plan said %u", round,
                  plan_cost((const unsigned(*)[12])bb, fx, book, nb, shrt), got);
    }
    /* A band no book codes, and too many bands. */
    for (unsigned k = 0; k < 12; k++)
        bb[0][k] = AACENC_BITS_INF;
    CHECK(aacenc_section_plan((const unsigned(*)[12])bb, NULL, 1, 0, book) == AACENC_BITS_INF,
          "an uncodable band has no plan");
    CHECK(aacenc_section_plan((const unsigned(*)[12])bb, NULL, 0, 0, book) == 0,
          "no bands cost nothing");
    CHECK(aacenc_section_plan((const unsigned(*)[12])bb, NULL, AACENC_MAX_SECTION_BANDS + 1, 0,
                              book) == AACENC_BITS_INF,
          "too many bands refused");
}

int main(void)
{
    test_bitwriter();
    test_sf_book();
    test_spectral_books();
    test_bits_all();
    test_sections();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("aacenc_entropy: all passed\n");
    return 0;
}
