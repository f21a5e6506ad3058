/*
 * codec/aac/enc/aac_enc_filterbank.c - the encoder's analysis filterbank
 * (the inverse of 14496-3 4.6.11), transient detection for window
 * switching, and window grouping of short blocks.
 *
 * Time alignment. Frame f transforms the 2048 samples p[1024 f, 1024 f +
 * 2048) of the input delayed by 1024 (p[t] = x[t - 1024]). Its eight short
 * windows start at 448 + 128 w within that span (4.6.11.3.2,
 * EIGHT_SHORT_SEQUENCE), so short window w is centred on sample 576 + 128 w.
 * The transient detector looks at the 8 blocks of 128 samples from 512 on
 * (block w is the middle of short window w): an attack in block w is a
 * sound that a long window would smear over up to 2048 samples (pre-echo),
 * and that short window w holds. The blocks of frame f + 1 follow those of
 * frame f without gap or overlap, so the detector runs on a continuous
 * signal, one frame ahead of the frame being coded (the switch to short
 * windows needs a LONG_START frame before it).
 *
 * Window shape: the sine window throughout. The KBD window (alpha 4) trades
 * a wider main lobe for lower far side lobes; it pays for spectra with a
 * dynamic range above about 80 dB between distant components, rare at the
 * rates this encoder targets, while the sine window's narrower main lobe
 * lowers the bits of the common case (tonal music at 64 kbit/s a channel
 * and below, where quantisation noise sits well above the side lobes).
 */
#include <math.h>
#include <string.h>

#include "codec/aac/aac_tables.h"
#include "codec/aac/enc/aac_enc.h"

void aacenc_layout_bands(aacenc_layout *l, unsigned sfi)
{
    unsigned off = 0, i = 0;
    if (l->window_sequence == AACENC_EIGHT_SHORT) {
        l->num_swb = aac_num_swb_short[sfi];
        l->swb = aac_swb_short[sfi];
    } else {
        l->num_swb = aac_num_swb_long[sfi];
        l->swb = aac_swb_long[sfi];
        l->num_groups = 1;
        l->group_len[0] = 1;
        l->grouping = 0;
    }
    for (unsigned g = 0; g < l->num_groups; g++) {
        for (unsigned b = 0; b < l->num_swb; b++) {
            l->band_off[i++] = (uint16_t)off;
            off += (unsigned)l->group_len[g] * (unsigned)(l->swb[b + 1] - l->swb[b]);
        }
    }
    l->band_off[i] = (uint16_t)off;
}

/* Attack: a block's high-passed energy above ATTACK_RATIO times the
 * envelope of the blocks before it (about 10.8 dB: below, the pre-echo of a
 * long window stays under the backward masking of the attack itself, some
 * 20 ms at -10 dB), and above an absolute floor (-75 dBFS for a block of
 * 128 samples) so that noise floors do not switch. */
#define ATTACK_RATIO 12.0f
#define ATTACK_FLOOR (128.0f * 3.2e-8f)
/* The envelope falls by this factor per block (2.9 ms at 44.1 kHz):
 * an attack is measured against what the ear still hears of the last one. */
#define ENV_DECAY 0.55f

int aacenc_detect_transient(aacenc_transient *t, const float *x, float blk_energy[8])
{
    int attack = -1;
    float s1 = t->hp_state[0], s2 = t->hp_state[1];
    for (unsigned b = 0; b < 8; b++) {
        float e = 0.0f;
        const float *p = x + 128 * b;
        /* Second-order difference: a high-pass of +12 dB/octave, so the
         * bass, which a long window handles, does not mask a treble attack. */
        for (unsigned i = 0; i < 128; i++) {
            float y = p[i] - 2.0f * s1 + s2;
            s2 = s1;
            s1 = p[i];
            e += y * y;
        }
        if (!(e < 1e30f)) /* NaN or huge input: no decision on it */
            e = 0.0f;
        blk_energy[b] = e;
        if (attack < 0 && e > ATTACK_RATIO * t->env && e > ATTACK_FLOOR)
            attack = (int)b;
        float d = t->env * ENV_DECAY;
        t->env = e > d ? e : d;
    }
    t->hp_state[0] = s1;
    t->hp_state[1] = s2;
    return attack;
}

void aacenc_group_windows(aacenc_layout *l, int attack, const float blk_energy[8])
{
    /* A new group where the attack starts (its noise must not spread to the
     * quiet windows before it) and where the energy changes by more than
     * 9 dB from the group so far (one scalefactor per group and band would
     * then over- or under-code one of them). */
    unsigned ng = 0;
    float gmin = 0.0f, gmax = 0.0f;
    l->grouping = 0;
    for (unsigned w = 0; w < 8; w++) {
        float e = blk_energy[w] + 1e-9f;
        int split = w == 0 || (int)w == attack || e > 8.0f * gmax || 8.0f * e < gmin;
        if (split) {
            l->group_len[ng++] = 1;
            gmin = gmax = e;
        } else {
            l->group_len[ng - 1]++;
            l->grouping |= (uint8_t)(1u << (7u - w)); /* bit 6 - (w - 1) */
            gmin = e < gmin ? e : gmin;
            gmax = e > gmax ? e : gmax;
        }
    }
    l->num_groups = (uint8_t)ng;
}

static const float *rising(unsigned shape, int is_short)
{
    if (is_short)
        return shape ? aac_kbd_short : aac_sine_short;
    return shape ? aac_kbd_long : aac_sine_long;
}

void aacenc_filterbank(const segue_dsp *dsp, const aacenc_layout *l, unsigned prev_shape,
                       const float *x, float scale, float *spec, float *work)
{
    float *win = work, *tmp = work + 2048;
    unsigned seq = l->window_sequence;
    if (seq == AACENC_EIGHT_SHORT) {
        float coef[1024];
        for (unsigned w = 0; w < 8; w++) {
            const float *up = rising(w == 0 ? prev_shape : l->window_shape, 1);
            const float *down = rising(l->window_shape, 1);
            const float *src = x + 448 + 128 * w;
            for (unsigned i = 0; i < 128; i++) {
                win[i] = src[i] * up[i] * scale;
                win[128 + i] = src[128 + i] * down[127 - i] * scale;
            }
            dsp->aacenc_mdct(coef + 128 * w, win, 8, tmp);
        }
        /* Grouped-interleaved order (see aac_enc.h). */
        unsigned w0 = 0, gb = 0;
        for (unsigned g = 0; g < l->num_groups; g++) {
            for (unsigned b = 0; b < l->num_swb; b++, gb++) {
                unsigned lo = l->swb[b], width = (unsigned)l->swb[b + 1] - lo;
                float *dst = spec + l->band_off[gb];
                for (unsigned w = 0; w < l->group_len[g]; w++)
                    memcpy(dst + w * width, coef + 128 * (w0 + w) + lo, width * sizeof(float));
            }
            w0 += l->group_len[g];
        }
        return;
    }
    /* Left half. */
    if (seq == AACENC_LONG_STOP) {
        const float *up = rising(prev_shape, 1);
        for (unsigned i = 0; i < 448; i++)
            win[i] = 0.0f;
        for (unsigned i = 0; i < 128; i++)
            win[448 + i] = x[448 + i] * up[i] * scale;
        for (unsigned i = 576; i < 1024; i++)
            win[i] = x[i] * scale;
    } else {
        const float *up = rising(prev_shape, 0);
        for (unsigned i = 0; i < 1024; i++)
            win[i] = x[i] * up[i] * scale;
    }
    /* Right half. */
    if (seq == AACENC_LONG_START) {
        const float *down = rising(l->window_shape, 1);
        for (unsigned i = 1024; i < 1472; i++)
            win[i] = x[i] * scale;
        for (unsigned i = 0; i < 128; i++)
            win[1472 + i] = x[1472 + i] * down[127 - i] * scale;
        for (unsigned i = 1600; i < 2048; i++)
            win[i] = 0.0f;
    } else {
        const float *down = rising(l->window_shape, 0);
        for (unsigned i = 0; i < 1024; i++)
            win[1024 + i] = x[1024 + i] * down[1023 - i] * scale;
    }
    dsp->aacenc_mdct(spec, win, 11, tmp);
}
