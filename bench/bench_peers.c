/*
 * bench/bench_peers.c - whole-file runs of our codecs and of the peer
 * libraries (bench_peers.h). The peers are called the way their own
 * documentation shows, with the settings ours uses, and are linked into the
 * bench only: the library never sees their headers.
 */
#include "bench_peers.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "segue/decoder.h"
#include "segue/encoder.h"
#include "segue/transcode.h"

#ifdef BENCH_HAVE_AVCODEC
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#endif
#ifdef BENCH_HAVE_LAME
#include <lame/lame.h>
#endif
#ifdef BENCH_HAVE_FAAD
#include <neaacdec.h>
#endif
#ifdef BENCH_HAVE_FLAC
#include <FLAC/stream_decoder.h>
#endif

static char error_text[256];

const char *bench_peer_error(void)
{
    return error_text;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, sizeof error_text, fmt, ap);
    va_end(ap);
    return -1;
}

/* Interleaved float staging for decoders that write into our buffer:
 * 4096 frames of up to 8 channels. */
static float pcm_scratch[4096 * 8];

/* ---- ours ------------------------------------------------------------- */

int bench_segue_decode(const unsigned char *data, size_t size, bench_result *r)
{
    memset(r, 0, sizeof *r);
    segue_io io;
    if (segue_io_from_memory(&io, data, size) != SEGUE_OK)
        return fail("segue: memory io");
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.gapless = 1;
    segue_decoder *d = NULL;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        fail("%s", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return -1;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    r->channels = info->channels;
    r->rate = info->sample_rate;
    if (r->channels == 0 || r->channels > 8) {
        segue_decoder_destroy(d);
        return fail("segue: %u channels", r->channels);
    }
    size_t capacity = sizeof pcm_scratch / sizeof pcm_scratch[0] / r->channels;
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, pcm_scratch, capacity, &got);
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0) {
            fail("%s", segue_decoder_last_error(d));
            segue_decoder_destroy(d);
            return -1;
        }
        r->frames += got;
    }
    segue_decoder_destroy(d);
    return 0;
}

/* A seekable sink that keeps nothing: position and size only, so the muxer
 * can back-patch headers as it would in a file, and neither side pays for
 * storing output the peers do not store either. */
typedef struct counting_sink {
    int64_t pos;
    int64_t size;
} counting_sink;

static long sink_write(void *user, const void *buf, size_t size)
{
    (void)buf;
    counting_sink *s = user;
    s->pos += (int64_t)size;
    if (s->pos > s->size)
        s->size = s->pos;
    return (long)size;
}

static int sink_seek(void *user, int64_t offset, segue_whence whence)
{
    counting_sink *s = user;
    int64_t base = whence == SEGUE_SEEK_SET ? 0 : whence == SEGUE_SEEK_CUR ? s->pos : s->size;
    if (base + offset < 0)
        return -1;
    s->pos = base + offset;
    return 0;
}

static int64_t sink_tell(void *user)
{
    return ((counting_sink *)user)->pos;
}

static segue_io counting_io(counting_sink *s)
{
    segue_io io;
    memset(&io, 0, sizeof io);
    memset(s, 0, sizeof *s);
    io.write = sink_write;
    io.seek = sink_seek;
    io.tell = sink_tell;
    io.user = s;
    return io;
}

static void apply_settings(segue_encoder_config *cfg, const bench_encode_settings *s)
{
    if (s->vbr) {
        cfg->rate_control = SEGUE_RC_VBR;
        cfg->quality = s->quality;
    } else {
        cfg->rate_control = SEGUE_RC_CBR;
        cfg->bitrate = (uint32_t)s->kbps * 1000u;
    }
}

int bench_segue_encode(const char *container, const char *codec, const float *pcm, size_t frames,
                       unsigned channels, unsigned rate, const bench_encode_settings *s,
                       bench_result *r)
{
    memset(r, 0, sizeof *r);
    counting_sink sink;
    segue_io io = counting_io(&sink);
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.container = container;
    cfg.codec = codec;
    cfg.sample_rate = rate;
    cfg.channels = channels;
    cfg.total_frames = (int64_t)frames;
    apply_settings(&cfg, s);
    segue_encoder *e = NULL;
    if (segue_encoder_open(&e, &io, &cfg) < 0) {
        fail("%s", e ? segue_encoder_last_error(e) : "segue_encoder_open failed");
        segue_encoder_destroy(e);
        return -1;
    }
    /* The same chunking as the peers get. */
    for (size_t done = 0; done < frames;) {
        size_t n = frames - done < 4096 ? frames - done : 4096;
        if (segue_encoder_write_f32(e, pcm + done * channels, n) < 0) {
            fail("%s", segue_encoder_last_error(e));
            segue_encoder_destroy(e);
            return -1;
        }
        done += n;
    }
    if (segue_encoder_finish(e) < 0) {
        fail("%s", segue_encoder_last_error(e));
        segue_encoder_destroy(e);
        return -1;
    }
    r->frames = segue_encoder_frames_written(e);
    segue_encoder_destroy(e);
    r->bytes = (unsigned long long)sink.size;
    r->channels = channels;
    r->rate = rate;
    return 0;
}

int bench_segue_transcode(const unsigned char *data, size_t size, const char *container,
                          const char *codec, const bench_encode_settings *s, bench_result *r)
{
    memset(r, 0, sizeof *r);
    segue_io src;
    if (segue_io_from_memory(&src, data, size) != SEGUE_OK)
        return fail("segue: memory io");
    counting_sink sink;
    segue_io dst = counting_io(&sink);
    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    cfg.encoder.container = container;
    cfg.encoder.codec = codec;
    apply_settings(&cfg.encoder, s);
    segue_transcoder *t = NULL;
    if (segue_transcoder_open(&t, &src, &dst, &cfg) < 0) {
        fail("%s", t ? segue_transcoder_last_error(t) : "segue_transcoder_open failed");
        segue_transcoder_destroy(t);
        return -1;
    }
    if (segue_transcoder_run(t, NULL, NULL) != SEGUE_OK) {
        fail("%s", segue_transcoder_last_error(t));
        segue_transcoder_destroy(t);
        return -1;
    }
    segue_transcode_stats stats;
    segue_transcoder_stats(t, &stats);
    const segue_stream_info *info = segue_transcoder_input_info(t);
    r->channels = info->channels;
    r->rate = info->sample_rate;
    r->frames = stats.output_frames;
    segue_transcoder_destroy(t);
    r->bytes = (unsigned long long)sink.size;
    return 0;
}

/* ---- libavcodec --------------------------------------------------------- */

#ifdef BENCH_HAVE_AVCODEC
typedef struct av_job {
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *frame;
} av_job;

static void av_job_close(av_job *j)
{
    av_frame_free(&j->frame);
    av_packet_free(&j->pkt);
    avcodec_free_context(&j->ctx);
}

/* The encoders' statistics lines would land in the bench's output. */
static void av_quiet(void)
{
    av_log_set_level(AV_LOG_ERROR);
}

static int av_job_open_decoder(av_job *j, const char *name)
{
    av_quiet();
    memset(j, 0, sizeof *j);
    const AVCodec *codec = avcodec_find_decoder_by_name(name);
    if (!codec)
        return fail("libavcodec: no decoder %s", name);
    j->ctx = avcodec_alloc_context3(codec);
    j->pkt = av_packet_alloc();
    j->frame = av_frame_alloc();
    if (!j->ctx || !j->pkt || !j->frame) {
        av_job_close(j);
        return fail("libavcodec: out of memory");
    }
    return 0;
}

/* Sends one packet (NULL drains) and takes every frame it gives. */
static int av_decode_packet(av_job *j, const AVPacket *pkt, bench_result *r)
{
    int rc = avcodec_send_packet(j->ctx, pkt);
    if (rc < 0 && rc != AVERROR_EOF)
        return rc == AVERROR_INVALIDDATA ? 0 : fail("libavcodec: send_packet %d", rc);
    for (;;) {
        rc = avcodec_receive_frame(j->ctx, j->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return fail("libavcodec: receive_frame %d", rc);
        r->frames += (unsigned long long)j->frame->nb_samples;
        r->channels = (unsigned)j->frame->ch_layout.nb_channels;
        r->rate = (unsigned)j->frame->sample_rate;
        av_frame_unref(j->frame);
    }
}

static enum AVCodecID parser_id(const char *decoder)
{
    if (strncmp(decoder, "mp3", 3) == 0)
        return AV_CODEC_ID_MP3;
    if (strncmp(decoder, "aac", 3) == 0)
        return AV_CODEC_ID_AAC;
    return AV_CODEC_ID_NONE;
}
#endif

int bench_avcodec_decode_parsed(const char *decoder, const unsigned char *data, size_t size,
                                bench_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_HAVE_AVCODEC
    av_job j;
    if (av_job_open_decoder(&j, decoder) < 0)
        return -1;
    if (avcodec_open2(j.ctx, j.ctx->codec, NULL) < 0) {
        av_job_close(&j);
        return fail("libavcodec: cannot open %s", decoder);
    }
    /* No libavformat here: the codec's own parser splits the elementary
     * stream into frames, as a player without a demuxer would. */
    AVCodecParserContext *parser = av_parser_init((int)parser_id(decoder));
    if (!parser) {
        av_job_close(&j);
        return fail("libavcodec: no parser for %s", decoder);
    }
    int rc = 0;
    size_t pos = 0;
    for (;;) {
        int left = (int)(size - pos);
        uint8_t *out = NULL;
        int out_size = 0;
        int used = av_parser_parse2(parser, j.ctx, &out, &out_size, left ? data + pos : NULL, left,
                                    AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
        if (used < 0) {
            rc = fail("libavcodec: parser error %d", used);
            break;
        }
        pos += (size_t)used;
        if (out_size > 0) {
            j.pkt->data = out;
            j.pkt->size = out_size;
            rc = av_decode_packet(&j, j.pkt, r);
            if (rc < 0)
                break;
        }
        if (left == 0 && out_size == 0)
            break;
    }
    if (rc == 0)
        rc = av_decode_packet(&j, NULL, r);
    av_parser_close(parser);
    av_job_close(&j);
    return rc;
#else
    (void)decoder, (void)data, (void)size;
    return fail("libavcodec not linked");
#endif
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int bench_avcodec_decode_riff(const char *decoder, const unsigned char *data, size_t size,
                              bench_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_HAVE_AVCODEC
    /* RIFF WAVE: the fmt chunk carries the block size and the codec's
     * extra data; the data chunk is a run of fixed-size blocks. */
    if (size < 12 || memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WAVE", 4) != 0)
        return fail("not a RIFF WAVE file");
    const unsigned char *fmt = NULL, *payload = NULL;
    size_t fmt_size = 0, payload_size = 0;
    for (size_t pos = 12; pos + 8 <= size;) {
        size_t len = le32(data + pos + 4);
        if (len > size - pos - 8)
            len = size - pos - 8;
        if (memcmp(data + pos, "fmt ", 4) == 0) {
            fmt = data + pos + 8;
            fmt_size = len;
        } else if (memcmp(data + pos, "data", 4) == 0) {
            payload = data + pos + 8;
            payload_size = len;
        }
        pos += 8 + len + (len & 1);
    }
    if (!fmt || fmt_size < 16 || !payload)
        return fail("RIFF: no fmt or data chunk");
    unsigned channels = le16(fmt + 2);
    unsigned block = le16(fmt + 12);
    size_t extra = fmt_size >= 18 ? le16(fmt + 16) : 0;
    if (extra > fmt_size - 18)
        extra = 0;
    if (block == 0)
        return fail("RIFF: block_align 0");
    av_job j;
    if (av_job_open_decoder(&j, decoder) < 0)
        return -1;
    av_channel_layout_default(&j.ctx->ch_layout, (int)channels);
    j.ctx->sample_rate = (int)le32(fmt + 4);
    j.ctx->bit_rate = (int64_t)le32(fmt + 8) * 8;
    j.ctx->block_align = (int)block;
    if (extra) {
        j.ctx->extradata = av_mallocz(extra + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!j.ctx->extradata) {
            av_job_close(&j);
            return fail("libavcodec: out of memory");
        }
        memcpy(j.ctx->extradata, fmt + 18, extra);
        j.ctx->extradata_size = (int)extra;
    }
    if (avcodec_open2(j.ctx, j.ctx->codec, NULL) < 0) {
        av_job_close(&j);
        return fail("libavcodec: cannot open %s", decoder);
    }
    int rc = 0;
    for (size_t pos = 0; pos + block <= payload_size && rc == 0; pos += block) {
        j.pkt->data = (uint8_t *)(uintptr_t)(payload + pos);
        j.pkt->size = (int)block;
        rc = av_decode_packet(&j, j.pkt, r);
    }
    if (rc == 0)
        rc = av_decode_packet(&j, NULL, r);
    av_job_close(&j);
    return rc;
#else
    (void)decoder, (void)data, (void)size;
    return fail("libavcodec not linked");
#endif
}

int bench_avcodec_encode(const char *encoder, const float *pcm, size_t frames, unsigned channels,
                         unsigned rate, const bench_encode_settings *s, bench_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_HAVE_AVCODEC
    av_quiet();
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    if (!codec)
        return fail("libavcodec: no encoder %s", encoder);
    av_job j;
    memset(&j, 0, sizeof j);
    j.ctx = avcodec_alloc_context3(codec);
    j.pkt = av_packet_alloc();
    j.frame = av_frame_alloc();
    if (!j.ctx || !j.pkt || !j.frame) {
        av_job_close(&j);
        return fail("libavcodec: out of memory");
    }
    j.ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
    j.ctx->sample_rate = (int)rate;
    av_channel_layout_default(&j.ctx->ch_layout, (int)channels);
    j.ctx->bit_rate = (int64_t)s->kbps * 1000;
    if (avcodec_open2(j.ctx, codec, NULL) < 0) {
        av_job_close(&j);
        return fail("libavcodec: cannot open %s", encoder);
    }
    int frame_size = j.ctx->frame_size > 0 ? j.ctx->frame_size : 1024;
    int rc = 0;
    size_t done = 0;
    /* One pass past the end drains (NULL frame). */
    while (rc == 0) {
        const AVFrame *send = NULL;
        if (done < frames) {
            size_t n = frames - done < (size_t)frame_size ? frames - done : (size_t)frame_size;
            j.frame->nb_samples = (int)n;
            j.frame->format = AV_SAMPLE_FMT_FLTP;
            j.frame->sample_rate = (int)rate;
            av_channel_layout_copy(&j.frame->ch_layout, &j.ctx->ch_layout);
            if (av_frame_get_buffer(j.frame, 0) < 0) {
                rc = fail("libavcodec: frame buffer");
                break;
            }
            /* The encoder takes planar float: deinterleave our PCM. */
            for (unsigned c = 0; c < channels; c++) {
                float *plane = (float *)j.frame->data[c];
                const float *src = pcm + done * channels + c;
                for (size_t i = 0; i < n; i++)
                    plane[i] = src[i * channels];
            }
            j.frame->pts = (int64_t)done;
            done += n;
            send = j.frame;
        }
        int sent = avcodec_send_frame(j.ctx, send);
        av_frame_unref(j.frame);
        if (sent < 0) {
            rc = fail("libavcodec: send_frame %d", sent);
            break;
        }
        for (;;) {
            int got = avcodec_receive_packet(j.ctx, j.pkt);
            if (got == AVERROR(EAGAIN) || got == AVERROR_EOF)
                break;
            if (got < 0) {
                rc = fail("libavcodec: receive_packet %d", got);
                break;
            }
            r->bytes += (unsigned long long)j.pkt->size;
            av_packet_unref(j.pkt);
        }
        if (!send)
            break;
    }
    r->frames = done;
    r->channels = channels;
    r->rate = rate;
    av_job_close(&j);
    return rc;
#else
    (void)encoder, (void)pcm, (void)frames, (void)channels, (void)rate, (void)s;
    return fail("libavcodec not linked");
#endif
}

const char *bench_avcodec_version(void)
{
#ifdef BENCH_HAVE_AVCODEC
    static char text[48];
    unsigned v = avcodec_version();
    snprintf(text, sizeof text, "libavcodec %u.%u.%u", v >> 16, (v >> 8) & 255u, v & 255u);
    return text;
#else
    return "";
#endif
}

/* ---- libfaad ------------------------------------------------------------ */

int bench_faad_decode(const unsigned char *data, size_t size, bench_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_HAVE_FAAD
    NeAACDecHandle h = NeAACDecOpen();
    if (!h)
        return fail("libfaad: open failed");
    NeAACDecConfigurationPtr conf = NeAACDecGetCurrentConfiguration(h);
    conf->outputFormat = FAAD_FMT_FLOAT;
    conf->downMatrix = 0;
    NeAACDecSetConfiguration(h, conf);
    unsigned long rate = 0;
    unsigned char channels = 0;
    /* libfaad takes a non-const buffer but does not write to it. */
    unsigned char *bytes = (unsigned char *)(uintptr_t)data;
    long skip = NeAACDecInit(h, bytes, (unsigned long)size, &rate, &channels);
    if (skip < 0) {
        NeAACDecClose(h);
        return fail("libfaad: init failed");
    }
    r->rate = (unsigned)rate;
    r->channels = channels;
    int rc = 0;
    for (size_t pos = (size_t)skip; pos < size;) {
        NeAACDecFrameInfo info;
        NeAACDecDecode(h, &info, bytes + pos, (unsigned long)(size - pos));
        if (info.error) {
            rc = fail("libfaad: %s", NeAACDecGetErrorMessage(info.error));
            break;
        }
        if (info.bytesconsumed == 0)
            break;
        pos += info.bytesconsumed;
        if (info.channels)
            r->frames += info.samples / info.channels;
    }
    NeAACDecClose(h);
    return rc;
#else
    (void)data, (void)size;
    return fail("libfaad not linked");
#endif
}

const char *bench_faad_version(void)
{
#ifdef BENCH_HAVE_FAAD
    static char text[48];
    char *id = NULL;
    NeAACDecGetVersion(&id, NULL);
    snprintf(text, sizeof text, "libfaad %s", id ? id : "?");
    return text;
#else
    return "";
#endif
}

/* ---- libmp3lame --------------------------------------------------------- */

#ifdef BENCH_HAVE_LAME
/* Encoded bytes are written here and dropped: LAME documents 1.25 * n +
 * 7200 bytes as enough for n frames per call; calls below pass at most
 * 4096 frames. */
static unsigned char bitstream_scratch[16384];

/* The settings codec/ext/lame uses for the same request: no resampling,
 * joint stereo, Xing/LAME tag, no ReplayGain analysis, LAME's default
 * algorithm quality. */
static lame_global_flags *lame_open(unsigned channels, unsigned rate, const bench_encode_settings *s)
{
    lame_global_flags *g = lame_init();
    if (!g)
        return NULL;
    lame_set_num_channels(g, (int)channels);
    lame_set_in_samplerate(g, (int)rate);
    lame_set_out_samplerate(g, (int)rate);
    lame_set_mode(g, channels == 1 ? MONO : JOINT_STEREO);
    lame_set_bWriteVbrTag(g, 1);
    lame_set_findReplayGain(g, 0);
    lame_set_write_id3tag_automatic(g, 0);
    if (s->vbr) {
        lame_set_VBR(g, vbr_default);
        lame_set_VBR_quality(g, s->quality);
    } else {
        lame_set_VBR(g, vbr_off);
        lame_set_brate(g, s->kbps);
    }
    if (lame_init_params(g) < 0) {
        lame_close(g);
        return NULL;
    }
    return g;
}

static int lame_finish(lame_global_flags *g, bench_result *r)
{
    int n = lame_encode_flush(g, bitstream_scratch, (int)sizeof bitstream_scratch);
    if (n < 0)
        return fail("lame: flush %d", n);
    r->bytes += (unsigned long long)n;
    /* The Xing/LAME tag frame a file writer puts back at the start. */
    lame_get_lametag_frame(g, bitstream_scratch, sizeof bitstream_scratch);
    return 0;
}
#endif

int bench_lame_encode(const float *pcm, size_t frames, unsigned channels, unsigned rate,
                      const bench_encode_settings *s, bench_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef BENCH_HAVE_LAME
    lame_global_flags *g = lame_open(channels, rate, s);
    if (!g)
        return fail("lame: settings rejected");
    int rc = 0;
    for (size_t done = 0; done < frames && rc == 0;) {
        size_t n = frames - done < 4096 ? frames - done : 4096;
        int got = channels == 2
                      ? lame_encode_buffer_interleaved_ieee_float(g, pcm + done * 2, (int)n,
                                                                   bitstream_scratch,
                                                                   (int)sizeof bitstream_scratch)
                      : lame_encode_buffer_ieee_float(g, pcm + done, NULL, (int)n,
                                                      bitstream_scratch,
                                                      (int)sizeof bitstream_scratch);
        if (got < 0)
            rc = fail("lame: encode %d", got);
        else
            r->bytes += (unsigned long long)got;
        done += n;
    }
    if (rc == 0)
        rc = lame_finish(g, r);
    lame_close(g);
    r->frames = frames;
    r->channels = channels;
    r->rate = rate;
    return rc;
#else
    (void)pcm, (void)frames, (void)channels, (void)rate, (void)s;
    return fail("libmp3lame not linked");
#endif
}

const char *bench_lame_version(void)
{
#ifdef BENCH_HAVE_LAME
    static char text[48];
    snprintf(text, sizeof text, "libmp3lame %s", get_lame_version());
    return text;
#else
    return "";
#endif
}

/* ---- libFLAC + libmp3lame: the peer transcode chain ------------------- */

#if defined(BENCH_HAVE_FLAC) && defined(BENCH_HAVE_LAME)
typedef struct flac_lame_job {
    const unsigned char *data;
    size_t size, pos;
    const bench_encode_settings *settings;
    lame_global_flags *lame;
    bench_result *r;
    int failed;
    float planes[2][FLAC__MAX_BLOCK_SIZE];
} flac_lame_job;

static flac_lame_job flac_job; /* 512 KiB of planes: static, not on the stack */

static FLAC__StreamDecoderReadStatus flac_read(const FLAC__StreamDecoder *d, FLAC__byte *buf,
                                               size_t *bytes, void *user)
{
    (void)d;
    flac_lame_job *j = user;
    size_t n = j->size - j->pos < *bytes ? j->size - j->pos : *bytes;
    memcpy(buf, j->data + j->pos, n);
    j->pos += n;
    *bytes = n;
    return n ? FLAC__STREAM_DECODER_READ_STATUS_CONTINUE
             : FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
}

static FLAC__StreamDecoderWriteStatus flac_write(const FLAC__StreamDecoder *d,
                                                 const FLAC__Frame *frame,
                                                 const FLAC__int32 *const buffer[], void *user)
{
    (void)d;
    flac_lame_job *j = user;
    unsigned channels = frame->header.channels;
    unsigned n = frame->header.blocksize;
    if (channels > 2) {
        fail("flac+lame: %u channels", channels);
        j->failed = 1;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if (!j->lame) {
        j->lame = lame_open(channels, frame->header.sample_rate, j->settings);
        if (!j->lame) {
            fail("lame: settings rejected");
            j->failed = 1;
            return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
        }
        j->r->channels = channels;
        j->r->rate = frame->header.sample_rate;
    }
    /* Integer samples to float in [-1, 1), planar as libFLAC gives them,
     * which is what lame_encode_buffer_ieee_float takes. */
    const float scale = 1.0f / (float)(1u << (frame->header.bits_per_sample - 1));
    for (unsigned c = 0; c < channels; c++)
        for (unsigned i = 0; i < n; i++)
            j->planes[c][i] = (float)buffer[c][i] * scale;
    for (unsigned off = 0; off < n;) {
        unsigned chunk = n - off < 4096 ? n - off : 4096;
        int got = lame_encode_buffer_ieee_float(j->lame, j->planes[0] + off,
                                                channels == 2 ? j->planes[1] + off : NULL,
                                                (int)chunk, bitstream_scratch,
                                                (int)sizeof bitstream_scratch);
        if (got < 0) {
            fail("lame: encode %d", got);
            j->failed = 1;
            return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
        }
        j->r->bytes += (unsigned long long)got;
        off += chunk;
    }
    j->r->frames += n;
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void flac_error(const FLAC__StreamDecoder *d, FLAC__StreamDecoderErrorStatus status,
                       void *user)
{
    (void)d;
    flac_lame_job *j = user;
    fail("libFLAC: %s", FLAC__StreamDecoderErrorStatusString[status]);
    j->failed = 1;
}
#endif

int bench_flac_lame_transcode(const unsigned char *data, size_t size,
                              const bench_encode_settings *s, bench_result *r)
{
    memset(r, 0, sizeof *r);
#if defined(BENCH_HAVE_FLAC) && defined(BENCH_HAVE_LAME)
    flac_lame_job *j = &flac_job;
    j->data = data;
    j->size = size;
    j->pos = 0;
    j->settings = s;
    j->lame = NULL;
    j->r = r;
    j->failed = 0;
    FLAC__StreamDecoder *d = FLAC__stream_decoder_new();
    if (!d)
        return fail("libFLAC: out of memory");
    /* libFLAC's default, made explicit: no MD5 check of the decoded audio. */
    FLAC__stream_decoder_set_md5_checking(d, false);
    if (FLAC__stream_decoder_init_stream(d, flac_read, NULL, NULL, NULL, NULL, flac_write, NULL,
                                         flac_error, j) != FLAC__STREAM_DECODER_INIT_STATUS_OK) {
        FLAC__stream_decoder_delete(d);
        return fail("libFLAC: init failed");
    }
    int rc = FLAC__stream_decoder_process_until_end_of_stream(d) && !j->failed ? 0 : -1;
    if (rc < 0 && !j->failed)
        fail("libFLAC: %s", FLAC__stream_decoder_get_resolved_state_string(d));
    FLAC__stream_decoder_finish(d);
    FLAC__stream_decoder_delete(d);
    if (j->lame) {
        if (rc == 0)
            rc = lame_finish(j->lame, r);
        lame_close(j->lame);
    } else if (rc == 0) {
        rc = fail("flac+lame: no audio");
    }
    return rc;
#else
    (void)data, (void)size, (void)s;
    return fail("libFLAC or libmp3lame not linked");
#endif
}

const char *bench_flac_version(void)
{
#ifdef BENCH_HAVE_FLAC
    static char text[48];
    snprintf(text, sizeof text, "libFLAC %s", FLAC__VERSION_STRING);
    return text;
#else
    return "";
#endif
}
