/*
 * codec/aac/enc/aac_enc_quant.c - scalefactors and quantisation.
 *
 * Noise model. AAC quantises q = nint(|x|^(3/4) / A^(3/4)) and
 * reconstructs A q^(4/3), A = 2^((sf - 100) / 4) (14496-3 4.6.1.3,
 * 4.6.2.3). With the rounding error uniform in the q domain (variance
 * 1/12) and the slope of the reconstruction (4/3) A^(1/4) |x|^(1/4), a
 * band's noise energy is about
 *   N(A) = (16/9) / 12 * A^(3/2) * sum |x|^(1/2) = (4/27) A^(3/2) F,
 * F the band's "form factor" sum sqrt|x| (the model of the 3GPP reference
 * encoder, TS 26.403 5.6.2). Setting N(A) to the allowed noise T gives the
 * scalefactor at which the band's noise meets its threshold:
 *   sf = 100 + (8/3) log2(27 T / (4 F)).
 * The rate control moves every band's noise target with one `offset`.
 * Up to BLEND_PIVOT it raises every scalefactor by the offset, scaling all
 * noise by the same factor (equal noise-to-mask ratio across bands). Past
 * the pivot, when the rate cannot keep the noise well under the masks, the
 * target grows by a constant in the fourth root of the threshold instead
 * (3GPP TS 26.403 5.6.1.2), which puts more of the extra noise where the
 * threshold is low. Bands whose signal falls under the raised target
 * quantise to zero.
 *
 * Constraints: sf within 0..255, |q| <= 8191 (the escape book's range),
 * consecutive coded scalefactors within +-60 (the scalefactor book,
 * 4.6.2.3.2); the chain is walked in coding order and a band that breaks it
 * is requantised at the nearest allowed value.
 *
 * Finally the scalefactors are chosen again by rate and distortion
 * (rd_scalefactors): a Viterbi search over a few values around the model's,
 * pricing spectral bits, scalefactor difference bits and noise.
 */
#include <math.h>
#include <string.h>

#include "codec/aac/enc/aac_enc.h"
#include "codec/aac/enc/aac_enc_entropy.h"

/* Rounding offset of the quantiser: 0.4054 = 1 - 0.5946, the dead zone
 * that makes the reconstruction A q^(4/3) the centroid of the
 * Laplacian-distributed lines better than 0.5 (rate-distortion gain at a
 * given rate, as in the ISO reference encoder). That is the offset for
 * tonal bands, where every partial is heard as a component of its own and
 * one lost in the dead zone leaves a hole. Noise-like bands, and the
 * windows of an EIGHT_SHORT frame (an attack), are heard by their energy
 * envelope rather than their line values (the premise of PNS, 4.6.13), so
 * they take a wider dead zone (offset 0.30): small lines go to zero, and the
 * bits they cost go to a finer step everywhere. The offset runs linearly
 * with the model's tonality in between. The wide dead zone takes energy
 * out of a band once the step is coarse (white noise at 16 kbit/s a
 * channel decodes 1 dB low), so it is used only at rates from 48 kbit/s a
 * channel (aacenc_quant_tables.round_noise); below, PNS keeps the level of
 * the noise bands and every band takes AACENC_ROUNDING_TONAL. PEAQ on the
 * development corpus's music, CBR 96 kbit/s: about 0.05 ODG on the mean
 * (drums 0.1 to 0.2, the orchestral clips little); 0.25 loses
 * orchestral_dense, and 0.45 everywhere loses drums (docs/aac-encoder.md). */
#define AACENC_ROUNDING_TONAL 0.4054f
#define AACENC_ROUNDING_NOISE 0.30f

/* Analysis by synthesis per band: when the measured noise exceeds
 * REFINE_MARGIN times its target (the threshold scaled by the offset), up
 * to REFINE_STEPS finer scalefactors. The margin keeps the model's verdict
 * where it is close (the noise estimate is a mean over random phases). */
/* Offsets up to BLEND_PIVOT (noise 4.5 dB under the thresholds) scale every
 * band's noise by the same factor; above it, the extra noise is a constant
 * in the fourth root of the threshold (see quant_one), which grows by
 * 2^(1/16) per offset step (BLEND_SLOPE, in aacenc_quant_init). PEAQ on the
 * development corpus, CBR: pivot 0 gave mean ODG -0.365 at 128k and -0.776
 * at 96k; -6 gives -0.328 and -0.602; -11 wins at 128k but loses the drum
 * clip at 96k. With the noise-band dead zone and no PNS at 48 kbit/s a
 * channel, pivot -4 with slope 1/16 scores about 0.05 higher on the music
 * mean at 96k and 0.02 lower at 128k than pivot -6 with slope 3/32: a
 * slower blend keeps the noise nearer equal-NMR when the rate is short. */
#define BLEND_PIVOT (-4)
#define BLEND_SLOPE 0.0625f
#define REFINE_STEPS 2
#define REFINE_MARGIN 1.5f

void aacenc_quant_init(aacenc_quant_tables *t, int wide_dead_zone)
{
    t->round_noise = wide_dead_zone ? AACENC_ROUNDING_NOISE : AACENC_ROUNDING_TONAL;
    for (int sf = 0; sf < 256; sf++) {
        t->istep[sf] = powf(2.0f, -0.1875f * (float)(sf - 100));
        t->step[sf] = powf(2.0f, 0.25f * (float)(sf - 100));
    }
    for (int o = 0; o < 384; o++)
        t->noise_gain[o] = powf(2.0f, 0.375f * (float)(o - 128));
    for (int d = -60; d <= 60; d++)
        t->sf_len[d + 60] = (uint8_t)aacenc_sf_bits(d);
    for (int o = 0; o < 256; o++)
        t->blend[o] = powf(2.0f, BLEND_SLOPE * (float)o) - 1.0f;
}

/* Per band: the noise-model scalefactor before the offset (float), and the
 * smallest scalefactor that keeps |q| <= 8191. Kept in form[] and the upper
 * half of sf[] is not used: we store them in two arrays of the channel. */
void aacenc_quant_prepare(const segue_dsp *dsp, aacenc_chan *c, unsigned nbands)
{
    const aacenc_layout *l = &c->layout;
    dsp->aacenc_pow34(c->spec34, c->spec, AACENC_FRAME);
    unsigned nb = l->num_swb, n4 = 0;
    float sum4 = 0.0f;
    for (unsigned g = 0; g < l->num_groups; g++) {
        for (unsigned b = 0; b < nb; b++) {
            unsigned gb = g * nb + b, lo = l->band_off[gb], hi = l->band_off[gb + 1];
            float f = 0.0f, m = 0.0f;
            if (b < nbands) {
                for (unsigned i = lo; i < hi; i++) {
                    float a = c->spec34[i];
                    /* sqrt|x| = (|x|^(3/4))^(2/3) */
                    f += sqrtf(fabsf(c->spec[i]));
                    m = a > m ? a : m;
                }
            }
            c->form[gb] = f;
            float thr = c->psy.thr[gb];
            if (f <= 0.0f || !(thr > 0.0f) || !(m > 0.0f)) {
                c->sf_base[gb] = 1e9f; /* codes nothing */
                c->sf_min[gb] = 255;
                continue;
            }
            c->sf_base[gb] = 100.0f + 2.6666667f * log2f(27.0f * thr / (4.0f * f));
            c->thr4[gb] = sqrtf(sqrtf(thr));
            sum4 += c->thr4[gb];
            n4++;
            /* m * 2^(-3/16 (sf - 100)) + 0.4054 < 8192 */
            float smin = 100.0f + 5.3333333f * log2f(m / 8191.0f);
            int si = (int)ceilf(smin);
            c->sf_min[gb] = si < 0 ? 0 : si > 255 ? 255 : si;
        }
    }
    c->avg4 = n4 ? sum4 / (float)n4 : 0.0f;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Quantises band gb at scalefactor sf; returns max |q|. */
static int quant_band(const segue_dsp *dsp, const aacenc_quant_tables *t, aacenc_chan *c,
                      unsigned gb, int sf, float rounding)
{
    unsigned lo = c->layout.band_off[gb], n = c->layout.band_off[gb + 1] - lo;
    return dsp->aacenc_quantize(c->q + lo, c->spec + lo, c->spec34 + lo, n, t->istep[sf],
                                rounding);
}

static int quant_band_to(const segue_dsp *dsp, const aacenc_quant_tables *t, const aacenc_chan *c,
                         unsigned gb, int sf, float rounding, int16_t *q)
{
    unsigned lo = c->layout.band_off[gb], n = c->layout.band_off[gb + 1] - lo;
    return dsp->aacenc_quantize(q, c->spec + lo, c->spec34 + lo, n, t->istep[sf], rounding);
}

static unsigned plan(aacenc_chan *c, unsigned max_sfb)
{
    const aacenc_layout *l = &c->layout;
    unsigned nb = l->num_swb, bits = 0;
    int is_short = l->window_sequence == AACENC_EIGHT_SHORT;
    c->max_sfb = max_sfb;
    for (unsigned g = 0; g < l->num_groups; g++) {
        if (max_sfb == 0)
            break;
        bits += aacenc_section_plan((const unsigned(*)[12])c->band_bits[g * nb], c->fixed + g * nb,
                                    max_sfb, is_short, c->book + g * nb);
    }
    /* scale_factor_data: differences along the bands whose book is not 0.
     * A band of zeros inside a section takes the previous scalefactor (a
     * difference of 0, one bit; its lines decode to 0 at any step), or the
     * first coded one before any. */
    int first = -1;
    for (unsigned gb = 0; gb < (unsigned)l->num_groups * nb && first < 0; gb++)
        if (!c->zero[gb] && !c->pns[gb] && gb % nb < max_sfb)
            first = c->sf[gb];
    int prev = first < 0 ? 100 : first;
    unsigned sfb = 0;
    int first_noise = 1, prev_nrg = 0, prev_is = 0;
    c->global_gain = prev;
    for (unsigned g = 0; g < l->num_groups; g++) {
        for (unsigned b = 0; b < max_sfb; b++) {
            unsigned gb = g * nb + b;
            if (c->book[gb] == AACENC_ZERO_HCB)
                continue;
            if (c->book[gb] == AACENC_INTENSITY_HCB || c->book[gb] == AACENC_INTENSITY_HCB2) {
                /* is_position: differences from 0 along the intensity
                 * bands (4.6.2.3.3), within the book's +-60. */
                int v = c->is_pos[gb];
                v = v < prev_is - 60 ? prev_is - 60 : v > prev_is + 60 ? prev_is + 60 : v;
                sfb += aacenc_sf_bits(v - prev_is);
                c->is_pos[gb] = v;
                prev_is = v;
                continue;
            }
            if (c->book[gb] == AACENC_NOISE_HCB) {
                /* 4.6.13.3: the first energy is sent as 9 bits relative
                 * to global_gain - 90, the others as differences. */
                int v = c->nrg[gb];
                if (first_noise) {
                    int lo9 = c->global_gain - 90 - 256, hi9 = c->global_gain - 90 + 255;
                    v = v < lo9 ? lo9 : v > hi9 ? hi9 : v;
                    sfb += 9;
                    first_noise = 0;
                } else {
                    v = v < prev_nrg - 60 ? prev_nrg - 60 : v > prev_nrg + 60 ? prev_nrg + 60 : v;
                    sfb += aacenc_sf_bits(v - prev_nrg);
                }
                v = v < -100 ? -100 : v > 155 ? 155 : v;
                c->nrg[gb] = v;
                prev_nrg = v;
                continue;
            }
            if (c->zero[gb])
                c->sf[gb] = prev;
            sfb += aacenc_sf_bits(c->sf[gb] - prev);
            prev = c->sf[gb];
        }
    }
    c->spectral_bits = bits;
    c->sf_bits = sfb;
    return bits + sfb;
}

/* Rate-distortion choice of the scalefactors (after the noise model has
 * given each band its value s0). At 96 kbit/s stereo the model's values
 * jump by 1 to 4 between neighbouring bands, and scale_factor_data() was
 * about 15 % of a frame: a difference of 0 costs 1 bit of Table 4.A.1, one
 * of +-2 or +-3 costs 4 to 6. A band whose value moves to its neighbour's
 * often saves more scalefactor bits than it costs in spectral bits; the
 * bits saved go to the rate search, which spends them on a finer offset
 * for every band.
 *
 * Candidates of a band: s0 and the values between s0 and the model values
 * of the previous and next coded band, at most RD_SPAN away. Each
 * candidate is quantised; its cost is
 *   J = spectral bits (the cheapest book, without section overhead)
 *     + RD_LAMBDA * lines * log2(noise / noise at s0),
 * and a Viterbi search along the coding order (4.6.2.3.2: one difference
 * chain over all groups) adds the scalefactor codeword bits between
 * consecutive coded bands and keeps differences within +-60. The noise
 * term is the high-rate exchange rate: a band of n lines gives n/2 bits
 * per halving of its noise power, so RD_LAMBDA = 0.5 would move bits and
 * noise at the rate the offset does. PEAQ prefers the smaller weight
 * (music mean at 96 kbit/s ABR: 0.5 gave -0.554, 0.25 -0.533, 0.1 -0.541,
 * 0 -0.544): the noise of the shifted bands stays under the masks, which
 * the log measure does not know. Coarser candidates are measured
 * (aacenc_quant_error) and dropped when their noise exceeds the target by
 * more than REFINE_MARGIN (and the noise at s0); finer ones lower the
 * noise by the model's 2^(3/8) per step, and are not measured (speed).
 * Bands of zeros and PNS bands are not in the chain (they take the
 * neighbour's value in plan()); a candidate that quantises to all zeros
 * is dropped, so max_sfb and the zero flags do not change. */
#define RD_SPAN 3
#define RD_MAXC (2 * RD_SPAN + 1)
#define RD_LAMBDA 0.25f

/* Spectral bits of a band with its cheapest book 1..11. */
static unsigned min_bits(const unsigned bits[12])
{
    unsigned m = bits[1];
    for (int k = 2; k < 12; k++)
        m = bits[k] < m ? bits[k] : m;
    return m;
}

static void rd_scalefactors(const segue_dsp *dsp, const aacenc_quant_tables *t, aacenc_chan *c,
                            const float *rnds, const float *targets, const float *errs)
{
    const aacenc_layout *l = &c->layout;
    unsigned nbt = (unsigned)l->num_groups * l->num_swb;
    /* Candidate k of every band is quantised into qalt[k] at the band's own
     * offset, so one buffer per candidate slot serves all bands. */
    int16_t qalt[RD_MAXC][AACENC_FRAME];
    int csf[AACENC_MAX_BANDS][RD_MAXC], cmq[AACENC_MAX_BANDS][RD_MAXC], nk[AACENC_MAX_BANDS];
    float cj[AACENC_MAX_BANDS][RD_MAXC];
    uint8_t bp[AACENC_MAX_BANDS][RD_MAXC];
    unsigned list[AACENC_MAX_BANDS], nl = 0;
    for (unsigned gb = 0; gb < nbt; gb++)
        if (!c->zero[gb] && !c->pns[gb])
            list[nl++] = gb;
    if (nl < 2)
        return;
    for (unsigned i = 0; i < nl; i++) {
        unsigned gb = list[i], lo = l->band_off[gb], n = l->band_off[gb + 1] - lo;
        int s0 = c->sf[gb], mn = s0, mx = s0;
        for (int j = -1; j <= 1; j += 2) {
            if ((j < 0 && i == 0) || (j > 0 && i + 1 == nl))
                continue;
            int v = c->sf[list[(int)i + j]];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        mn = clampi(mn, s0 - RD_SPAN, s0);
        mn = mn < c->sf_min[gb] ? c->sf_min[gb] : mn;
        mx = clampi(mx, s0, s0 + RD_SPAN);
        mx = mx > 255 ? 255 : mx;
        /* errs[gb] is the measured noise at s0; the floor keeps log2 finite
         * for a band quantised without error. */
        float fl = c->psy.thr[gb] * 1e-6f, e0 = errs[gb], le0 = log2f(e0 + fl);
        float w = RD_LAMBDA * (float)n;
        int k = 1;
        csf[i][0] = s0;
        cj[i][0] = (float)min_bits(c->band_bits[gb]);
        for (int s = mn; s <= mx; s++) {
            if (s == s0)
                continue;
            int d = s - s0;
            unsigned bits[12];
            int mq = quant_band_to(dsp, t, c, gb, s, rnds[gb], qalt[k] + lo);
            if (mq == 0)
                continue;
            float le;
            if (d > 0) {
                float e = dsp->aacenc_quant_error(c->spec + lo, qalt[k] + lo, n, t->step[s]);
                if (e > targets[gb] * REFINE_MARGIN && e > e0)
                    continue;
                le = log2f(e + fl);
            } else {
                le = le0 + 0.375f * (float)d;
            }
            aacenc_spectral_bits_all_max(qalt[k] + lo, n, (unsigned)mq, bits);
            csf[i][k] = s;
            cmq[i][k] = mq;
            cj[i][k] = (float)min_bits(bits) + w * (le - le0);
            k++;
        }
        nk[i] = k;
    }
    /* Viterbi: state = candidate of the band. The path of the s0 values is
     * always allowed (quant_one kept its differences within +-60), so a
     * finite best path exists. */
    float acc[RD_MAXC], nacc[RD_MAXC];
    for (int k = 0; k < nk[0]; k++)
        acc[k] = cj[0][k];
    for (unsigned i = 1; i < nl; i++) {
        for (int k = 0; k < nk[i]; k++) {
            float bv = 1e30f;
            int bj = 0;
            for (int j = 0; j < nk[i - 1]; j++) {
                int d = csf[i][k] - csf[i - 1][j];
                if (d < -60 || d > 60)
                    continue;
                float v = acc[j] + (float)t->sf_len[d + 60];
                if (v < bv) {
                    bv = v;
                    bj = j;
                }
            }
            nacc[k] = bv + cj[i][k];
            bp[i][k] = (uint8_t)bj;
        }
        memcpy(acc, nacc, (size_t)nk[i] * sizeof acc[0]);
    }
    int best = 0;
    for (int k = 1; k < nk[nl - 1]; k++)
        if (acc[k] < acc[best])
            best = k;
    /* Trace back; bands that leave s0 take the candidate's lines and bits. */
    for (unsigned i = nl; i-- > 0;) {
        unsigned gb = list[i];
        if (best != 0) {
            unsigned lo = l->band_off[gb], n = l->band_off[gb + 1] - lo;
            memcpy(c->q + lo, qalt[best] + lo, n * sizeof(int16_t));
            c->sf[gb] = csf[i][best];
            aacenc_spectral_bits_all_max(c->q + lo, n, (unsigned)cmq[i][best], c->band_bits[gb]);
        }
        best = i > 0 ? bp[i][best] : 0;
    }
}

static unsigned quant_one(const segue_dsp *dsp, const aacenc_quant_tables *t, aacenc_chan *c,
                          int offset)
{
    const aacenc_layout *l = &c->layout;
    unsigned nb = l->num_swb, max_sfb = 0;
    int prev = -1, is_short = l->window_sequence == AACENC_EIGHT_SHORT;
    float rnds[AACENC_MAX_BANDS], targets[AACENC_MAX_BANDS], errs[AACENC_MAX_BANDS];
    for (unsigned g = 0; g < l->num_groups; g++) {
        for (unsigned b = 0; b < nb; b++) {
            unsigned gb = g * nb + b, lo = l->band_off[gb], n = l->band_off[gb + 1] - lo;
            c->fixed[gb] = 0;
            if (c->pns[gb] || c->is_book[gb]) {
                /* Noise band (its own energy chain) or intensity band (the
                 * first channel's lines scaled by the is_position chain):
                 * no lines of its own. */
                memset(c->q + lo, 0, n * sizeof(int16_t));
                c->fixed[gb] = c->pns[gb] ? AACENC_NOISE_HCB : c->is_book[gb];
                c->zero[gb] = 1;
                c->sf[gb] = -1;
                memset(c->band_bits[gb], 0, sizeof c->band_bits[gb]);
                if (b + 1 > max_sfb)
                    max_sfb = b + 1;
                continue;
            }
            float base = c->sf_base[gb];
            int mq = 0, sf = 0;
            float tn = is_short ? 0.0f : c->psy.tonality[gb];
            float rnd = t->round_noise + tn * (AACENC_ROUNDING_TONAL - t->round_noise);
            rnds[gb] = rnd;
            if (base < 1e8f) {
                float want = base + (float)offset, gain = t->noise_gain[clampi(offset + 128, 0, 383)];
                if (offset > BLEND_PIVOT && c->thr4[gb] > 0.0f) {
                    /* Above the pivot, the noise rises by a constant in
                     * the fourth root of the threshold (the 3GPP
                     * reference's threshold reduction, TS 26.403 5.6.1.2)
                     * rather than by a constant factor: bands with low
                     * thresholds take relatively more of the extra noise,
                     * those with high ones less. r is chosen so that a band
                     * at the channel's mean fourth root takes the factor of
                     * the offset. */
                    int o = offset - BLEND_PIVOT;
                    float g0 = t->noise_gain[BLEND_PIVOT + 128];
                    float r = c->avg4 * (t->blend[o < 255 ? o : 255]);
                    float x = 1.0f + r / c->thr4[gb];
                    want = base + (float)BLEND_PIVOT + 10.6666667f * log2f(x);
                    gain = g0 * x * x * x * x;
                }
                targets[gb] = c->psy.thr[gb] * gain;
                sf = clampi((int)lrintf(want), c->sf_min[gb], 255);
                if (prev >= 0)
                    sf = clampi(sf, prev - 60, prev + 60);
                if (sf < c->sf_min[gb]) {
                    /* The chain forces a finer step than the escape book
                     * allows: the band is not coded this frame. */
                    mq = 0;
                } else {
                    mq = quant_band(dsp, t, c, gb, sf, rnd);
                    /* Analysis by synthesis: the noise model is an average;
                     * a band whose measured noise exceeds its target (lines
                     * lost in the dead zone, a few large lines) gets finer
                     * steps, at most REFINE_STEPS of them. */
                    int refine = REFINE_STEPS;
                    if (mq > 0) { /* errs[] feeds rd_scalefactors */
                        float target = c->psy.thr[gb] * gain * REFINE_MARGIN;
                        float err = dsp->aacenc_quant_error(c->spec + lo, c->q + lo, n, t->step[sf]);
                        while (refine-- > 0 && err > target && sf > c->sf_min[gb] &&
                               (prev < 0 || sf > prev - 60)) {
                            sf--;
                            mq = quant_band(dsp, t, c, gb, sf, rnd);
                            err = dsp->aacenc_quant_error(c->spec + lo, c->q + lo, n, t->step[sf]);
                        }
                        errs[gb] = err;
                    }
                }
            }
            if (mq == 0) {
                memset(c->q + lo, 0, n * sizeof(int16_t));
                c->sf[gb] = -1; /* set by plan() if a section codes it */
                c->zero[gb] = 1;
            } else {
                c->zero[gb] = 0;
                c->sf[gb] = sf;
                prev = sf;
                if (b + 1 > max_sfb)
                    max_sfb = b + 1;
            }
            /* A zero band still has a price in books 1..11: the section
             * planner may merge it into a neighbour's section. */
            aacenc_spectral_bits_all_max(c->q + lo, n, (unsigned)mq, c->band_bits[gb]);
        }
    }
    rd_scalefactors(dsp, t, c, rnds, targets, errs);
    return plan(c, max_sfb);
}

unsigned aacenc_quant_channels(const segue_dsp *dsp, const aacenc_quant_tables *t,
                               aacenc_chan *const *c, unsigned n, int offset)
{
    unsigned bits = 0;
    for (unsigned i = 0; i < n; i++)
        bits += quant_one(dsp, t, c[i], offset);
    return bits;
}

unsigned aacenc_quant_finish(aacenc_chan *c, unsigned max_sfb)
{
    return plan(c, max_sfb);
}
