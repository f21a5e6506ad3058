/* dsp/dither.c - requantisation with TPDF or noise-shaped dither (see
 * dither.h). */
#include "dither.h"

#include <math.h>

#include "core/alloc.h"

/* Error-feedback taps: the noise transfer function is
 * NTF(z) = 1 + c1 z^-1 + c2 z^-2 + c3 z^-3, the polynomial with zeros at
 * 0.95 e^(+-j 2 pi 3000/44100) and at 0.9 (a design of our own, see
 * docs/dsp.md): the noise is lowered by 22-35 dB from DC to 4 kHz, where
 * hearing is most sensitive, crosses 0 dB near 8 kHz and rises to +17 dB at
 * 22 kHz (total noise power +11.6 dB). Minimum phase (all zeros inside the
 * unit circle), so by the Gerzon-Craven theorem no shaping filter can lower
 * the noise everywhere; this one trades audible band for inaudible. At 48 kHz
 * the same taps put the notch at 3.3 kHz. */
#define NS_ORDER 3
static const double ns_taps[NS_ORDER] = {-2.62906671, 2.45866004, -0.81225};

struct segue_ditherer {
    const segue_allocator *allocator;
    unsigned channels;
    double scale;      /* 2^(bits-1): one LSB is 1/scale */
    double max_code;   /* scale - 1 */
    int use_dither;    /* TPDF noise added */
    int shaped;        /* error feedback on */
    uint64_t rng;      /* xorshift64* state, never 0 */
    double *history;   /* channels * NS_ORDER past errors, newest first */
};

/* splitmix64 finaliser: spreads a 32-bit seed over the 64-bit state so that
 * nearby seeds give unrelated sequences, and never yields the all-zero
 * state xorshift cannot leave. */
static uint64_t seed_state(uint32_t seed)
{
    uint64_t z = (uint64_t)seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z ? z : 0x2545F4914F6CDD1Dull;
}

/* xorshift64* (Marsaglia's xorshift with a multiplicative output stage):
 * a uniform value in [0, 1) with 24 random bits, exact in float and double. */
static double uniform(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 40) * (1.0 / 16777216.0);
}

segue_status segue_ditherer_create(segue_ditherer **out, unsigned channels, uint32_t sample_rate,
                                   unsigned bits, segue_dither_mode mode, uint32_t seed,
                                   const segue_allocator *a, segue_error *err)
{
    *out = NULL;
    if (!channels || bits < 8 || bits > 24)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "dither: %u channels, %u bits (1+ channels, 8..24 bits)", channels,
                               bits);
    if (mode != SEGUE_DITHER_AUTO && mode != SEGUE_DITHER_NONE && mode != SEGUE_DITHER_TPDF &&
        mode != SEGUE_DITHER_SHAPED)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "dither: unknown mode %d", (int)mode);
    segue_ditherer *d = segue_mem_calloc(a, 1, sizeof *d);
    if (!d)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "dither: out of memory");
    d->history = segue_mem_calloc(a, (size_t)channels * NS_ORDER, sizeof(double));
    if (!d->history) {
        segue_mem_free(a, d);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "dither: out of memory");
    }
    d->allocator = a;
    d->channels = channels;
    d->scale = ldexp(1.0, (int)bits - 1);
    d->max_code = d->scale - 1.0;
    d->use_dither = mode != SEGUE_DITHER_NONE;
    /* The shaping filter is designed for the 44.1/48 kHz audio band; at
     * other rates its notch would land elsewhere, so they get plain TPDF. */
    d->shaped = mode == SEGUE_DITHER_SHAPED && (sample_rate == 44100 || sample_rate == 48000);
    d->rng = seed_state(seed);
    *out = d;
    return SEGUE_OK;
}

void segue_ditherer_destroy(segue_ditherer *d)
{
    if (!d)
        return;
    segue_mem_free(d->allocator, d->history);
    segue_mem_free(d->allocator, d);
}

uint64_t segue_ditherer_process(segue_ditherer *d, float *inout, size_t frames)
{
    uint64_t clipped = 0;
    const unsigned channels = d->channels;
    for (size_t f = 0; f < frames; f++) {
        for (unsigned c = 0; c < channels; c++) {
            float *sample = inout + f * channels + c;
            double *err_hist = d->history + (size_t)c * NS_ORDER;
            double x = (double)*sample;
            if (x != x) /* NaN: nothing to keep */
                x = 0.0;
            /* In LSB units; bounded so that infinities and wild values stay
             * finite through the arithmetic below (they clip anyway). */
            double v = x * d->scale;
            if (v > 4.0 * d->scale)
                v = 4.0 * d->scale;
            else if (v < -4.0 * d->scale)
                v = -4.0 * d->scale;
            /* Error feedback: with e[n] = code[n] - v[n], the output is
             * x + e[n] + c1 e[n-1] + c2 e[n-2] + c3 e[n-3], i.e. the error
             * filtered by NTF(z). */
            if (d->shaped)
                v += ns_taps[0] * err_hist[0] + ns_taps[1] * err_hist[1] + ns_taps[2] * err_hist[2];
            double dither = 0.0;
            if (d->use_dither) /* TPDF: difference of two uniforms, +-1 LSB peak */
                dither = uniform(&d->rng) - uniform(&d->rng);
            double code = floor(v + dither + 0.5);
            if (d->shaped) {
                /* The error fed back is that of the quantiser alone (dither
                 * included, |e| < 1.5 LSB), never the clipping error, so the
                 * loop stays bounded even when the output clips. */
                err_hist[2] = err_hist[1];
                err_hist[1] = err_hist[0];
                err_hist[0] = code - v;
            }
            if (code > d->max_code) {
                code = d->max_code;
                clipped++;
            } else if (code < -d->scale) {
                code = -d->scale;
                clipped++;
            }
            /* |code| <= 2^23: code / scale is exact in binary32. */
            *sample = (float)(code / d->scale);
        }
    }
    return clipped;
}
