/* codec/atrac3/atrac3_dsp.c - ATRAC3 synthesis steps over the segue_dsp
 * table (simd/dsp.h: atrac3_imlt, atrac3_gain_overlap, atrac3_qmf_synth;
 * the scalar specification and its derivation are in
 * simd/dsp_atrac_scalar.c). */
#include "codec/atrac3/atrac3_dsp.h"

#include "codec/atrac3/atrac3_tables.h"

void atrac3_imlt(const float *in, int reversed, float scale, float *out, float *work)
{
    segue_dsp_get()->atrac3_imlt(in, reversed, scale, out, work);
}

void atrac3_gain_overlap(const segue_dsp *dsp, const float *in, float *prev,
                         const atrac3_gain_info *now, const atrac3_gain_info *next, float *out)
{
    /* The next frame's first level scales this frame's second half, which
     * that frame will overlap (gain control spans the frame boundary). */
    float g_next = next->num_points ? atrac3_gain_level[next->level[0]] : 1.0f;
    segue_atrac3_gain g;
    g.num_points = now->num_points;
    for (unsigned i = 0; i < now->num_points; i++) {
        /* Level code 4 (unity) follows the last point. */
        int to = i + 1 < now->num_points ? now->level[i + 1] : 4;
        g.start[i] = (unsigned)now->location[i] * 8u;
        g.gain[i] = atrac3_gain_level[now->level[i]];
        g.step[i] = atrac3_gain_step[to - now->level[i] + 15];
    }
    dsp->atrac3_gain_overlap(out, in, prev, g_next, &g);
}

void atrac3_qmf_synth(const float *low, const float *high, size_t n, float *out, float *delay,
                      float *work)
{
    segue_dsp_get()->atrac3_qmf_synth(low, high, n, out, delay, work);
}
