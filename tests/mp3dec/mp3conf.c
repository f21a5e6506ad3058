/*
 * tests/mp3dec/mp3conf.c - conformance of the own MPEG audio decoder
 * against the reference PCM of ../shared/conformance/mp3 (ISO/IEC 11172-4
 * and related bitstreams, *.bit with *.pcm as s16le interleaved).
 *
 * Each .bit is split into frames here (mp3dec_common.h: ID3v2 skipped,
 * free-format frames sized by the next sync, a leading Xing/Info/VBRI frame
 * skipped and its LAME gapless values applied), fed to the "mp3" codec descriptor, converted to s16 with the
 * dsp table's round-to-nearest conversion and compared with the reference
 * over the decoded length (some references are zero-padded). A vector with
 * a non-empty reference passes with PSNR >= 96 dB (against 32767^2) and
 * a largest difference <= 1 LSB. Malformed vectors (names with "ILL" or
 * "nonstandard") pass when they give the reference output, stop with a
 * clean error, or have frames whose CRC does not match (which the decoder
 * mutes by default). Every vector must not crash or hang (ASan/UBSan
 * builds check the first). Frames the decoder outputs as silence because
 * their bit reservoir bytes are missing (the start of a stream that does
 * not begin at a reservoir boundary) are left out of the comparison: the
 * reference decoder drops them.
 *
 * Exit status 0 when every vector passes or the directory is absent.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/mp3/mp3_internal.h"
#include "mp3dec_common.h"
#include "simd/dsp.h"

#ifndef MP3_CONFORMANCE_DIR
#define MP3_CONFORMANCE_DIR "../shared/conformance/mp3"
#endif

typedef struct result {
    size_t frames, errors, samples, dropped;
    size_t trim_start, trim_end; /* LAME gapless trimming, in samples */
    uint32_t crc_errors, concealed;
    int16_t *pcm;
    size_t pcm_cap;
} result;

static int push(result *r, const int16_t *v, size_t n)
{
    if (r->samples + n > r->pcm_cap) {
        size_t ncap = r->pcm_cap ? r->pcm_cap * 2 : 1 << 16;
        while (ncap < r->samples + n)
            ncap *= 2;
        int16_t *p = segue_mem_realloc(NULL, r->pcm, r->pcm_cap * 2, ncap * 2);
        if (!p)
            return -1;
        r->pcm = p;
        r->pcm_cap = ncap;
    }
    memcpy(r->pcm + r->samples, v, n * 2);
    r->samples += n;
    return 0;
}

static int decode_file(const uint8_t *d, size_t n, result *r, unsigned *channels)
{
    const segue_codec_desc *desc = segue_codec_find("mp3", SEGUE_CODEC_DECODE);
    if (!desc)
        return -1;
    size_t pos = 0, start, len;
    size_t first = 0;
    /* The stream parameters come from the first frame, as a demuxer's. */
    segue_mpa_header h0;
    memset(&h0, 0, sizeof h0);
    size_t probe = 0;
    int have = 0;
    unsigned maxch = 1;
    while (mp3t_next_frame(d, n, &probe, &start, &len)) {
        segue_mpa_header hh;
        if (mp3t_parse(d + start, &hh) == 0) {
            if (!have)
                h0 = hh;
            have = 1;
            if (hh.channels > maxch)
                maxch = hh.channels;
        }
    }
    if (!have)
        return 0; /* no frames: nothing to decode */
    /* Streams that switch between mono and stereo (l3-he_mode) have
     * references in each frame's own channel count: decode as stereo and
     * keep one channel of the (duplicated) mono frames. */
    h0.channels = maxch;
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "mp3";
    p.sample_rate = h0.sample_rate;
    p.channels = h0.channels;
    p.max_packet_frames = 1152;
    *channels = h0.channels;
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    segue_error err;
    memset(&err, 0, sizeof err);
    if (!priv || desc->decoder_init(priv, &p, NULL, &err) < 0) {
        segue_mem_free(NULL, priv);
        return -1;
    }
    const segue_dsp *dsp = segue_dsp_get();
    int16_t out[1152 * 2];
    while (mp3t_next_frame(d, n, &pos, &start, &len)) {
        if (first++ == 0 && mp3t_is_vbr_tag(d + start, len)) {
            unsigned delay, padding;
            if (mp3t_lame_gapless(d + start, len, &delay, &padding) == 0) {
                /* Gapless as the references do it (the core's job with a
                 * demuxer): drop delay + 529 decoder-delay frames at the
                 * start and padding - 529 at the end. */
                r->trim_start = (size_t)(delay + 529u) * p.channels;
                r->trim_end = padding > 529u ? (size_t)(padding - 529u) * p.channels : 0;
            }
            continue;
        }
        segue_packet pkt = {d + start, len, -1, 0, 0};
        const float *pcm = NULL;
        size_t frames = 0;
        segue_error_clear(&err);
        segue_status st = desc->decode(priv, &pkt, &pcm, &frames, &err);
        r->frames++;
        if (st < 0) {
            r->errors++;
            continue; /* a demuxer-less caller may go on with the next frame */
        }
        dsp->f32_to_s16(out, pcm, frames * p.channels);
        segue_mpa_header fh;
        size_t keep = frames * p.channels;
        if (((mp3_state *)priv)->frame_flags & MP3_FRAME_RESERVOIR_MISSING) {
            /* The references come from a decoder that drops a frame whose
             * reservoir bytes are missing; this one outputs silence. */
            r->dropped++;
            continue;
        }
        if (p.channels == 2 && mp3t_parse(d + start, &fh) == 0 && fh.channels == 1) {
            for (size_t k = 0; k < frames; k++)
                out[k] = out[2 * k];
            keep = frames;
        }
        if (push(r, out, keep) != 0)
            break;
    }
    if (r->trim_start + r->trim_end < r->samples) {
        memmove(r->pcm, r->pcm + r->trim_start, (r->samples - r->trim_start) * sizeof *r->pcm);
        r->samples -= r->trim_start + r->trim_end;
    }
    mp3_state *s = priv;
    r->crc_errors = s->crc_errors;
    r->concealed = s->concealed;
    desc->fini(priv, NULL);
    segue_mem_free(NULL, priv);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : MP3_CONFORMANCE_DIR;
    DIR *dh = opendir(dir);
    if (!dh) {
        printf("skipped: ../shared/conformance/mp3 not present\n");
        return 0;
    }
    char *names[512];
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL && count < 512) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".bit") == 0)
            names[count++] = segue_mem_strdup(NULL, de->d_name);
    }
    closedir(dh);
    qsort(names, count, sizeof names[0], cmp_names);

    unsigned passed = 0, failed = 0, checked = 0;
    printf("%-48s %7s %8s %7s %8s %s\n", "vector", "frames", "samples", "maxdiff", "PSNR", "result");
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t n = 0, rn = 0;
        uint8_t *bit = mp3t_load(path, &n);
        size_t l = strlen(path);
        memcpy(path + l - 4, ".pcm", 5);
        uint8_t *ref = mp3t_load(path, &rn);
        int malformed = strstr(names[i], "ILL") || strstr(names[i], "nonstandard");
        result r;
        memset(&r, 0, sizeof r);
        unsigned ch = 0;
        int rc = bit ? decode_file(bit, n, &r, &ch) : -1;
        size_t ref_samples = ref ? rn / 2 : 0;
        size_t cmp = r.samples < ref_samples ? r.samples : ref_samples;
        double mse = 0.0;
        int maxdiff = 0;
        for (size_t k = 0; k < cmp; k++) {
            int want = (int16_t)(ref[2 * k] | (ref[2 * k + 1] << 8));
            int diff = abs(want - r.pcm[k]);
            if (diff > maxdiff)
                maxdiff = diff;
            mse += (double)diff * diff;
        }
        mse = cmp ? mse / (double)cmp : 0.0;
        double psnr = mse == 0.0 ? 99.0 : 10.0 * log10(32767.0 * 32767.0 / mse);
        int ok;
        const char *what;
        if (rc != 0) {
            ok = 0;
            what = "FAIL (cannot run)";
        } else if (ref_samples == 0) {
            ok = 1;
            what = r.errors ? "ok (no reference; clean error)" : "ok (no reference; ran)";
        } else {
            int match = psnr >= 96.0 && maxdiff <= 1 && cmp > 0;
            if (match) {
                ok = 1;
                what = r.errors ? "ok (matches; frames with errors skipped)" : "ok";
            } else if (malformed && r.errors) {
                ok = 1;
                what = "ok (malformed: clean error)";
            } else if (malformed && r.crc_errors) {
                ok = 1;
                what = "ok (malformed: CRC mismatch muted, the default)";
            } else {
                ok = 0;
                what = "FAIL";
            }
            checked++;
        }
        printf("%-48s %7zu %8zu %7d %8.2f %s", names[i], r.frames, r.samples, ref_samples ? maxdiff : 0,
               ref_samples ? psnr : 0.0, what);
        if (r.errors)
            printf(" [%zu error%s]", r.errors, r.errors == 1 ? "" : "s");
        if (r.concealed)
            printf(" [%u concealed]", r.concealed);
        if (r.crc_errors)
            printf(" [%u CRC]", r.crc_errors);
        if (r.dropped)
            printf(" [%zu no-reservoir frames not compared]", r.dropped);
        if (ref_samples && r.samples != ref_samples)
            printf(" [ref %zu samples]", ref_samples);
        printf("\n");
        if (ok)
            passed++;
        else
            failed++;
        segue_mem_free(NULL, r.pcm);
        segue_mem_free(NULL, bit);
        segue_mem_free(NULL, ref);
        segue_mem_free(NULL, names[i]);
    }
    printf("compared %u vectors with a reference\n", checked);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
