/* dsp/limiter.c - look-ahead true-peak limiter (see limiter.h).
 *
 * Per input frame k the limiter estimates the true peak of the interval
 * [k, k+1) as the largest magnitude, over all channels, of the sample
 * itself and of three interpolated points at k + 1/4, 2/4, 3/4 (4x
 * oversampling, the measurement ITU-R BS.1770-4 Annex 2 describes). The
 * gain that interval needs is r[k] = min(1, ceiling / peak).
 *
 * The applied gain g[n] is built so that g[n] <= r[m] for every m within
 * HOLD frames of n:
 *   1. s[j]  = min of r over [j - HOLD, j + LOOKAHEAD - 1 + HOLD]
 *   2. s2[j] = s[j] when it falls, else a one-pole approach towards s[j]
 *              (the release; always <= s[j])
 *   3. g[n]  = mean of s2 over [n - LOOKAHEAD + 1, n]
 * Every s2 in that mean covers frame n's window, so the mean cannot exceed
 * any r the window holds; the mean turns a gain step into a linear ramp of
 * LOOKAHEAD frames that ends exactly where the peak arrives (the attack).
 * The gain only ever multiplies by values <= 1.
 *
 * Latency: frame n leaves once frame n + TAPS_HALF + LOOKAHEAD - 1 + HOLD
 * has arrived (the interpolator needs TAPS_HALF frames after k). */
#include "limiter.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

/* Interpolator: windowed sinc, 2 * TAPS_HALF = 64 taps per phase, Kaiser window
 * beta 7. Within 0.01 dB of flat up to 0.46 fs, -0.1 dB at 0.47 fs (checked by
 * evaluating the phase responses when the taps were chosen). */
#define TAPS_HALF 32
#define TAPS (2 * TAPS_HALF)
#define PHASES 4
#define KAISER_BETA 7.0
#define PI 3.14159265358979323846
/* Look-ahead (= attack) and release time constant. */
#define LOOKAHEAD_SECONDS 0.002
#define RELEASE_SECONDS 0.1
/* Frames either side of a peak that the gain also covers: the interpolated
 * points near a peak are made of neighbouring samples too. */
#define HOLD 4

struct segue_limiter {
    const segue_allocator *allocator;
    unsigned channels;
    double ceiling;             /* linear */
    double release_coef;        /* per-frame one-pole coefficient */
    size_t lookahead;           /* frames */
    size_t latency;             /* frames */
    float taps[PHASES - 1][TAPS];  /* phases 1..3; phase 0 is the sample itself */

    float *history;             /* channels * 2 * TAPS: each sample stored twice so
                                   the last TAPS are contiguous */
    size_t hist_pos;

    /* Monotonic deque of (frame index, r) for the running minimum. */
    size_t window;              /* LOOKAHEAD + 2 * HOLD */
    int64_t *dq_index;
    double *dq_value;
    size_t dq_head, dq_count, dq_cap;

    double release_state;       /* s2[j - 1] */
    double *box;                /* last LOOKAHEAD values of s2 (ring) */
    size_t box_pos;
    double box_sum;
    size_t box_resum;           /* frames until the sum is recomputed */

    float *delay;               /* (latency + 1) frames of input (ring) */
    size_t delay_len;

    int64_t frames_in;          /* real frames taken since the last flush */
    int64_t frames_out;         /* frames handed out */
    int64_t clock;              /* frames pushed including flush padding */
    double min_gain;
};

static double bessel_i0(double x)
{
    /* Power series; converges quickly for the small arguments used here. */
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 64; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

/* Phase p (1..3) of the 4x interpolator: the value at k + p/4 is
 * sum_m x[k + m] h(p/4 - m), m = -TAPS_HALF+1 .. TAPS_HALF, with h a
 * Kaiser-windowed sinc; each phase is normalised to unity gain at DC. */
static void design_taps(segue_limiter *l)
{
    for (int p = 1; p < PHASES; p++) {
        double sum = 0.0, h[TAPS];
        for (int t = 0; t < TAPS; t++) {
            int m = t - TAPS_HALF + 1;
            double x = (double)p / PHASES - (double)m;
            double sinc = sin(PI * x) / (PI * x); /* x is never an integer */
            double u = x / (double)TAPS_HALF;
            double w = fabs(u) < 1.0 ? bessel_i0(KAISER_BETA * sqrt(1.0 - u * u)) / bessel_i0(KAISER_BETA)
                                     : 0.0;
            h[t] = sinc * w;
            sum += h[t];
        }
        for (int t = 0; t < TAPS; t++)
            l->taps[p - 1][t] = (float)(h[t] / sum);
    }
}

static void reset_state(segue_limiter *l)
{
    memset(l->history, 0, sizeof(float) * l->channels * 2 * TAPS);
    l->hist_pos = 0;
    l->dq_head = l->dq_count = 0;
    l->release_state = 1.0;
    for (size_t i = 0; i < l->lookahead; i++)
        l->box[i] = 1.0;
    l->box_pos = 0;
    l->box_sum = (double)l->lookahead;
    l->box_resum = 4096;
    memset(l->delay, 0, sizeof(float) * l->channels * l->delay_len);
    l->frames_in = l->frames_out = l->clock = 0;
}

segue_status segue_limiter_create(segue_limiter **out, uint32_t sample_rate, unsigned channels,
                                  double ceiling_dbtp, const segue_allocator *a, segue_error *err)
{
    *out = NULL;
    if (!sample_rate || !channels || channels > 64)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "limiter: %u Hz, %u channels (1..64)", (unsigned)sample_rate,
                               channels);
    if (!(ceiling_dbtp >= -60.0 && ceiling_dbtp <= 0.0))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "limiter: ceiling %g dBTP outside -60..0", ceiling_dbtp);
    segue_limiter *l = segue_mem_calloc(a, 1, sizeof *l);
    if (!l)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "limiter: out of memory");
    l->allocator = a;
    l->channels = channels;
    l->ceiling = pow(10.0, ceiling_dbtp / 20.0);
    l->release_coef = exp(-1.0 / (RELEASE_SECONDS * (double)sample_rate));
    l->lookahead = (size_t)lround(LOOKAHEAD_SECONDS * (double)sample_rate);
    if (l->lookahead < 1)
        l->lookahead = 1;
    l->latency = TAPS_HALF + l->lookahead - 1 + HOLD;
    l->window = l->lookahead + 2 * HOLD;
    l->dq_cap = l->window + 1;
    l->delay_len = l->latency + 1;
    l->history = segue_mem_calloc(a, (size_t)channels * 2 * TAPS, sizeof(float));
    l->dq_index = segue_mem_calloc(a, l->dq_cap, sizeof(int64_t));
    l->dq_value = segue_mem_calloc(a, l->dq_cap, sizeof(double));
    l->box = segue_mem_calloc(a, l->lookahead, sizeof(double));
    l->delay = segue_mem_calloc(a, l->delay_len * channels, sizeof(float));
    if (!l->history || !l->dq_index || !l->dq_value || !l->box || !l->delay) {
        segue_limiter_destroy(l);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "limiter: out of memory");
    }
    design_taps(l);
    reset_state(l);
    l->min_gain = 1.0;
    *out = l;
    return SEGUE_OK;
}

void segue_limiter_destroy(segue_limiter *l)
{
    if (!l)
        return;
    segue_mem_free(l->allocator, l->history);
    segue_mem_free(l->allocator, l->dq_index);
    segue_mem_free(l->allocator, l->dq_value);
    segue_mem_free(l->allocator, l->box);
    segue_mem_free(l->allocator, l->delay);
    segue_mem_free(l->allocator, l);
}

size_t segue_limiter_latency(const segue_limiter *l)
{
    return l->latency;
}

double segue_limiter_max_reduction_db(const segue_limiter *l)
{
    return l->min_gain < 1.0 ? 20.0 * log10(l->min_gain > 1e-12 ? l->min_gain : 1e-12) : 0.0;
}

/* The gain frame k needs, from the interpolation history whose newest
 * sample is frame k + TAPS_HALF. */
static double required_gain(const segue_limiter *l)
{
    double peak = 0.0;
    for (unsigned c = 0; c < l->channels; c++) {
        const float *x = l->history + (size_t)c * 2 * TAPS + l->hist_pos; /* x[0] = frame k-TAPS_HALF+1 */
        double s = fabs((double)x[TAPS_HALF - 1]);
        if (s > peak)
            peak = s;
        for (int p = 0; p < PHASES - 1; p++) {
            const float *h = l->taps[p];
            float acc = 0.0f;
            for (int t = 0; t < TAPS; t++)
                acc += h[t] * x[t];
            double v = fabs((double)acc);
            if (v > peak)
                peak = v;
        }
    }
    return peak > l->ceiling ? l->ceiling / peak : 1.0;
}

/* Takes one frame (NULL: silence past the end of the stream). Returns 1 and
 * writes one delayed, gain-controlled frame to `out` once the pipeline is
 * full. */
static int push_frame(segue_limiter *l, const float *frame, float *out)
{
    const unsigned channels = l->channels;
    /* 1. Delay line and interpolation history. */
    size_t slot = (size_t)(l->clock % (int64_t)l->delay_len);
    float *d = l->delay + slot * channels;
    for (unsigned c = 0; c < channels; c++) {
        float v = frame ? frame[c] : 0.0f;
        d[c] = v;
        float *h = l->history + (size_t)c * 2 * TAPS;
        h[l->hist_pos] = v;
        h[l->hist_pos + TAPS] = v;
    }
    l->hist_pos = (l->hist_pos + 1) % TAPS;

    /* 2. r[k] for k = clock - TAPS_HALF into the running minimum. */
    int64_t k = l->clock - TAPS_HALF;
    double r = required_gain(l);
    while (l->dq_count && l->dq_value[(l->dq_head + l->dq_count - 1) % l->dq_cap] >= r)
        l->dq_count--;
    l->dq_index[(l->dq_head + l->dq_count) % l->dq_cap] = k;
    l->dq_value[(l->dq_head + l->dq_count) % l->dq_cap] = r;
    l->dq_count++;
    while (l->dq_index[l->dq_head] <= k - (int64_t)l->window) {
        l->dq_head = (l->dq_head + 1) % l->dq_cap;
        l->dq_count--;
    }
    double s = l->dq_value[l->dq_head]; /* s[j], j = k - (LOOKAHEAD - 1 + HOLD) */

    /* 3. Release: fall at once, recover exponentially. */
    double s2 = s < l->release_state ? s : s + l->release_coef * (l->release_state - s);
    if (s2 > s)
        s2 = s;
    l->release_state = s2;

    /* 4. Attack: the mean of the last LOOKAHEAD values of s2. */
    l->box_sum += s2 - l->box[l->box_pos];
    l->box[l->box_pos] = s2;
    l->box_pos = (l->box_pos + 1) % l->lookahead;
    if (--l->box_resum == 0) { /* drop accumulated rounding */
        double sum = 0.0;
        for (size_t i = 0; i < l->lookahead; i++)
            sum += l->box[i];
        l->box_sum = sum;
        l->box_resum = 4096;
    }
    double g = l->box_sum / (double)l->lookahead;
    if (g > 1.0)
        g = 1.0;

    l->clock++;
    int64_t n = l->clock - 1 - (int64_t)l->latency; /* frame leaving now */
    if (n < 0)
        return 0;
    if (g < l->min_gain)
        l->min_gain = g;
    const float *src = l->delay + (size_t)(n % (int64_t)l->delay_len) * channels;
    float gf = (float)g;
    for (unsigned c = 0; c < channels; c++)
        out[c] = src[c] * gf;
    return 1;
}

void segue_limiter_process(segue_limiter *l, const float *in, size_t frames, float *out,
                           size_t *produced)
{
    size_t made = 0;
    const unsigned channels = l->channels;
    for (size_t f = 0; f < frames; f++) {
        /* The frame is copied into the delay line before anything is
         * written, and made <= f, so in == out is safe. */
        made += (size_t)push_frame(l, in + f * channels, out + made * channels);
    }
    l->frames_in += (int64_t)frames;
    l->frames_out += (int64_t)made;
    *produced = made;
}

void segue_limiter_flush(segue_limiter *l, float *out, size_t *produced)
{
    size_t made = 0;
    const unsigned channels = l->channels;
    /* Silence after the end pushes the held frames out; the frames it
     * releases itself are never handed out. */
    while (l->frames_out + (int64_t)made < l->frames_in)
        made += (size_t)push_frame(l, NULL, out + made * channels);
    *produced = made;
    reset_state(l); /* ready for a new stream */
}
