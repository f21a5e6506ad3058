/* dsp/mix.c - channel matrices (see mix.h for the contract). */
#include "mix.h"

#include <string.h>

#include "core/alloc.h"
#include "core/speakers.h"


/* Largest channel count a matrix is built for (PCM outputs go up to 32). */
#define MIX_MAX_CHANNELS 32u

/* -3 dB, 1/sqrt(2): the BS.775 weight of centre and surrounds in a downmix. */
#define MINUS_3DB 0.70710678118654752440

struct segue_mixer {
    const segue_allocator *allocator;
    unsigned in_channels, out_channels;
    int identity;
    float coef[]; /* out_channels rows of in_channels */
};


static unsigned popcount32(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* What a speaker contributes to a downmix. */
typedef enum speaker_role {
    ROLE_LEFT, ROLE_RIGHT, ROLE_CENTRE, ROLE_LFE, ROLE_LEFT_SURROUND, ROLE_RIGHT_SURROUND,
    ROLE_BACK_CENTRE, ROLE_OTHER
} speaker_role;

static speaker_role role_of(uint32_t bit)
{
    switch (bit) {
    case SPK_FL: case SPK_FLC: return ROLE_LEFT;
    case SPK_FR: case SPK_FRC: return ROLE_RIGHT;
    case SPK_FC: return ROLE_CENTRE;
    case SPK_LFE: return ROLE_LFE;
    case SPK_BL: case SPK_SL: return ROLE_LEFT_SURROUND;
    case SPK_BR: case SPK_SR: return ROLE_RIGHT_SURROUND;
    case SPK_BC: return ROLE_BACK_CENTRE;
    default: return ROLE_OTHER; /* top and wide speakers: no matrix */
    }
}

/* The speaker bit of each channel, in channel order (ascending bits, as
 * WAVE orders them). */
static void speakers_of(uint32_t mask, uint32_t *bits, unsigned channels)
{
    unsigned c = 0;
    for (uint32_t bit = 1; bit && c < channels; bit <<= 1)
        if (mask & bit)
            bits[c++] = bit;
}

/* Weights for L/R outputs of a 2.0 downmix: ITU-R BS.775-3 Table 2
 * (Lo = L + 0.7071 C + 0.7071 Ls; LFE not included). A back centre is
 * split to both sides at -3 dB and folded at -3 dB, 0.5 in all. */
static double stereo_weight(speaker_role role, int right)
{
    switch (role) {
    case ROLE_LEFT: return right ? 0.0 : 1.0;
    case ROLE_RIGHT: return right ? 1.0 : 0.0;
    case ROLE_CENTRE: return MINUS_3DB;
    case ROLE_LEFT_SURROUND: return right ? 0.0 : MINUS_3DB;
    case ROLE_RIGHT_SURROUND: return right ? MINUS_3DB : 0.0;
    case ROLE_BACK_CENTRE: return 0.5;
    default: return 0.0;
    }
}

/* Weights for a mono downmix: BS.775-3 Table 2, 3/2 -> 1/0
 * (M = 0.7071 L + 0.7071 R + C + 0.5 Ls + 0.5 Rs); a back centre counts
 * like the surround pair together (0.7071). */
static double mono_weight(speaker_role role)
{
    switch (role) {
    case ROLE_LEFT: case ROLE_RIGHT: return MINUS_3DB;
    case ROLE_CENTRE: return 1.0;
    case ROLE_LEFT_SURROUND: case ROLE_RIGHT_SURROUND: return 0.5;
    case ROLE_BACK_CENTRE: return MINUS_3DB;
    default: return 0.0;
    }
}

/* Scales each row whose coefficients sum to more than 1 down to exactly 1,
 * so a downmix of full-scale inputs in phase cannot exceed full scale. */
static void normalise_rows(segue_mixer *m)
{
    for (unsigned o = 0; o < m->out_channels; o++) {
        float *row = m->coef + (size_t)o * m->in_channels;
        double sum = 0.0;
        for (unsigned i = 0; i < m->in_channels; i++)
            sum += row[i];
        if (sum > 1.0)
            for (unsigned i = 0; i < m->in_channels; i++)
                row[i] = (float)(row[i] / sum);
    }
}

static int has_other(const uint32_t *bits, unsigned n)
{
    for (unsigned c = 0; c < n; c++)
        if (role_of(bits[c]) == ROLE_OTHER)
            return 1;
    return 0;
}

/* Fills the matrix; returns 0 when no matrix is defined for the pair. */
static int build_matrix(segue_mixer *m, uint32_t in_mask, uint32_t out_mask, int masks_given)
{
    unsigned ni = m->in_channels, no = m->out_channels;
    uint32_t in_bits[MIX_MAX_CHANNELS] = {0}, out_bits[MIX_MAX_CHANNELS] = {0};
    int in_known = in_mask != 0 && popcount32(in_mask) == ni;
    int out_known = out_mask != 0 && popcount32(out_mask) == no;
    if (in_known)
        speakers_of(in_mask, in_bits, ni);
    if (out_known)
        speakers_of(out_mask, out_bits, no);

    /* Same layout, or the same count where either side left the layout
     * open: pass through. */
    if (ni == no && (in_mask == out_mask || !masks_given)) {
        for (unsigned c = 0; c < ni; c++)
            m->coef[(size_t)c * ni + c] = 1.0f;
        m->identity = 1;
        return 1;
    }
    /* Same count, layouts that differ only in where the surrounds sit
     * (5.1 back 0x3F vs 5.1 side 0x60F, quad 0x33 vs 0x603): route each
     * channel to the output speaker with the same role. */
    if (ni == no && in_known && out_known) {
        unsigned used = 0; /* bit per output channel already taken */
        int ok = 1;
        for (unsigned i = 0; i < ni && ok; i++) {
            speaker_role r = role_of(in_bits[i]);
            ok = 0;
            for (unsigned o = 0; o < no && r != ROLE_OTHER; o++) {
                if (!(used & (1u << o)) && role_of(out_bits[o]) == r) {
                    m->coef[(size_t)o * ni + i] = 1.0f;
                    used |= 1u << o;
                    ok = 1;
                    break;
                }
            }
        }
        if (ok)
            return 1;
        memset(m->coef, 0, sizeof(float) * ni * no);
    }
    /* N -> mono. */
    if (no == 1) {
        if (in_known && !has_other(in_bits, ni)) {
            for (unsigned i = 0; i < ni; i++)
                m->coef[i] = (float)mono_weight(role_of(in_bits[i]));
        } else {
            /* No layout to weigh by: the plain average. */
            for (unsigned i = 0; i < ni; i++)
                m->coef[i] = (float)(1.0 / ni);
        }
        normalise_rows(m);
        return 1;
    }
    /* Mono -> N: front left and right at -3 dB (the inverse of the
     * 0.7071 L + 0.7071 R mono fold), other speakers silent. */
    if (ni == 1 && out_known) {
        int placed = 0;
        for (unsigned o = 0; o < no; o++) {
            if (out_bits[o] == SPK_FL || out_bits[o] == SPK_FR) {
                m->coef[o] = (float)MINUS_3DB;
                placed++;
            }
        }
        return placed == 2;
    }
    /* Stereo -> N: to front left and right, other speakers silent. */
    if (ni == 2 && in_mask == (SPK_FL | SPK_FR) && out_known) {
        int placed = 0;
        for (unsigned o = 0; o < no; o++) {
            if (out_bits[o] == SPK_FL) {
                m->coef[(size_t)o * ni + 0] = 1.0f;
                placed++;
            } else if (out_bits[o] == SPK_FR) {
                m->coef[(size_t)o * ni + 1] = 1.0f;
                placed++;
            }
        }
        return placed == 2;
    }
    /* Known surround layouts -> 2.0 (BS.775-3 Table 2). */
    if (no == 2 && out_mask == (SPK_FL | SPK_FR) && in_known && !has_other(in_bits, ni)) {
        for (unsigned o = 0; o < 2; o++)
            for (unsigned i = 0; i < ni; i++)
                m->coef[(size_t)o * ni + i] = (float)stereo_weight(role_of(in_bits[i]), (int)o);
        normalise_rows(m);
        return 1;
    }
    return 0;
}

segue_status segue_mixer_create(segue_mixer **out, unsigned in_channels, uint32_t in_mask,
                                unsigned out_channels, uint32_t out_mask,
                                const segue_allocator *a, segue_error *err)
{
    *out = NULL;
    if (!in_channels || !out_channels || in_channels > MIX_MAX_CHANNELS ||
        out_channels > MIX_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "mix: %u -> %u channels (1..%u supported)", in_channels,
                               out_channels, MIX_MAX_CHANNELS);
    int masks_given = in_mask != 0 && out_mask != 0;
    uint32_t in_resolved = in_mask ? in_mask : segue_default_channel_mask(in_channels);
    uint32_t out_resolved = out_mask ? out_mask : segue_default_channel_mask(out_channels);
    segue_mixer *m = segue_mem_calloc(a, 1, sizeof *m + sizeof(float) * in_channels * out_channels);
    if (!m)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "mix: out of memory");
    m->allocator = a;
    m->in_channels = in_channels;
    m->out_channels = out_channels;
    if (!build_matrix(m, in_resolved, out_resolved, masks_given)) {
        segue_mem_free(a, m);
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "mix: no channel matrix from %u channels (mask 0x%X) to %u "
                               "channels (mask 0x%X)",
                               in_channels, (unsigned)in_resolved, out_channels,
                               (unsigned)out_resolved);
    }
    *out = m;
    return SEGUE_OK;
}

void segue_mixer_destroy(segue_mixer *m)
{
    if (m)
        segue_mem_free(m->allocator, m);
}

void segue_mixer_process(const segue_mixer *m, const float *in, size_t frames, float *out)
{
    unsigned ni = m->in_channels, no = m->out_channels;
    if (m->identity) {
        memcpy(out, in, frames * ni * sizeof(float));
        return;
    }
    for (size_t f = 0; f < frames; f++) {
        const float *src = in + f * ni;
        float *dst = out + f * no;
        for (unsigned o = 0; o < no; o++) {
            const float *row = m->coef + (size_t)o * ni;
            float acc = 0.0f;
            for (unsigned i = 0; i < ni; i++)
                acc += row[i] * src[i];
            dst[o] = acc;
        }
    }
}

float segue_mixer_coefficient(const segue_mixer *m, unsigned o, unsigned i)
{
    if (!m || o >= m->out_channels || i >= m->in_channels)
        return 0.0f;
    return m->coef[(size_t)o * m->in_channels + i];
}
