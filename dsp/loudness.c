/*
 * dsp/loudness.c - EBU R 128 measurement through libebur128 (loudness.h).
 *
 * References: ITU-R BS.1770-4 (K-weighting, channel weights, gating, true
 * peak by 4x oversampling, Annex 2), EBU Tech 3341 (momentary 400 ms and
 * short-term 3 s windows, maxima), EBU Tech 3342 (loudness range),
 * ReplayGain 2.0 specification (reference -18 LUFS, peak) and EBU R 128
 * (target -23 LUFS).
 *
 * libebur128 filters (K-weighting), weights the channels and keeps the
 * 400 ms and 3 s windows, the peaks and the true-peak oversampler. The
 * gating is ours: every 100 ms the momentary (400 ms) value is a BS.1770-4
 * gating block and the short-term (3 s) value an EBU Tech 3342 block, and
 * each goes into a fixed histogram of 0.01 LU bins holding counts and
 * energy sums. Memory is then fixed (two 128 KiB histograms) whatever the
 * input length, where libebur128's own block lists grow by about 1 MB per
 * hour and its histogram mode rounds to 0.1 LU bins (up to 0.05 LU off);
 * the energy sums keep the gated means exact but for the one bin that
 * straddles a relative gate. libebur128 allocates with the C library.
 */
#include "loudness.h"

#include <ebur128.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/speakers.h"

/* Gating histogram: 0.01 LU bins from the absolute gate (-70 LUFS) up to
 * +10 LUFS (louder blocks land in the last bin; their energy still counts
 * exactly). */
#define GATE_FLOOR_LUFS (-70.0)
#define GATE_BINS_PER_LU 100
#define GATE_BINS 8000

typedef struct gating_histogram {
    uint64_t count[GATE_BINS];
    double energy[GATE_BINS]; /* sum of 10^((L + 0.691) / 10) of the blocks */
} gating_histogram;

struct segue_loudness_meter {
    segue_allocator allocator;
    ebur128_state *st;
    gating_histogram *blocks;      /* 400 ms gating blocks (integrated) */
    gating_histogram *short_terms; /* 3 s blocks (loudness range) */
    unsigned channels;
    uint32_t rate;
    size_t block_frames;      /* 100 ms: the step of the M and S windows */
    size_t block_fill;        /* frames of the current step fed so far */
    uint64_t frames;          /* total fed */
    double momentary_max, short_term_max;
};

/* BS.1770-4 Table 3 weights by position: libebur128 applies 1.0 to
 * left/right/centre and 1.41 (+1.5 dB) to the surround positions. Speakers
 * at +-110 degrees (side and back pairs of a WAVE mask) are the surrounds;
 * LFE is excluded (BS.1770-4 2.3: not included in the measurement); the
 * other positions take libebur128's ITU positions, which weight them as
 * the standard's table does. */
static int channel_for_bit(uint32_t bit)
{
    switch (bit) {
    case SPK_FL: return EBUR128_LEFT;
    case SPK_FR: return EBUR128_RIGHT;
    case SPK_FC: return EBUR128_CENTER;
    case SPK_LFE: return EBUR128_UNUSED;
    case SPK_BL:
    case SPK_SL: return EBUR128_LEFT_SURROUND;
    case SPK_BR:
    case SPK_SR: return EBUR128_RIGHT_SURROUND;
    case SPK_FLC: return EBUR128_MpSC;
    case SPK_FRC: return EBUR128_MmSC;
    case SPK_BC: return EBUR128_Mp180;
    case SPK_TC: return EBUR128_Tp000;
    case SPK_TFL: return EBUR128_Up030;
    case SPK_TFC: return EBUR128_Up000;
    case SPK_TFR: return EBUR128_Um030;
    case SPK_TBL: return EBUR128_Up135;
    case SPK_TBC: return EBUR128_Up180;
    case SPK_TBR: return EBUR128_Um135;
    default: return EBUR128_UNUSED;
    }
}


static unsigned bit_count(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1u)
        n++;
    return n;
}

segue_status segue_loudness_meter_create(segue_loudness_meter **out, uint32_t sample_rate,
                                         unsigned channels, uint32_t channel_mask,
                                         const segue_allocator *a, segue_error *err)
{
    if (!out)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "loudness: no output pointer");
    *out = NULL;
    if (channels == 0 || channels > 64)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "loudness: %u channels (1..64)",
                               channels);
    /* libebur128 accepts 16 Hz .. 2.8 MHz; below 100 Hz there is no 100 ms
     * block of whole frames to step the windows by. */
    if (sample_rate < 100 || sample_rate > 2822400)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "loudness: %u Hz cannot be measured (100..2822400 Hz)", sample_rate);
    const segue_allocator *al = segue_allocator_or_default(a);
    segue_loudness_meter *m = segue_mem_calloc(al, 1, sizeof *m);
    if (!m)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "loudness: out of memory");
    m->allocator = *al;
    m->channels = channels;
    m->rate = sample_rate;
    m->block_frames = sample_rate / 10u;
    m->momentary_max = m->short_term_max = -HUGE_VAL;
    m->blocks = segue_mem_calloc(al, 1, sizeof *m->blocks);
    m->short_terms = segue_mem_calloc(al, 1, sizeof *m->short_terms);
    m->st = m->blocks && m->short_terms
                ? ebur128_init(channels, sample_rate,
                               EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK |
                                   EBUR128_MODE_SAMPLE_PEAK)
                : NULL;
    if (!m->st) {
        segue_mem_free(&m->allocator, m->blocks);
        segue_mem_free(&m->allocator, m->short_terms);
        segue_mem_free(&m->allocator, m);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "loudness: cannot create the meter");
    }
    uint32_t mask = channel_mask;
    if (!mask || bit_count(mask) < channels)
        mask = segue_default_channel_mask(channels);
    /* Channel i takes the i-th set bit of the mask (WAVE order); channels
     * beyond the mask are left out of the measurement. */
    uint32_t rest = mask;
    for (unsigned c = 0; c < channels; c++) {
        int pos = EBUR128_UNUSED;
        if (rest) {
            uint32_t bit = rest & (~rest + 1u);
            rest &= ~bit;
            pos = channel_for_bit(bit);
        } else if (!mask && c < 2) {
            pos = c == 0 ? EBUR128_LEFT : EBUR128_RIGHT;
        }
        ebur128_set_channel(m->st, c, pos);
    }
    *out = m;
    return SEGUE_OK;
}

void segue_loudness_meter_destroy(segue_loudness_meter *m)
{
    if (!m)
        return;
    ebur128_destroy(&m->st);
    segue_mem_free(&m->allocator, m->blocks);
    segue_mem_free(&m->allocator, m->short_terms);
    segue_allocator a = m->allocator;
    segue_mem_free(&a, m);
}

/* Mean-square energy of a block from its loudness: BS.1770-4 eq. 2,
 * L = -0.691 + 10 log10(z). */
static double block_energy(double lufs)
{
    return pow(10.0, (lufs + 0.691) / 10.0);
}

static double energy_lufs(double z)
{
    return z > 0.0 ? -0.691 + 10.0 * log10(z) : -HUGE_VAL;
}

/* Blocks at or below the absolute gate (-70 LUFS, BS.1770-4 eq. 5; EBU
 * Tech 3342 2.4) are never used, so they are not kept. */
static void histogram_add(gating_histogram *h, double lufs)
{
    if (!(lufs > GATE_FLOOR_LUFS))
        return;
    double pos = (lufs - GATE_FLOOR_LUFS) * GATE_BINS_PER_LU;
    size_t bin = pos >= GATE_BINS - 1 ? GATE_BINS - 1 : (size_t)pos;
    h->count[bin]++;
    h->energy[bin] += block_energy(lufs);
}

static double bin_floor(size_t bin)
{
    return GATE_FLOOR_LUFS + (double)bin / GATE_BINS_PER_LU;
}

/* 1 when the blocks of `bin` lie above `gate`: whole bins by their floor,
 * the one bin the gate cuts by the loudness of its mean energy. */
static int bin_above(const gating_histogram *h, size_t bin, double gate)
{
    if (bin_floor(bin) >= gate)
        return 1;
    if (bin_floor(bin + 1) <= gate || !h->count[bin])
        return 0;
    return energy_lufs(h->energy[bin] / (double)h->count[bin]) > gate;
}

/* The relative gate: `offset` LU below the loudness of the mean energy of
 * every kept block (BS.1770-4 eq. 6 with -10 LU; Tech 3342 with -20 LU).
 * -HUGE_VAL when nothing passed the absolute gate. */
static double relative_gate(const gating_histogram *h, double offset)
{
    uint64_t n = 0;
    double z = 0.0;
    for (size_t b = 0; b < GATE_BINS; b++) {
        n += h->count[b];
        z += h->energy[b];
    }
    return n ? energy_lufs(z / (double)n) + offset : -HUGE_VAL;
}

/* Integrated loudness, BS.1770-4 eq. 7: the mean energy of the blocks
 * above both gates. */
static double gated_integrated(const gating_histogram *h)
{
    double gate = relative_gate(h, -10.0);
    if (gate == -HUGE_VAL)
        return -HUGE_VAL;
    uint64_t n = 0;
    double z = 0.0;
    for (size_t b = 0; b < GATE_BINS; b++)
        if (h->count[b] && bin_above(h, b, gate)) {
            n += h->count[b];
            z += h->energy[b];
        }
    return n ? energy_lufs(z / (double)n) : -HUGE_VAL;
}

/* Loudness range, EBU Tech 3342 2.4: the spread between the 10th and 95th
 * percentiles of the short-term values above both gates (relative gate
 * -20 LU). Percentiles by nearest rank over the 0.01 LU bins (bin
 * centres). */
static double gated_range(const gating_histogram *h)
{
    double gate = relative_gate(h, -20.0);
    if (gate == -HUGE_VAL)
        return 0.0;
    uint64_t n = 0;
    for (size_t b = 0; b < GATE_BINS; b++)
        if (h->count[b] && bin_above(h, b, gate))
            n += h->count[b];
    if (!n)
        return 0.0;
    uint64_t rank_lo = (uint64_t)ceil(0.10 * (double)n), rank_hi = (uint64_t)ceil(0.95 * (double)n);
    if (rank_lo < 1)
        rank_lo = 1;
    double lo = 0.0, hi = 0.0;
    uint64_t seen = 0;
    int have_lo = 0;
    for (size_t b = 0; b < GATE_BINS; b++) {
        if (!h->count[b] || !bin_above(h, b, gate))
            continue;
        seen += h->count[b];
        double centre = bin_floor(b) + 0.5 / GATE_BINS_PER_LU;
        if (!have_lo && seen >= rank_lo) {
            lo = centre;
            have_lo = 1;
        }
        if (seen >= rank_hi) {
            hi = centre;
            break;
        }
    }
    return hi - lo;
}

/* After each complete 100 ms step: the momentary (400 ms) and short-term
 * (3 s) values of the window ending there. They are the gating blocks of
 * BS.1770-4 (400 ms, 75 % overlap, from the start of the stream) and of
 * Tech 3342 (3 s, updated every 100 ms), and give the maxima of Tech 3341
 * 2.3. Windows not yet filled are left out so a stream's first samples do
 * not count as a short window. */
static void note_windows(segue_loudness_meter *m)
{
    double v;
    if (m->frames >= (uint64_t)m->rate * 4u / 10u &&
        ebur128_loudness_momentary(m->st, &v) == EBUR128_SUCCESS) {
        histogram_add(m->blocks, v);
        if (v > m->momentary_max)
            m->momentary_max = v;
    }
    if (m->frames >= (uint64_t)m->rate * 3u &&
        ebur128_loudness_shortterm(m->st, &v) == EBUR128_SUCCESS) {
        histogram_add(m->short_terms, v);
        if (v > m->short_term_max)
            m->short_term_max = v;
    }
}

segue_status segue_loudness_meter_add(segue_loudness_meter *m, const float *interleaved,
                                      size_t frames, segue_error *err)
{
    if (!m || (!interleaved && frames))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "loudness: no meter or samples");
    while (frames) {
        size_t n = m->block_frames - m->block_fill;
        if (n > frames)
            n = frames;
        if (ebur128_add_frames_float(m->st, interleaved, n) != EBUR128_SUCCESS)
            return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "loudness: meter out of memory");
        interleaved += n * m->channels;
        frames -= n;
        m->frames += n;
        m->block_fill += n;
        if (m->block_fill == m->block_frames) {
            m->block_fill = 0;
            note_windows(m);
        }
    }
    return SEGUE_OK;
}

segue_status segue_loudness_meter_result(segue_loudness_meter *m, segue_loudness_result *r,
                                         segue_error *err)
{
    if (!m || !r)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "loudness: no meter or result");
    memset(r, 0, sizeof *r);
    r->integrated_lufs = gated_integrated(m->blocks);
    r->range_lu = gated_range(m->short_terms);
    r->true_peak = r->sample_peak = 0.0;
    for (unsigned c = 0; c < m->channels; c++) {
        double tp = 0.0, sp = 0.0;
        if (ebur128_true_peak(m->st, c, &tp) == EBUR128_SUCCESS && tp > r->true_peak)
            r->true_peak = tp;
        if (ebur128_sample_peak(m->st, c, &sp) == EBUR128_SUCCESS && sp > r->sample_peak)
            r->sample_peak = sp;
    }
    /* The oversampled peak is never below the sample peak it interpolates. */
    if (r->true_peak < r->sample_peak)
        r->true_peak = r->sample_peak;
    r->momentary_max_lufs = m->momentary_max;
    r->short_term_max_lufs = m->short_term_max;
    return SEGUE_OK;
}

void segue_loudness_to_tags(const segue_loudness_result *r, segue_loudness *tags)
{
    if (!r || !tags)
        return;
    /* Silence (or nothing above the -70 LUFS absolute gate) has no
     * integrated loudness and so no gain; the peak is still known. */
    if (isfinite(r->integrated_lufs)) {
        /* ReplayGain 2.0: gain = -18 LUFS - I; EBU R 128: -23 LUFS - I. */
        tags->has_track_gain = 1;
        tags->track_gain_db = -18.0 - r->integrated_lufs;
        tags->has_r128_track = 1;
        tags->r128_track_gain_db = -23.0 - r->integrated_lufs;
    }
    /* ReplayGain 2.0 peak: the true peak, linear. */
    tags->has_track_peak = 1;
    tags->track_peak = r->true_peak;
}
