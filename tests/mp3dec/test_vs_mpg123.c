/*
 * tests/mp3dec/test_vs_mpg123.c - accuracy of the whole MP3 decoding path
 * (demuxer, gapless trimming, our decoder) against libmpg123, on real
 * encodes.
 *
 * A matrix of excerpts of ../shared/corpus (6 s each, decoded with ffmpeg)
 * is encoded with lame into a temporary folder: CBR 32, 128 and 320 kbit/s;
 * VBR -V 0, -V 5, -V 9; ABR 160; mono, joint and plain stereo; sampling
 * rates 8, 16, 22.05, 32, 44.1 and 48 kHz (MPEG-2.5, 2 and 1). Each file
 * is decoded in this process by segue (segue_decoder over the file's bytes
 * in memory, float) and by libmpg123 (MPG123_ENC_FLOAT_32, reading the
 * same bytes), both gapless: the LAME tag's delay and padding are trimmed
 * on both sides, so the outputs must line up sample for sample, with the
 * same length; no search for an offset is made. Pass: RMS difference below
 * the ISO/IEC 11172-4 full-accuracy bound, 2^-15 / sqrt(12) of full scale
 * (full scale 1.0, i.e. the RMS of a uniform error of one 16-bit LSB).
 * Every stream's figures are printed.
 *
 * Prints "skipped: ../shared/corpus not present" (and passes) without the
 * corpus, and likewise when lame or ffmpeg is missing. Exit status 1 on
 * any failure.
 */
#include <math.h>
#include <mpg123.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "segue/decoder.h"
#include "simd/dsp.h"

#ifndef MP3_CORPUS_DIR
#define MP3_CORPUS_DIR "../shared/corpus"
#endif

typedef struct encode {
    const char *name;
    const char *source;   /* corpus file */
    double start;         /* excerpt start, seconds */
    const char *lame;     /* lame options */
} encode;

/* Different material for each setting, so every one also sees a different
 * kind of signal. Bit rates that a sampling rate does not allow are not
 * listed; lame picks the MPEG version from the output rate. */
static const encode matrix[] = {
    {"cbr32-speech", "speech_espeak.flac", 2.0, "-b 32"},
    {"cbr128-drums", "drums_acoustic.flac", 10.0, "-b 128"},
    {"cbr320-orchestral", "orchestral_dense.flac", 12.0, "-b 320"},
    {"v0-pinknoise", "pink_noise.flac", 3.0, "-V 0"},
    {"v5-midi", "midi_fluidsynth.flac", 8.0, "-V 5"},
    {"v9-orchestral-quiet", "orchestral_quiet.flac", 14.0, "-V 9"},
    {"abr160-midi", "midi_fluidsynth.flac", 20.0, "--abr 160"},
    {"mono96-orchestral", "orchestral_dense.flac", 20.0, "-m m -b 96"},
    {"joint192-drums", "drums_acoustic.flac", 0.0, "-m j -b 192"},
    {"stereo192-orchestral", "orchestral_dense.flac", 0.0, "-m s -b 192"},
    {"8khz-speech", "speech_espeak.flac", 5.0, "--resample 8 -b 24"},
    {"16khz-midi", "midi_fluidsynth.flac", 0.0, "--resample 16 -b 48"},
    {"22khz-drums", "drums_acoustic.flac", 20.0, "--resample 22.05 -b 64"},
    {"32khz-sweep", "sine_sweep.flac", 10.0, "--resample 32 -b 96"},
    {"44khz-sweep", "sine_sweep.flac", 20.0, "--resample 44.1 -V 2"},
    {"48khz-orchestral", "orchestral_dense.flac", 5.0, "--resample 48 -b 160"},
};
#define N_MATRIX (sizeof matrix / sizeof matrix[0])
#define EXCERPT_SECONDS 6.0

typedef struct pcm {
    float *data;
    size_t samples; /* interleaved values */
    size_t cap;
    unsigned channels;
    unsigned rate;
} pcm;

static int pcm_push(pcm *p, const float *v, size_t n)
{
    if (n == 0)
        return 0;
    if (p->samples + n > p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : (size_t)1 << 18;
        while (ncap < p->samples + n)
            ncap *= 2;
        float *d = segue_mem_realloc(NULL, p->data, p->cap * sizeof *d, ncap * sizeof *d);
        if (!d)
            return -1;
        p->data = d;
        p->cap = ncap;
    }
    memcpy(p->data + p->samples, v, n * sizeof *v);
    p->samples += n;
    return 0;
}

static unsigned char *load(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    *size = 0;
    if (!f)
        return NULL;
    size_t cap = (size_t)1 << 18;
    unsigned char *buf = segue_mem_alloc(NULL, cap);
    while (buf) {
        size_t got = fread(buf + *size, 1, cap - *size, f);
        *size += got;
        if (got == 0)
            break;
        if (*size == cap) {
            unsigned char *nb = segue_mem_realloc(NULL, buf, cap, cap * 2);
            if (!nb) {
                segue_mem_free(NULL, buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    return buf;
}

static float chunk[4096 * 2];

static int decode_segue(const unsigned char *data, size_t size, pcm *out)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) != SEGUE_OK)
        return -1;
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.gapless = 1;
    segue_decoder *d = NULL;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        printf("  segue: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return -1;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    out->channels = info->channels;
    out->rate = info->sample_rate;
    int rc = 0;
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, chunk, 4096, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0 || pcm_push(out, chunk, got * info->channels) != 0) {
            printf("  segue: %s\n", segue_decoder_last_error(d));
            rc = -1;
            break;
        }
    }
    segue_decoder_destroy(d);
    return rc;
}

typedef struct mem_reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
} mem_reader;

static mpg123_ssize_t mem_read(void *h, void *buf, size_t n)
{
    mem_reader *m = h;
    size_t left = m->size - m->pos;
    if (n > left)
        n = left;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (mpg123_ssize_t)n;
}

static off_t mem_seek(void *h, off_t off, int whence)
{
    mem_reader *m = h;
    off_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (off_t)m->pos : (off_t)m->size;
    off_t to = base + off;
    if (to < 0 || (size_t)to > m->size)
        return -1;
    m->pos = (size_t)to;
    return to;
}

static int decode_mpg123(const unsigned char *data, size_t size, pcm *out)
{
    int err = MPG123_OK;
    mpg123_handle *mh = mpg123_new(NULL, &err);
    if (!mh)
        return -1;
    mpg123_param(mh, MPG123_FLAGS, MPG123_GAPLESS | MPG123_QUIET, 0.0);
    mpg123_format_none(mh);
    static const long rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        mpg123_format(mh, rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
    mem_reader m = {data, size, 0};
    if (mpg123_replace_reader_handle(mh, mem_read, mem_seek, NULL) != MPG123_OK ||
        mpg123_open_handle(mh, &m) != MPG123_OK) {
        mpg123_delete(mh);
        return -1;
    }
    int rc = 0;
    for (;;) {
        size_t done = 0;
        int st = mpg123_read(mh, chunk, sizeof chunk, &done);
        if (st == MPG123_NEW_FORMAT) {
            long rate;
            int ch, enc;
            mpg123_getformat(mh, &rate, &ch, &enc);
            out->rate = (unsigned)rate;
            out->channels = (unsigned)ch;
        } else if (st != MPG123_OK && st != MPG123_DONE) {
            printf("  mpg123: %s\n", mpg123_plain_strerror(st));
            rc = -1;
            break;
        }
        if (pcm_push(out, chunk, done / sizeof(float)) != 0) {
            rc = -1;
            break;
        }
        if (st == MPG123_DONE)
            break;
    }
    mpg123_delete(mh);
    return rc;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static int have_tool(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

int main(void)
{
    struct stat sb;
    if (stat(MP3_CORPUS_DIR, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("skipped: ../shared/corpus not present\n");
        return 0;
    }
    if (!have_tool("lame") || !have_tool("ffmpeg")) {
        printf("skipped: lame or ffmpeg not installed\n");
        return 0;
    }
    char dir[] = "/tmp/segue-vs-mpg123-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL: cannot make a temporary folder\n");
        return 1;
    }
    mpg123_init(); /* a no-op since libmpg123 1.27, required before */
    /* ISO/IEC 11172-4 "full accuracy": RMS error below 2^-15 / sqrt(12). */
    const double bound = ldexp(1.0, -15) / sqrt(12.0);
    printf("segue (%s kernels) vs libmpg123 (API %d), gapless on both, 32-bit float; "
           "pass: RMS difference < %.3g (2^-15/sqrt(12))\n",
           segue_cpu_level_name(segue_cpu_active()), MPG123_API_VERSION, bound);
    printf("%-22s %-26s %6s %3s %9s %11s %11s %8s  %s\n", "stream", "lame", "rate", "ch", "frames",
           "rms diff", "max |diff|", "rms/bnd", "result");
    int failures = 0;
    int done = 0;
    for (size_t i = 0; i < N_MATRIX; i++) {
        const encode *e = &matrix[i];
        char src[1024], wav[256], mp3[256], cmd[4096];
        int n1 = snprintf(src, sizeof src, "%s/%s", MP3_CORPUS_DIR, e->source);
        if (n1 < 0 || (size_t)n1 >= sizeof src || stat(src, &sb) != 0) {
            printf("%-22s skipped: %s not in the corpus\n", e->name, e->source);
            continue;
        }
        int n2 = snprintf(wav, sizeof wav, "%s/%s.wav", dir, e->name);
        int n3 = snprintf(mp3, sizeof mp3, "%s/%s.mp3", dir, e->name);
        int n4 = snprintf(cmd, sizeof cmd,
                          "ffmpeg -v error -y -ss %.1f -t %.1f -i '%s' -c:a pcm_s16le '%s' && "
                          "lame --quiet %s '%s' '%s'",
                          e->start, EXCERPT_SECONDS, src, wav, e->lame, wav, mp3);
        if (n2 < 0 || (size_t)n2 >= sizeof wav || n3 < 0 || (size_t)n3 >= sizeof mp3 || n4 < 0 ||
            (size_t)n4 >= sizeof cmd || run(cmd) != 0) {
            printf("%-22s FAIL: encoding failed: %s\n", e->name, cmd);
            failures++;
            continue;
        }
        size_t size = 0;
        unsigned char *bytes = load(mp3, &size);
        pcm ours = {0};
        pcm ref = {0};
        int ok = bytes && decode_segue(bytes, size, &ours) == 0 &&
                 decode_mpg123(bytes, size, &ref) == 0;
        const char *verdict = "ok";
        double rms = 0.0;
        double maxd = 0.0;
        if (!ok) {
            verdict = "FAIL: decode error";
        } else if (ours.channels != ref.channels || ours.rate != ref.rate) {
            verdict = "FAIL: format differs";
        } else if (ours.samples != ref.samples || ours.samples == 0) {
            printf("  %s: %zu samples (segue) vs %zu (mpg123)\n", e->name, ours.samples,
                   ref.samples);
            verdict = "FAIL: length differs";
        } else {
            double sum = 0.0;
            for (size_t k = 0; k < ours.samples; k++) {
                double d = (double)ours.data[k] - (double)ref.data[k];
                sum += d * d;
                if (fabs(d) > maxd)
                    maxd = fabs(d);
            }
            rms = sqrt(sum / (double)ours.samples);
            if (!(rms < bound))
                verdict = "FAIL: rms above bound";
        }
        if (strcmp(verdict, "ok") != 0)
            failures++;
        printf("%-22s %-26s %6u %3u %9zu %11.3g %11.3g %8.4f  %s\n", e->name, e->lame, ref.rate,
               ref.channels, ref.channels ? ref.samples / ref.channels : 0, rms, maxd, rms / bound,
               verdict);
        done++;
        segue_mem_free(NULL, ours.data);
        segue_mem_free(NULL, ref.data);
        segue_mem_free(NULL, bytes);
        remove(wav);
        remove(mp3);
    }
    rmdir(dir);
    printf("%d streams compared, %d failed\n", done, failures);
    return failures ? 1 : 0;
}
