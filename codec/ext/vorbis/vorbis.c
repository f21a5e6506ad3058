/*
 * codec/ext/vorbis/vorbis.c - Vorbis through libvorbis (decode) and
 * libvorbisenc (encode).
 *
 * References: Xiph "Vorbis I specification" 4.2 (header packets), 4.3.9
 * (channel order), A.2 (Ogg mapping); the libvorbis and libvorbisenc API
 * documentation (vorbis_synthesis*, vorbis_analysis*, vorbis_encode_*).
 *
 * Decoder:
 *   - extradata: the three header packets in Xiph lacing (byte 0 = 2, the
 *     sizes of packets 0 and 1 as runs of 255 plus a final byte < 255, then
 *     the packets; the third takes the rest), as container/ogg.c builds it.
 *   - A packet whose first byte is 1, 3 or 5 followed by "vorbis" is a
 *     header of a new chain link: after the setup header the decoder starts
 *     over with the new headers (same rate and channels, or UNSUPPORTED).
 *   - Output is interleaved float in WAV channel order (the Vorbis order of
 *     4.3.9 reordered for 3..8 channels). The packet after a reset (and the
 *     first one) primes the overlap and gives no output.
 *   - packet.frames, when non-zero, caps the frames output from that packet:
 *     the Ogg demuxer trims the end of a stream that way.
 *   - A packet libvorbis rejects is concealed with packet.frames of silence
 *     (nothing if frames is 0); the decode goes on.
 *   - Buffers are allocated at init for the largest block (8192) times the
 *     channels; libvorbis allocates internally.
 *
 * Encoder:
 *   - Rate control: DEFAULT and VBR use quality (-1..10, default 5; NaN
 *     means default) or, with a bitrate and no quality, VBR around that
 *     nominal bitrate; ABR is libvorbisenc's managed mode with only an
 *     average; CBR is managed with min = nominal = max = bitrate. ABR/CBR
 *     without a bitrate use 64 kb/s per channel.
 *   - extradata: the three header packets from vorbis_analysis_headerout in
 *     Xiph lacing (the muxer writes its own comment header instead of the
 *     second).
 *   - encode() returns one packet per call. libvorbis may have several
 *     ready: then it returns SEGUE_AGAIN, and the caller writes the packet
 *     and calls encode(NULL, 0) again, which hands out the next one (or
 *     returns SEGUE_OK with size 0 when there was none) without flushing.
 *     encode(NULL, 0) after a call that did not return AGAIN flushes.
 *   - pts/frames come from the packet granule positions: pts is the
 *     previous packet's granule, frames the difference (0 for the first).
 */
#include <math.h>
#include <string.h>

#include <vorbis/codec.h>
#include <vorbis/vorbisenc.h>

#include <segue/encoder.h>

#include "codec/common/xiph_lacing.h"
#include "codec/codec.h"
#include "core/alloc.h"

#define VORBIS_MAX_BLOCK 8192u
#define VORBIS_MAX_CHANNELS 8u
#define VORBIS_DEFAULT_QUALITY 5.0f

/* WAV position i takes Vorbis channel table[n][i] (4.3.9 orders vs the
 * WAVE_FORMAT_EXTENSIBLE speaker-bit order). */
static const uint8_t vorbis_to_wav[9][8] = {
    {0}, {0}, {0, 1}, {0, 2, 1}, {0, 1, 2, 3}, {0, 2, 1, 3, 4},
    {0, 2, 1, 5, 3, 4}, {0, 2, 1, 6, 5, 3, 4}, {0, 2, 1, 7, 5, 6, 3, 4},
};

typedef struct vorbis_state {
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_dsp_state vd;
    vorbis_block vb;
    int vi_init, vc_init, vd_init, vb_init;
    /* decoder: headers of a new chain link */
    vorbis_info vi_next;
    vorbis_comment vc_next;
    int next_init;
    unsigned next_count;
    uint32_t channels, rate;
    float *out;
    size_t out_frames;
    int64_t packetno;
    /* encoder */
    int encoder;
    uint8_t *extradata;
    int64_t last_granule;
    int flushed, draining, in_bitrate;
} vorbis_state;

static void clear_next(vorbis_state *s)
{
    if (s->next_init) {
        vorbis_comment_clear(&s->vc_next);
        vorbis_info_clear(&s->vi_next);
        s->next_init = 0;
    }
    s->next_count = 0;
}

static void clear_stream(vorbis_state *s)
{
    if (s->vb_init)
        vorbis_block_clear(&s->vb);
    if (s->vd_init)
        vorbis_dsp_clear(&s->vd);
    if (s->vc_init)
        vorbis_comment_clear(&s->vc);
    if (s->vi_init)
        vorbis_info_clear(&s->vi);
    s->vb_init = s->vd_init = s->vc_init = s->vi_init = 0;
}

static void vorbis_fini(void *priv, const segue_allocator *a)
{
    vorbis_state *s = priv;
    if (!s)
        return;
    clear_next(s);
    clear_stream(s);
    segue_mem_free(a, s->out);
    segue_mem_free(a, s->extradata);
    s->out = NULL;
    s->extradata = NULL;
}

static ogg_packet make_packet(const uint8_t *p, size_t n, int bos, int64_t packetno)
{
    ogg_packet op;
    memset(&op, 0, sizeof op);
    op.packet = (unsigned char *)p; /* libvorbis reads it only */
    op.bytes = (long)n;
    op.b_o_s = bos;
    op.granulepos = -1;
    op.packetno = packetno;
    return op;
}

static const char *header_error(int r)
{
    switch (r) {
    case OV_ENOTVORBIS: return "not Vorbis data";
    case OV_EBADHEADER: return "invalid header";
    case OV_EFAULT: return "internal libvorbis fault";
    default: return "rejected";
    }
}

static segue_status vorbis_decoder_init(void *priv, const segue_codec_params *p,
                                        const segue_allocator *a, segue_error *err)
{
    vorbis_state *s = priv;
    const uint8_t *pk[3];
    size_t len[3];
    if (!segue_xiph_unlace3(p->extradata, p->extradata_size, pk, len))
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbis: extradata of %zu bytes is not three Xiph-laced header packets",
                               p->extradata_size);
    if (p->channels < 1 || p->channels > VORBIS_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "vorbis: %u channels; 1..%u supported",
                               p->channels, VORBIS_MAX_CHANNELS);
    vorbis_info_init(&s->vi);
    s->vi_init = 1;
    vorbis_comment_init(&s->vc);
    s->vc_init = 1;
    for (int i = 0; i < 3; i++) {
        ogg_packet op = make_packet(pk[i], len[i], i == 0, i);
        int r = vorbis_synthesis_headerin(&s->vi, &s->vc, &op);
        if (r < 0)
            return segue_error_set(err, SEGUE_ERR_CORRUPT, "vorbis: header packet %d: %s (%d)", i,
                                   header_error(r), r);
    }
    if ((uint32_t)s->vi.channels != p->channels || (uint32_t)s->vi.rate != p->sample_rate)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbis: headers say %d Hz %d ch, the container %u Hz %u ch",
                               (int)s->vi.rate, s->vi.channels, p->sample_rate, p->channels);
    if (vorbis_synthesis_init(&s->vd, &s->vi) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "vorbis: decoder setup failed");
    s->vd_init = 1;
    if (vorbis_block_init(&s->vd, &s->vb) != 0)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbis: cannot allocate a block");
    s->vb_init = 1;
    s->channels = p->channels;
    s->rate = p->sample_rate;
    s->out_frames = VORBIS_MAX_BLOCK;
    s->out = segue_mem_calloc(a, s->out_frames * s->channels, sizeof *s->out);
    if (!s->out)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbis: cannot allocate %zu-frame buffer",
                               s->out_frames);
    s->packetno = 3;
    return SEGUE_OK;
}

/* A header packet of a new chain link ([VORBIS] A.2 chaining). */
static segue_status inband_header(vorbis_state *s, const segue_packet *pkt, segue_error *err)
{
    uint8_t type = pkt->data[0];
    if (type == 1) {
        clear_next(s);
        vorbis_info_init(&s->vi_next);
        vorbis_comment_init(&s->vc_next);
        s->next_init = 1;
    }
    if (!s->next_init)
        return SEGUE_OK; /* a stray comment/setup header: ignored */
    ogg_packet op = make_packet(pkt->data, pkt->size, type == 1, s->next_count);
    int r = vorbis_synthesis_headerin(&s->vi_next, &s->vc_next, &op);
    if (r < 0) {
        clear_next(s);
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "vorbis: chained header type %u: %s (%d)",
                               type, header_error(r), r);
    }
    s->next_count++;
    if (type != 5)
        return SEGUE_OK;
    if (s->next_count != 3) {
        clear_next(s);
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "vorbis: chained setup header out of order");
    }
    if ((uint32_t)s->vi_next.channels != s->channels || (uint32_t)s->vi_next.rate != s->rate) {
        uint32_t ch = (uint32_t)s->vi_next.channels;
        long rate = s->vi_next.rate;
        clear_next(s);
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "vorbis: chained stream changes to %ld Hz %u ch (from %u Hz %u ch)",
                               rate, ch, s->rate, s->channels);
    }
    clear_stream(s);
    s->vi = s->vi_next;
    s->vc = s->vc_next;
    s->vi_init = s->vc_init = 1;
    s->next_init = 0;
    s->next_count = 0;
    if (vorbis_synthesis_init(&s->vd, &s->vi) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "vorbis: chained decoder setup failed");
    s->vd_init = 1;
    if (vorbis_block_init(&s->vd, &s->vb) != 0)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbis: cannot allocate a block");
    s->vb_init = 1;
    return SEGUE_OK;
}

static segue_status vorbis_decode(void *priv, const segue_packet *pkt, const float **pcm,
                                  size_t *frames, segue_error *err)
{
    vorbis_state *s = priv;
    *pcm = s->out;
    *frames = 0;
    if (!s->vb_init)
        return segue_error_set(err, SEGUE_ERR_STATE, "vorbis: decoder not initialised");
    if (pkt->size >= 7 && (pkt->data[0] & 1u) && memcmp(pkt->data + 1, "vorbis", 6) == 0)
        return inband_header(s, pkt, err);
    ogg_packet op = make_packet(pkt->size ? pkt->data : (const uint8_t *)"", pkt->size, 0,
                                s->packetno++);
    if (vorbis_synthesis(&s->vb, &op) != 0 || vorbis_synthesis_blockin(&s->vd, &s->vb) != 0) {
        /* Concealment: the expected length of silence keeps the timeline. */
        size_t n = pkt->frames < s->out_frames ? pkt->frames : s->out_frames;
        memset(s->out, 0, n * s->channels * sizeof *s->out);
        *frames = n;
        return SEGUE_OK;
    }
    float **planes;
    int got = vorbis_synthesis_pcmout(&s->vd, &planes);
    if (got <= 0)
        return SEGUE_OK;
    size_t n = (size_t)got;
    if (n > s->out_frames)
        n = s->out_frames;
    if (pkt->frames && n > pkt->frames)
        n = pkt->frames;
    const uint8_t *map = vorbis_to_wav[s->channels];
    for (uint32_t c = 0; c < s->channels; c++) {
        const float *src = planes[map[c]];
        float *dst = s->out + c;
        for (size_t i = 0; i < n; i++)
            dst[i * s->channels] = src[i];
    }
    vorbis_synthesis_read(&s->vd, got);
    *frames = n;
    return SEGUE_OK;
}

static void vorbis_reset(void *priv)
{
    vorbis_state *s = priv;
    if (s->vd_init && !s->encoder)
        vorbis_synthesis_restart(&s->vd);
    clear_next(s);
}

/* ---- encoder ------------------------------------------------------------------------ */

static size_t lace_size(size_t n) { return n / 255 + 1; }

static size_t put_lace(uint8_t *p, size_t n)
{
    size_t k = 0;
    while (n >= 255) {
        p[k++] = 255;
        n -= 255;
    }
    p[k++] = (uint8_t)n;
    return k;
}

static segue_status vorbis_encoder_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                        segue_error *err)
{
    vorbis_state *s = priv;
    const segue_encoder_config *cfg = p->encoder_config;
    s->encoder = 1;
    if (p->channels < 1 || p->channels > VORBIS_MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "vorbis: %u channels; 1..%u supported",
                               p->channels, VORBIS_MAX_CHANNELS);
    if (p->sample_rate < 1 || p->sample_rate > 192000)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "vorbis: sample rate %u Hz; 1..192000 supported", p->sample_rate);
    segue_rate_control rc = cfg ? cfg->rate_control : SEGUE_RC_DEFAULT;
    float q = cfg ? cfg->quality : NAN;
    long br = cfg ? (long)cfg->bitrate : 0;
    long ch = (long)p->channels, rate = (long)p->sample_rate;
    if (!isnan(q) && (q < -1.0f || q > 10.0f))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "vorbis: quality %.2f outside -1..10",
                               (double)q);
    if (br && (br < 8000 || br > 512000L * ch))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "vorbis: bitrate %ld b/s outside 8000..%ld", br, 512000L * ch);
    vorbis_info_init(&s->vi);
    s->vi_init = 1;
    int r;
    const char *what;
    switch (rc) {
    case SEGUE_RC_ABR:
        if (!br)
            br = 64000L * ch;
        what = "average bitrate";
        r = vorbis_encode_init(&s->vi, ch, rate, -1, br, -1);
        break;
    case SEGUE_RC_CBR:
        if (!br)
            br = 64000L * ch;
        what = "constant bitrate";
        r = vorbis_encode_init(&s->vi, ch, rate, br, br, br);
        break;
    case SEGUE_RC_DEFAULT:
    case SEGUE_RC_VBR:
    default:
        if (isnan(q) && br) {
            /* VBR aimed at a nominal bitrate, no bitrate management. */
            what = "VBR bitrate";
            r = vorbis_encode_setup_managed(&s->vi, ch, rate, -1, br, -1);
            if (r == 0)
                r = vorbis_encode_ctl(&s->vi, OV_ECTL_RATEMANAGE2_SET, NULL);
            if (r == 0)
                r = vorbis_encode_setup_init(&s->vi);
        } else {
            if (isnan(q))
                q = VORBIS_DEFAULT_QUALITY;
            what = "quality";
            r = vorbis_encode_init_vbr(&s->vi, ch, rate, q / 10.0f);
        }
        break;
    }
    if (r != 0)
        return segue_error_set(err, r == OV_EIMPL ? SEGUE_ERR_UNSUPPORTED : SEGUE_ERR_INVALID_ARGUMENT,
                               "vorbis: libvorbisenc has no mode for %ld Hz, %ld ch at %s %s (error %d)",
                               rate, ch, what, isnan(q) ? "given" : "requested", r);
    vorbis_comment_init(&s->vc);
    s->vc_init = 1;
    if (vorbis_analysis_init(&s->vd, &s->vi) != 0)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "vorbis: analysis setup failed");
    s->vd_init = 1;
    if (vorbis_block_init(&s->vd, &s->vb) != 0)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbis: cannot allocate a block");
    s->vb_init = 1;
    ogg_packet h[3];
    if (vorbis_analysis_headerout(&s->vd, &s->vc, &h[0], &h[1], &h[2]) != 0)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "vorbis: cannot make the header packets");
    size_t total = 1 + lace_size((size_t)h[0].bytes) + lace_size((size_t)h[1].bytes);
    for (int i = 0; i < 3; i++)
        total += (size_t)h[i].bytes;
    s->extradata = segue_mem_alloc(a, total);
    if (!s->extradata)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbis: cannot allocate %zu bytes", total);
    size_t k = 0;
    s->extradata[k++] = 2;
    k += put_lace(s->extradata + k, (size_t)h[0].bytes);
    k += put_lace(s->extradata + k, (size_t)h[1].bytes);
    for (int i = 0; i < 3; i++) {
        memcpy(s->extradata + k, h[i].packet, (size_t)h[i].bytes);
        k += (size_t)h[i].bytes;
    }
    p->extradata = s->extradata;
    p->extradata_size = k;
    p->encoder_delay = 0;
    s->channels = p->channels;
    s->rate = p->sample_rate;
    return SEGUE_OK;
}

/* The next packet libvorbis has ready, if any. */
static int next_packet(vorbis_state *s, ogg_packet *op)
{
    for (;;) {
        if (s->in_bitrate) {
            if (vorbis_bitrate_flushpacket(&s->vd, op) == 1)
                return 1;
            s->in_bitrate = 0;
        }
        if (vorbis_analysis_blockout(&s->vd, &s->vb) != 1)
            return 0;
        vorbis_analysis(&s->vb, NULL);
        vorbis_bitrate_addblock(&s->vb);
        s->in_bitrate = 1;
    }
}

static segue_status vorbis_encode(void *priv, const float *pcm, size_t frames, segue_packet *out,
                                  segue_error *err)
{
    vorbis_state *s = priv;
    memset(out, 0, sizeof *out);
    out->pts = -1;
    if (!s->vb_init)
        return segue_error_set(err, SEGUE_ERR_STATE, "vorbis: encoder not initialised");
    if (pcm && frames) {
        if (s->flushed)
            return segue_error_set(err, SEGUE_ERR_STATE, "vorbis: input after flush");
        if (s->draining) /* the caller dropped a SEGUE_AGAIN: packets would be lost */
            return segue_error_set(err, SEGUE_ERR_STATE,
                                   "vorbis: new input while packets are pending; after SEGUE_AGAIN "
                                   "call encode(NULL, 0) until it returns SEGUE_OK");
        float **buf = vorbis_analysis_buffer(&s->vd, (int)frames);
        const uint8_t *map = vorbis_to_wav[s->channels];
        for (uint32_t c = 0; c < s->channels; c++) {
            float *dst = buf[map[c]];
            const float *src = pcm + c;
            for (size_t i = 0; i < frames; i++)
                dst[i] = src[i * s->channels];
        }
        vorbis_analysis_wrote(&s->vd, (int)frames);
    } else if (!s->draining && !s->flushed) {
        vorbis_analysis_wrote(&s->vd, 0); /* end of stream */
        s->flushed = 1;
    }
    ogg_packet op;
    if (next_packet(s, &op)) {
        out->data = op.packet;
        out->size = (size_t)op.bytes;
        int64_t g = op.granulepos >= 0 ? op.granulepos : s->last_granule;
        out->pts = s->last_granule;
        out->frames = g > s->last_granule ? (uint32_t)(g - s->last_granule) : 0;
        s->last_granule = g;
        s->draining = 1;
        return SEGUE_AGAIN;
    }
    s->draining = 0;
    return s->flushed ? SEGUE_END_OF_STREAM : SEGUE_OK;
}

const segue_codec_desc segue_codec_vorbis = {
    .name = "vorbis",
    .long_name = "Vorbis (libvorbis)",
    .caps = SEGUE_CODEC_DECODE | SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(vorbis_state),
    .encoder_rates = NULL,
    .decoder_init = vorbis_decoder_init,
    .decode = vorbis_decode,
    .encoder_init = vorbis_encoder_init,
    .encode = vorbis_encode,
    .reset = vorbis_reset,
    .fini = vorbis_fini,
};
