/* dsp/resample.c - libsoxr behind segue_resampler (see resample.h). */
#include "resample.h"

#include <soxr.h>
#include <string.h>

#include "core/alloc.h"

struct segue_resampler {
    soxr_t soxr;
    const segue_allocator *allocator;
    uint32_t in_rate, out_rate;
    unsigned channels;
    uint64_t in_total;   /* input frames so far */
    uint64_t out_total;  /* output frames handed out so far */
    int flushed;
};

segue_status segue_resampler_create(segue_resampler **out, uint32_t in_rate, uint32_t out_rate,
                                    unsigned channels, segue_resample_quality quality,
                                    const segue_allocator *a, segue_error *err)
{
    *out = NULL;
    if (!in_rate || !out_rate || !channels)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "resample: rate or channels is 0");
    if ((unsigned)quality > (unsigned)SEGUE_RESAMPLE_QUICK)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "resample: unknown quality %d",
                               (int)quality);
    segue_resampler *r = segue_mem_calloc(a, 1, sizeof *r);
    if (!r)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "resample: out of memory");
    r->allocator = a;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    r->channels = channels;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    /* Linear phase (the recipes' default) keeps the output time-aligned;
     * docs/dsp.md gives the measured response of each level. */
    unsigned long recipe = SOXR_HQ;
    switch (quality) {
    case SEGUE_RESAMPLE_VERY_HIGH: recipe = SOXR_VHQ; break;
    case SEGUE_RESAMPLE_MEDIUM: recipe = SOXR_MQ; break;
    case SEGUE_RESAMPLE_LOW: recipe = SOXR_LQ; break;
    case SEGUE_RESAMPLE_QUICK: recipe = SOXR_QQ; break;
    case SEGUE_RESAMPLE_HIGH: default: recipe = SOXR_HQ; break;
    }
    soxr_quality_spec_t q = soxr_quality_spec(recipe, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1); /* one thread: the batch runner parallelises */
    soxr_error_t e = NULL;
    r->soxr = soxr_create((double)in_rate, (double)out_rate, channels, &e, &io, &q, &rt);
    if (!r->soxr || e) {
        segue_mem_free(a, r);
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "resample: libsoxr: %s", e ? e : "failed");
    }
    *out = r;
    return SEGUE_OK;
}

void segue_resampler_destroy(segue_resampler *r)
{
    if (!r)
        return;
    soxr_delete(r->soxr);
    segue_mem_free(r->allocator, r);
}

size_t segue_resampler_max_output(const segue_resampler *r, size_t in_frames)
{
    /* libsoxr may release output lagging the input by its filter length;
     * allow the whole ratio plus a generous block for that. */
    return (size_t)((uint64_t)in_frames * r->out_rate / r->in_rate) + 16384;
}

/* The exact output length the header promises for `in_frames` of input. */
static uint64_t expected_output(const segue_resampler *r)
{
    return (r->in_total * r->out_rate + r->in_rate / 2) / r->in_rate;
}

segue_status segue_resampler_process(segue_resampler *r, const float *in, size_t in_frames,
                                     float *out, size_t out_capacity, size_t *produced,
                                     segue_error *err)
{
    *produced = 0;
    if (r->flushed)
        return in ? segue_error_set(err, SEGUE_ERR_STATE, "resample: input after flush") : SEGUE_OK;
    size_t done_out = 0;
    if (in) {
        size_t idone = 0, odone = 0;
        soxr_error_t e = soxr_process(r->soxr, in, in_frames, &idone, out, out_capacity, &odone);
        if (e)
            return segue_error_set(err, SEGUE_ERR_INTERNAL, "resample: libsoxr: %s", e);
        if (idone != in_frames)
            return segue_error_set(err, SEGUE_ERR_INTERNAL,
                                   "resample: output buffer too small (%zu of %zu frames taken)", idone,
                                   in_frames);
        r->in_total += in_frames;
        done_out = odone;
    } else {
        /* Drain the filter, then cut or zero-pad to the exact length. */
        uint64_t want = expected_output(r);
        for (;;) {
            size_t odone = 0;
            if (done_out >= out_capacity)
                break;
            soxr_error_t e = soxr_process(r->soxr, NULL, 0, NULL, out + done_out * r->channels,
                                          out_capacity - done_out, &odone);
            if (e)
                return segue_error_set(err, SEGUE_ERR_INTERNAL, "resample: libsoxr: %s", e);
            if (odone == 0)
                break;
            done_out += odone;
        }
        uint64_t have = r->out_total + done_out;
        if (have > want) {
            done_out -= (size_t)(have - want < done_out ? have - want : done_out);
        } else if (have < want) {
            size_t pad = (size_t)(want - have);
            if (done_out + pad > out_capacity)
                return segue_error_set(err, SEGUE_ERR_INTERNAL, "resample: flush buffer too small");
            memset(out + done_out * r->channels, 0, pad * r->channels * sizeof(float));
            done_out += pad;
        }
        r->flushed = 1;
    }
    r->out_total += done_out;
    *produced = done_out;
    return SEGUE_OK;
}
