/*
 * codec/aac/enc/aac_enc_psy.c - the encoder's psychoacoustic model: the
 * allowed noise (masking threshold) of every scalefactor band of a frame,
 * and the frame's perceptual entropy.
 *
 * The model works on the MDCT spectrum the encoder codes, band by band
 * (the resolution at which the encoder can shape its noise, one
 * scalefactor per band), in the manner of ISO/IEC 13818-7 Annex B / 14496-3
 * psychoacoustic model 2 reduced to band resolution:
 *  1. band energies e[b];
 *  2. tonality from the spectral flatness of the lines around the band
 *     (at least 24 lines: a band of 4 cannot tell a tone's main lobe from
 *     noise) (Johnston 1988): SFM in dB, t = min(SFM / -60 dB, 1); the masker's
 *     offset is t (14.5 + z) + (1 - t) 5.5 dB below its energy, z its Bark
 *     (a tone masks noise less well than noise does);
 *  3. spreading over neighbouring bands in the Bark domain, -27 dB/Bark
 *     towards lower frequencies and -15 dB/Bark towards higher ones
 *     (Terhardt's slopes at moderate levels), taking the larger of own and
 *     spread threshold (as the max-combination of the 3GPP model);
 *  4. the absolute threshold of hearing (Terhardt's formula, full scale
 *     taken as LISTENING_FS_DB);
 *  5. temporal masking: in long frames the threshold may rise by at most
 *     3 dB a frame (pre-echo control: noise must not appear before the
 *     sound that masks it, 14496-3 model's "pre-echo" rule); short frames
 *     are analysed per window group.
 * The perceptual entropy (Johnston) estimates the bits the frame needs to
 * code its spectrum at the threshold: sum over bands of the lines times
 * log2 of the band's signal-to-mask ratio.
 */
#include <math.h>
#include <string.h>

#include "codec/aac/aac_tables.h"
#include "codec/aac/enc/aac_enc.h"

/* Flatness (dB) at and below which a neighbourhood counts as a pure tone
 * (Johnston's -60 dB). */
#define TONAL_SFM_DB -60.0f

/* The sound pressure level a full-scale sine is taken to play at, which
 * places the absolute threshold. 120 dB SPL: the threshold only removes
 * what no reasonable playback gain reveals. Quiet passages are played
 * turned up; with 96 to 110 dB the quiet orchestral and synthesised clips
 * of the development corpus lost audible low-level detail (PEAQ ODG 0.05
 * to 0.1 lower at 128 kbit/s), while louder material barely changes. */
#define LISTENING_FS_DB 120.0f

static float bark_of(float hz)
{
    return 13.0f * atanf(0.00076f * hz) + 3.5f * atanf((hz / 7500.0f) * (hz / 7500.0f));
}

/* Terhardt's absolute threshold in dB SPL (kHz argument). */
static float ath_db(float khz)
{
    if (khz < 0.02f)
        khz = 0.02f;
    float d = khz - 3.3f;
    float db = 3.64f * powf(khz, -0.8f) - 6.5f * expf(-0.6f * d * d) + 0.001f * khz * khz * khz * khz;
    return db > 90.0f ? 90.0f : db;
}

void aacenc_psy_init(aacenc_psy_tables *t, unsigned sample_rate, unsigned sfi)
{
    for (unsigned s = 0; s < 2; s++) {
        unsigned nb = s ? aac_num_swb_short[sfi] : aac_num_swb_long[sfi];
        const uint16_t *swb = s ? aac_swb_short[sfi] : aac_swb_long[sfi];
        float lines = s ? 128.0f : 1024.0f;
        /* A full-scale sine in the coder's units (32768 = 1.0) peaks at
         * a line of 32768 * 2 sum(w[n] cos^2) = 32768 lines 4 / pi (the
         * kernel's factor 2, sine window mean 2 / pi). */
        float fs_line = 32768.0f * lines * 1.2732395f;
        float fs_energy = fs_line * fs_line;
        t->num_swb[s] = nb;
        for (unsigned b = 0; b < nb; b++) {
            float lo = (float)swb[b] * (float)sample_rate / (2.0f * lines);
            float hi = (float)swb[b + 1] * (float)sample_rate / (2.0f * lines);
            float c = 0.5f * (lo + hi);
            t->bark[s][b] = bark_of(c);
            /* The band's threshold is that of its most sensitive line. */
            float a = ath_db(lo / 1000.0f), a2 = ath_db(hi / 1000.0f), a3 = ath_db(c / 1000.0f);
            a = a2 < a ? a2 : a;
            a = a3 < a ? a3 : a;
            t->ath[s][b] = fs_energy * powf(10.0f, (a - LISTENING_FS_DB) / 10.0f);
        }
        for (unsigned b = 0; b < nb; b++) {
            float dz = b ? t->bark[s][b] - t->bark[s][b - 1] : 10.0f;
            t->spread_up[s][b] = powf(10.0f, -0.1f * 15.0f * dz);
            float dzd = b + 1 < nb ? t->bark[s][b + 1] - t->bark[s][b] : 10.0f;
            t->spread_down[s][b] = powf(10.0f, -0.1f * 27.0f * dzd);
        }
    }
}

/* log2 approximation good to about 0.01 (exponent plus a quadratic in the
 * mantissa): the flatness measure needs one per line. */
static inline float fast_log2(float x)
{
    union {
        float f;
        uint32_t u;
    } v = {x};
    float e = (float)(int)((v.u >> 23) & 0xFFu) - 127.0f;
    v.u = (v.u & 0x007FFFFFu) | 0x3F800000u;
    float m = v.f;
    return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

void aacenc_psy_analyse(const aacenc_psy_tables *t, aacenc_psy_state *st, const aacenc_layout *l,
                        const float *spec, unsigned nbands, aacenc_psy_out *out)
{
    int is_short = l->window_sequence == AACENC_EIGHT_SHORT;
    unsigned s = is_short ? 1 : 0, nb = l->num_swb;
    float pe = 0.0f;
    /* Long frames: prefix sums of line power and of its log2, for the
     * flatness of a neighbourhood of at least TONAL_SPAN lines around each
     * band (a band of 4 lines cannot tell a tone's main lobe, 3 lines wide
     * with the sine window, from noise). */
    static const unsigned TONAL_SPAN = 24;
    float cp[AACENC_FRAME + 1], cl[AACENC_FRAME + 1];
    unsigned top = nbands < nb ? l->band_off[nbands] : l->band_off[nb];
    if (!is_short) {
        double ap = 0.0, al = 0.0;
        cp[0] = cl[0] = 0.0f;
        for (unsigned i = 0; i < top; i++) {
            float p = spec[i] * spec[i];
            ap += p;
            al += fast_log2(p + 1e-3f);
            cp[i + 1] = (float)ap;
            cl[i + 1] = (float)al;
        }
    }
    for (unsigned g = 0; g < l->num_groups; g++) {
        float *e = out->energy + g * nb, *thr = out->thr + g * nb;
        float glen = (float)l->group_len[g];
        for (unsigned b = 0; b < nb; b++) {
            unsigned gb = g * nb + b, lo = l->band_off[gb], hi = l->band_off[gb + 1];
            if (b >= nbands) {
                e[b] = 0.0f;
                thr[b] = 0.0f;
                continue;
            }
            float sum = 0.0f;
            for (unsigned i = lo; i < hi; i++)
                sum += spec[i] * spec[i];
            if (!(sum < 1e35f))
                sum = 1e35f;
            e[b] = sum;
            /* Offset of the masker, dB, from the flatness of the lines
             * around the band. */
            float offset_db = 5.5f;
            out->tonality[gb] = 1.0f;
            if (!is_short && sum > 0.0f) {
                unsigned a = lo, z = hi;
                if (z - a < TONAL_SPAN) {
                    unsigned c = (lo + hi) / 2;
                    a = c > TONAL_SPAN / 2 ? c - TONAL_SPAN / 2 : 0;
                    z = a + TONAL_SPAN;
                    if (z > top) {
                        z = top;
                        a = z > TONAL_SPAN ? z - TONAL_SPAN : 0;
                    }
                }
                float n = (float)(z - a);
                float psum = (float)((double)cp[z] - (double)cp[a]);
                float lsum = (float)((double)cl[z] - (double)cl[a]);
                float sfm_db = 3.0103f * (lsum / n - fast_log2(psum / n + 1e-3f));
                float tn = sfm_db / TONAL_SFM_DB;
                tn = tn < 0.0f ? 0.0f : tn > 1.0f ? 1.0f : tn;
                offset_db = tn * (14.5f + t->bark[s][b]) + (1.0f - tn) * 5.5f;
                out->tonality[gb] = tn;
            }
            thr[b] = sum * powf(10.0f, -0.1f * offset_db);
        }
        /* Spreading (max-combination). */
        for (unsigned b = 1; b < nbands && b < nb; b++) {
            float v = thr[b - 1] * t->spread_up[s][b];
            if (v > thr[b])
                thr[b] = v;
        }
        for (unsigned b = (nbands < nb ? nbands : nb); b-- > 1;) {
            float v = thr[b] * t->spread_down[s][b - 1];
            if (v > thr[b - 1])
                thr[b - 1] = v;
        }
        for (unsigned b = 0; b < nbands && b < nb; b++) {
            float a = t->ath[s][b] * glen;
            if (thr[b] < a)
                thr[b] = a;
            /* Pre-echo control, long frames after long frames. */
            if (!is_short && !st->prev_short && st->prev_thr[b] > 0.0f) {
                float lim = 2.0f * st->prev_thr[b];
                if (thr[b] > lim)
                    thr[b] = lim > a ? lim : a;
            }
            if (e[b] > thr[b]) {
                unsigned gb = g * nb + b;
                float lines = (float)(l->band_off[gb + 1] - l->band_off[gb]);
                pe += lines * fast_log2(e[b] / thr[b]);
            }
        }
    }
    if (!is_short) {
        for (unsigned b = 0; b < nb; b++)
            st->prev_thr[b] = out->thr[b];
    } else {
        for (unsigned b = 0; b < nb; b++)
            st->prev_thr[b] = 0.0f;
    }
    st->prev_short = is_short;
    out->pe = pe;
}
