/*
 * codec/pcm/pcm.c - linear PCM: stored samples <-> interleaved float.
 *
 * Integer samples map to float by 2^-(bits-1) (u8 after removing the 0x80
 * offset), so 8-, 16- and 24-bit values survive a float round trip exactly;
 * 32-bit integers keep the 24 bits a float mantissa holds. Float to integer
 * rounds to nearest (ties to even) and clips, through the segue_dsp kernels.
 */
#include <math.h>
#include <string.h>

#include "codec/codec.h"
#include "core/alloc.h"
#include "simd/dsp.h"

/* Samples stored in the host's byte order are copied, not assembled. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

typedef struct pcm_state {
    segue_sample_format format;
    int big_endian;
    uint32_t channels;
    uint32_t bytes_per_sample;
    size_t max_samples;   /* max_packet_frames * channels */
    float *pcm;           /* decode output / encode input staging */
    int32_t *ints;        /* integer staging, max_samples entries */
    uint8_t *bytes;       /* encode output, max_samples * bytes_per_sample */
    int flushed;
    const segue_dsp *dsp;
} pcm_state;

static uint32_t pcm_bytes_per_sample(segue_sample_format f)
{
    unsigned bits = segue_sample_format_bits(f);
    return bits / 8u;
}

static segue_status pcm_validate(const segue_codec_params *p, segue_error *err)
{
    if (pcm_bytes_per_sample(p->sample_format) == 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "pcm: sample format %d not supported",
                               (int)p->sample_format);
    if (p->channels == 0 || p->channels > 32)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "pcm: %u channels not supported (1..32)",
                               p->channels);
    if (p->max_packet_frames == 0 || p->max_packet_frames > 1u << 20)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "pcm: bad packet size %u",
                               p->max_packet_frames);
    return SEGUE_OK;
}

static segue_status pcm_alloc(pcm_state *s, const segue_codec_params *p, const segue_allocator *a,
                              int need_bytes, segue_error *err)
{
    s->format = p->sample_format;
    s->big_endian = p->big_endian;
    s->channels = p->channels;
    s->bytes_per_sample = pcm_bytes_per_sample(p->sample_format);
    s->max_samples = (size_t)p->max_packet_frames * p->channels;
    s->dsp = segue_dsp_get();
    s->pcm = segue_mem_calloc(a, s->max_samples, sizeof *s->pcm);
    s->ints = segue_mem_calloc(a, s->max_samples, sizeof *s->ints);
    if (need_bytes)
        s->bytes = segue_mem_calloc(a, s->max_samples, s->bytes_per_sample);
    if (!s->pcm || !s->ints || (need_bytes && !s->bytes))
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "pcm: cannot allocate %zu-sample buffers",
                               s->max_samples);
    return SEGUE_OK;
}

static segue_status pcm_decoder_init(void *priv, const segue_codec_params *p,
                                     const segue_allocator *a, segue_error *err)
{
    segue_status st = pcm_validate(p, err);
    if (st < 0)
        return st;
    return pcm_alloc(priv, p, a, 0, err);
}

static uint64_t load_u64(const uint8_t *b, uint32_t bytes, int big_endian)
{
    uint64_t v = 0;
    if (big_endian)
        for (uint32_t i = 0; i < bytes; i++)
            v = (v << 8) | b[i];
    else
        for (uint32_t i = bytes; i-- > 0;)
            v = (v << 8) | b[i];
    return v;
}

static segue_status pcm_decode(void *priv, const segue_packet *pkt, const float **pcm,
                               size_t *frames, segue_error *err)
{
    pcm_state *s = priv;
    size_t frame_bytes = (size_t)s->bytes_per_sample * s->channels;
    size_t n = pkt->size / frame_bytes; /* a partial trailing frame is dropped */
    if (n == 0) {
        /* An empty packet (a drain request has data NULL): nothing to
         * convert, and memcpy must not be handed the NULL pointer. */
        *pcm = s->pcm;
        *frames = 0;
        return SEGUE_OK;
    }
    if (n * s->channels > s->max_samples)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "pcm: packet of %zu frames exceeds buffer", n);
    size_t count = n * s->channels;
    const uint8_t *b = pkt->data;
    switch (s->format) {
    case SEGUE_SAMPLE_U8:
        for (size_t i = 0; i < count; i++)
            s->ints[i] = (int32_t)b[i] - 128;
        s->dsp->s32_to_f32(s->pcm, s->ints, count, 1.0f / 128.0f);
        break;
    case SEGUE_SAMPLE_S8:
        for (size_t i = 0; i < count; i++)
            s->ints[i] = (int8_t)b[i];
        s->dsp->s32_to_f32(s->pcm, s->ints, count, 1.0f / 128.0f);
        break;
    case SEGUE_SAMPLE_S16: {
        int16_t *staged = (int16_t *)s->ints;
        if (s->big_endian == HOST_BIG_ENDIAN) {
            memcpy(staged, b, count * 2); /* stored as the host keeps them */
        } else {
            for (size_t i = 0; i < count; i++)
                staged[i] = (int16_t)(uint16_t)((b[2 * i] << 8) | b[2 * i + 1]);
        }
        s->dsp->s16_to_f32(s->pcm, staged, count);
        break;
    }
    case SEGUE_SAMPLE_S24:
        /* Three bytes a sample: place them in the top of a 32-bit word, so
         * the sign comes along, and scale by 2^-31. */
        if (s->big_endian) {
            for (size_t i = 0; i < count; i++, b += 3)
                s->ints[i] = (int32_t)(((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8));
        } else {
            for (size_t i = 0; i < count; i++, b += 3)
                s->ints[i] = (int32_t)(((uint32_t)b[2] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[0] << 8));
        }
        s->dsp->s32_to_f32(s->pcm, s->ints, count, 1.0f / 2147483648.0f);
        break;
    case SEGUE_SAMPLE_S32:
        if (s->big_endian == HOST_BIG_ENDIAN) {
            memcpy(s->ints, b, count * 4);
        } else {
            for (size_t i = 0; i < count; i++)
                s->ints[i] = (int32_t)(uint32_t)load_u64(b + i * 4, 4, s->big_endian);
        }
        s->dsp->s32_to_f32(s->pcm, s->ints, count, 1.0f / 2147483648.0f);
        break;
    case SEGUE_SAMPLE_F32:
        if (s->big_endian == HOST_BIG_ENDIAN) {
            memcpy(s->pcm, b, count * 4);
        } else {
            for (size_t i = 0; i < count; i++) {
                uint32_t u = (uint32_t)load_u64(b + i * 4, 4, s->big_endian);
                memcpy(&s->pcm[i], &u, 4);
            }
        }
        break;
    case SEGUE_SAMPLE_F64:
        for (size_t i = 0; i < count; i++) {
            uint64_t u = load_u64(b + i * 8, 8, s->big_endian);
            double d;
            memcpy(&d, &u, 8);
            s->pcm[i] = (float)d;
        }
        break;
    default:
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "pcm: bad format");
    }
    *pcm = s->pcm;
    *frames = n;
    return SEGUE_OK;
}

static segue_status pcm_encoder_init(void *priv, segue_codec_params *p, const segue_allocator *a,
                                     segue_error *err)
{
    segue_status st = pcm_validate(p, err);
    if (st < 0)
        return st;
    p->block_align = pcm_bytes_per_sample(p->sample_format) * p->channels;
    if (p->bits_per_sample == 0)
        p->bits_per_sample = segue_sample_format_bits(p->sample_format);
    return pcm_alloc(priv, p, a, 1, err);
}

static void store_int(uint8_t *b, uint32_t v, uint32_t bytes, int big_endian)
{
    if (big_endian)
        for (uint32_t i = bytes; i-- > 0; v >>= 8)
            b[i] = (uint8_t)v;
    else
        for (uint32_t i = 0; i < bytes; i++, v >>= 8)
            b[i] = (uint8_t)v;
}

static void store_u64(uint8_t *b, uint64_t v, int big_endian)
{
    if (big_endian)
        for (int i = 7; i >= 0; i--, v >>= 8)
            b[i] = (uint8_t)v;
    else
        for (int i = 0; i < 8; i++, v >>= 8)
            b[i] = (uint8_t)v;
}

static segue_status pcm_encode(void *priv, const float *pcm, size_t frames, segue_packet *out,
                               segue_error *err)
{
    pcm_state *s = priv;
    memset(out, 0, sizeof *out);
    if (frames == 0)
        return SEGUE_END_OF_STREAM; /* PCM holds nothing back */
    size_t count = frames * s->channels;
    if (count > s->max_samples)
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "pcm: %zu frames exceed packet size", frames);
    uint8_t *b = s->bytes;
    switch (s->format) {
    case SEGUE_SAMPLE_U8:
    case SEGUE_SAMPLE_S8:
        for (size_t i = 0; i < count; i++) {
            float x = pcm[i] * 128.0f;
            /* Clamp first: lrintf of an out-of-range value is undefined. */
            x = x < -128.0f ? -128.0f : x > 127.0f ? 127.0f : x;
            long v = x == x ? lrintf(x) : 0;
            b[i] = (uint8_t)(s->format == SEGUE_SAMPLE_U8 ? v + 128 : v);
        }
        break;
    case SEGUE_SAMPLE_S16:
        if (s->big_endian == HOST_BIG_ENDIAN) {
            s->dsp->f32_to_s16((int16_t *)(void *)b, pcm, count); /* b is from the allocator: aligned */
            break;
        }
        s->dsp->f32_to_s16((int16_t *)s->ints, pcm, count);
        for (size_t i = 0; i < count; i++)
            store_int(b + i * 2, (uint16_t)((int16_t *)s->ints)[i], 2, s->big_endian);
        break;
    case SEGUE_SAMPLE_S24:
        s->dsp->f32_to_s24(s->ints, pcm, count);
        for (size_t i = 0; i < count; i++)
            store_int(b + i * 3, (uint32_t)s->ints[i], 3, s->big_endian);
        break;
    case SEGUE_SAMPLE_S32:
        s->dsp->f32_to_s32(s->ints, pcm, count);
        if (s->big_endian == HOST_BIG_ENDIAN) {
            memcpy(b, s->ints, count * 4);
            break;
        }
        for (size_t i = 0; i < count; i++)
            store_int(b + i * 4, (uint32_t)s->ints[i], 4, s->big_endian);
        break;
    case SEGUE_SAMPLE_F32:
        if (s->big_endian == HOST_BIG_ENDIAN) {
            memcpy(b, pcm, count * 4);
            break;
        }
        for (size_t i = 0; i < count; i++) {
            uint32_t u;
            memcpy(&u, &pcm[i], 4);
            store_int(b + i * 4, u, 4, s->big_endian);
        }
        break;
    case SEGUE_SAMPLE_F64:
        for (size_t i = 0; i < count; i++) {
            double d = pcm[i];
            uint64_t u;
            memcpy(&u, &d, 8);
            store_u64(b + i * 8, u, s->big_endian);
        }
        break;
    default:
        return segue_error_set(err, SEGUE_ERR_INTERNAL, "pcm: bad format");
    }
    out->data = b;
    out->size = count * s->bytes_per_sample;
    out->frames = (uint32_t)frames;
    out->pts = -1;
    return SEGUE_OK;
}

static void pcm_fini(void *priv, const segue_allocator *a)
{
    pcm_state *s = priv;
    segue_mem_free(a, s->pcm);
    segue_mem_free(a, s->ints);
    segue_mem_free(a, s->bytes);
    memset(s, 0, sizeof *s);
}

const segue_codec_desc segue_codec_pcm = {
    .name = "pcm",
    .long_name = "linear PCM (integer 8-32 bit, float 32/64 bit, either byte order)",
    .caps = SEGUE_CODEC_DECODE | SEGUE_CODEC_ENCODE,
    .priv_size = sizeof(pcm_state),
    .decoder_init = pcm_decoder_init,
    .decode = pcm_decode,
    .encoder_init = pcm_encoder_init,
    .encode = pcm_encode,
    .reset = NULL,
    .fini = pcm_fini,
};
