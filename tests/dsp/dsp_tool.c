/*
 * tests/dsp/dsp_tool.c - runs a WAV file through one DSP stage and writes
 * the result as a 32-bit float WAV, for the numpy acceptance tests:
 *
 *   dsp_tool resample IN.wav OUT.wav RATE QUALITY   (quick|low|medium|high|very-high)
 *   dsp_tool dither IN.wav OUT.wav BITS MODE [SEED] (none|tpdf|shaped)
 *
 * Decodes and encodes through the public API (segue/decoder.h,
 * segue/encoder.h); the stage itself through its internal header. Exit
 * status 0 on success, 2 on bad usage, 1 on any failure (with a message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "core/alloc.h"
#include "dsp/dither.h"
#include "dsp/resample.h"

#define CHUNK 4096

static int usage(void)
{
    fprintf(stderr, "usage: dsp_tool resample IN.wav OUT.wav RATE QUALITY\n"
                    "       dsp_tool dither IN.wav OUT.wav BITS MODE [SEED]\n");
    return 2;
}

static int parse_quality(const char *s, segue_resample_quality *q)
{
    static const struct { const char *name; segue_resample_quality q; } names[] = {
        {"quick", SEGUE_RESAMPLE_QUICK}, {"low", SEGUE_RESAMPLE_LOW},
        {"medium", SEGUE_RESAMPLE_MEDIUM}, {"high", SEGUE_RESAMPLE_HIGH},
        {"very-high", SEGUE_RESAMPLE_VERY_HIGH}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(s, names[i].name)) {
            *q = names[i].q;
            return 1;
        }
    }
    return 0;
}

static int parse_mode(const char *s, segue_dither_mode *m)
{
    if (!strcmp(s, "none"))
        *m = SEGUE_DITHER_NONE;
    else if (!strcmp(s, "tpdf"))
        *m = SEGUE_DITHER_TPDF;
    else if (!strcmp(s, "shaped"))
        *m = SEGUE_DITHER_SHAPED;
    else
        return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 6)
        return usage();
    int resample = !strcmp(argv[1], "resample");
    if (!resample && strcmp(argv[1], "dither"))
        return usage();
    unsigned long param = strtoul(argv[4], NULL, 10);
    segue_resample_quality quality = SEGUE_RESAMPLE_HIGH;
    segue_dither_mode mode = SEGUE_DITHER_TPDF;
    uint32_t seed = argc > 6 ? (uint32_t)strtoul(argv[6], NULL, 10) : 1u;
    if (resample ? (!parse_quality(argv[5], &quality) || param < 1000 || param > 768000)
                 : (!parse_mode(argv[5], &mode) || param < 8 || param > 24))
        return usage();

    int rc = 1;
    segue_error err = {0};
    segue_decoder *dec = NULL;
    segue_encoder *enc = NULL;
    segue_resampler *rs = NULL;
    segue_ditherer *dt = NULL;
    float *in = NULL, *out = NULL;
    size_t out_cap = CHUNK;

    segue_io src;
    if (segue_io_from_path(&src, argv[2]) != SEGUE_OK) {
        fprintf(stderr, "dsp_tool: cannot open %s\n", argv[2]);
        return 1;
    }
    if (segue_decoder_open(&dec, &src, NULL) != SEGUE_OK) {
        fprintf(stderr, "dsp_tool: %s: %s\n", argv[2], segue_decoder_last_error(dec));
        goto done;
    }
    const segue_stream_info *info = segue_decoder_info(dec);
    unsigned ch = info->channels;
    uint32_t out_rate = info->sample_rate;
    if (resample) {
        out_rate = (uint32_t)param;
        if (segue_resampler_create(&rs, info->sample_rate, out_rate, ch, quality, NULL, &err) !=
            SEGUE_OK)
            goto stage_failed;
        out_cap = segue_resampler_max_output(rs, CHUNK);
    } else if (segue_ditherer_create(&dt, ch, info->sample_rate, (unsigned)param, mode, seed, NULL,
                                     &err) != SEGUE_OK) {
        goto stage_failed;
    }
    in = segue_mem_calloc(NULL, (size_t)CHUNK * ch, sizeof(float));
    out = segue_mem_calloc(NULL, out_cap * ch, sizeof(float));
    if (!in || !out) {
        fprintf(stderr, "dsp_tool: out of memory\n");
        goto done;
    }

    segue_io dst;
    if (segue_io_to_path(&dst, argv[3]) != SEGUE_OK) {
        fprintf(stderr, "dsp_tool: cannot create %s\n", argv[3]);
        goto done;
    }
    segue_encoder_config ecfg;
    segue_encoder_config_default(&ecfg);
    ecfg.sample_rate = out_rate;
    ecfg.channels = ch;
    ecfg.channel_mask = info->channel_mask;
    ecfg.sample_format = SEGUE_SAMPLE_F32;
    if (segue_encoder_open(&enc, &dst, &ecfg) != SEGUE_OK) {
        fprintf(stderr, "dsp_tool: %s: %s\n", argv[3], segue_encoder_last_error(enc));
        goto done;
    }

    for (int ended = 0; !ended;) {
        size_t frames = 0, produced = 0;
        segue_status st = segue_decoder_read_f32(dec, in, CHUNK, &frames);
        if (st < 0) {
            fprintf(stderr, "dsp_tool: %s: %s\n", argv[2], segue_decoder_last_error(dec));
            goto done;
        }
        ended = st == SEGUE_END_OF_STREAM;
        const float *result = in;
        if (rs) {
            /* At the end, a call with no input flushes the filter tail. */
            if (segue_resampler_process(rs, ended ? NULL : in, ended ? 0 : frames, out, out_cap,
                                        &produced, &err) != SEGUE_OK)
                goto stage_failed;
            result = out;
        } else {
            segue_ditherer_process(dt, in, frames);
            produced = frames;
        }
        if (produced && segue_encoder_write_f32(enc, result, produced) != SEGUE_OK) {
            fprintf(stderr, "dsp_tool: %s: %s\n", argv[3], segue_encoder_last_error(enc));
            goto done;
        }
    }
    if (segue_encoder_finish(enc) != SEGUE_OK) {
        fprintf(stderr, "dsp_tool: %s: %s\n", argv[3], segue_encoder_last_error(enc));
        goto done;
    }
    rc = 0;
    goto done;

stage_failed:
    fprintf(stderr, "dsp_tool: %s\n", err.detail);
done:
    segue_encoder_destroy(enc);
    segue_decoder_destroy(dec);
    segue_resampler_destroy(rs);
    segue_ditherer_destroy(dt);
    segue_mem_free(NULL, in);
    segue_mem_free(NULL, out);
    return rc;
}
