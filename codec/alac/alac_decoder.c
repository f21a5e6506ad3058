/*
 * codec/alac/alac_decoder.c - the own Apple Lossless decoder: descriptor
 * "alac".
 *
 * References: Apple's open-sourced ALAC (2011, Apache 2.0) format
 * description: ALACMagicCookieDescription.txt (the ALACSpecificConfig and
 * the default channel layouts), and the bitstream as its reference decoder
 * reads it (frame elements, the adaptive Golomb-Rice coder "ag_dec", the
 * adaptive predictor "dp" and the stereo de-matrixing "matrix_dec").
 * Citations below say "ALAC spec" with the part. Nothing is copied; where
 * FFmpeg 5.1's decoder (the acceptance oracle) differs from Apple's on
 * inputs no encoder writes, the line says which behaviour is kept.
 *
 * Stream parameters (the MP4/CAF demuxer's contract): extradata = the
 * 24-byte ALACSpecificConfig, big-endian:
 *   frameLength u32, compatibleVersion u8 (0), bitDepth u8 (16/20/24/32),
 *   pb u8 (40), mb u8 (10), kb u8 (14), numChannels u8 (1..8),
 *   maxRun u16 (255), maxFrameBytes u32, avgBitRate u32, sampleRate u32;
 * optionally preceded by a 12-byte 'frma' atom and/or the 12-byte header of
 * the 'alac' atom (size, 'alac', version/flags), as cookies from older
 * encoders and the MP4 sample entry carry (ALACMagicCookieDescription.txt);
 * bytes after the config (a 'chan' atom) are ignored. p->channels must equal
 * numChannels. One packet = one ALAC frame (one MP4 sample / CAF packet).
 *
 * Output: interleaved float, value / 2^(bitDepth-1): exact for 16, 20 and
 * 24 bits. 32-bit values are rounded to float's 24-bit mantissa (at most
 * 2^-25 relative); segue_alac_decode_s32() (alac.h) gives the exact
 * integers. Channels come out in WAVE order (segue_alac_channel_mask()):
 * the ALAC default layouts are, in stream order, 1 C; 2 L R; 3 C L R;
 * 4 C L R Cs; 5 C L R Ls Rs; 6 C L R Ls Rs LFE; 7 C L R Ls Rs Cs LFE;
 * 8 C Lc Rc L R Ls Rs LFE (ALACMagicCookieDescription.txt, "Channel
 * Layout"), mapped as FFmpeg maps them (5.0/5.1 as back surrounds, 6.1 as
 * 5.1 + back centre, 7.1 as 5.1 + front left/right of centre).
 *
 * Frames are independent (no state crosses packets), so reset does
 * nothing and every packet can start a seek.
 *
 * Damage: a field the spec rules out (non-zero unused header bits, shift of
 * 3 bytes, a sample count of 0 or above frameLength, elements disagreeing
 * on it, more than 32 bits per residual, reading past the packet, a zero
 * run past the frame, an unsupported element (CCE, PCE)) is
 * SEGUE_ERR_CORRUPT in strict mode; otherwise the frame decodes as silence
 * (frameLength frames, or the packet's frame count when the container gives
 * it). Fewer channel elements than channels: missing channels are zero
 * (as the reference decoder does), an error in strict mode.
 *
 * Memory: the state struct is sizeof(alac_state) (80 bytes on x86_64);
 * decoder_init allocates one block of frameLength * (4 * channels + 12)
 * bytes (mono: frameLength * 10): the interleaved output and, for one
 * element, two int32 residual/predictor buffers and the two channels'
 * uncompressed low bytes (uint16). frameLength 4096: stereo 81,920 bytes,
 * 5.1 147,456, 7.1 180,224. Nothing allocates after init; decode uses
 * about 400 bytes of stack. frameLength is limited to 65536.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/alac/alac.h"
#include "core/alloc.h"

enum {
    CONFIG_BYTES = 24,
    MAX_FRAME_LENGTH = 65536,
    MAX_CHANNELS = 8,
    MAX_COEFS = 32,
    /* ALAC spec, element ids (3 bits, as in AAC raw_data_block). */
    ID_SCE = 0, ID_CPE = 1, ID_CCE = 2, ID_LFE = 3, ID_DSE = 4, ID_PCE = 5, ID_FIL = 6,
    ID_END = 7,
    /* ALAC spec, ag_dec constants: mean tracking in QB = 2^9 fixed point;
     * a Rice prefix of 9 ones is the escape. */
    QBSHIFT = 9,
    QB = 1 << QBSHIFT,
    MMULSHIFT = 2,
    MDENSHIFT = QBSHIFT - MMULSHIFT - 1,
    MOFF = 1 << (MDENSHIFT - 2),
    BITOFF = 24,
    MAX_PREFIX = 9,
    MEAN_CLAMP = 0xffff,
    RUN_ESCAPE_BITS = 16
};

/* One output sample: decoded as an integer, converted in place to float. */
typedef union alac_sample {
    int32_t i;
    float f;
} alac_sample;

typedef struct alac_state {
    alac_sample *out;      /* channels * frame_length, interleaved */
    int32_t *u, *v;        /* frame_length each: one element's channels */
    uint16_t *shift_buf;   /* 2 * frame_length: low bytes, interleaved u/v */
    void *block;           /* the one allocation */
    uint32_t frame_length;
    uint32_t channels;
    uint32_t bit_depth;
    uint32_t pb, mb, kb;
    uint32_t num_samples;  /* of the frame being decoded (0: none yet) */
    int strict;
    unsigned long long frame_no;
} alac_state;

/* Stream order to WAVE order: out[wave_pos[n-1][i]] is stream channel i
 * (ALACMagicCookieDescription.txt default layouts; FFmpeg's mapping). */
static const uint8_t wave_pos[MAX_CHANNELS][MAX_CHANNELS] = {
    {0},
    {0, 1},
    {2, 0, 1},
    {2, 0, 1, 3},
    {2, 0, 1, 3, 4},
    {2, 0, 1, 4, 5, 3},
    {2, 0, 1, 4, 5, 6, 3},
    {2, 6, 7, 0, 1, 4, 5, 3},
};

/* WAVE masks: FC; FL FR; FL FR FC; + BC; FL FR FC BL BR; + LFE; + BC;
 * FL FR FC LFE BL BR FLC FRC. */
static const uint32_t wave_mask[MAX_CHANNELS] = {0x4,  0x3,   0x7,   0x107,
                                                 0x37, 0x3f, 0x13f, 0xff};

uint32_t segue_alac_channel_mask(uint32_t channels)
{
    return channels >= 1 && channels <= MAX_CHANNELS ? wave_mask[channels - 1] : 0;
}

size_t segue_alac_alloc_bytes(uint32_t frame_length, uint32_t channels)
{
    size_t per_element = channels >= 2 ? 2 : 1;
    return (size_t)frame_length *
           (sizeof(alac_sample) * channels + per_element * (sizeof(int32_t) + sizeof(uint16_t)));
}

/* ---- bit reader: MSB first, zeros past the end, overrun remembered ---- */

typedef struct alac_br {
    const uint8_t *data;
    size_t size;  /* bytes */
    size_t pos;   /* bits */
    size_t bits;  /* size * 8 */
} alac_br;

/* The next 32 bits (zero-padded past the end). */
static uint32_t br_peek32(const alac_br *b)
{
    size_t byte = b->pos >> 3;
    unsigned sh = (unsigned)(b->pos & 7);
    uint64_t w = 0;
    if (byte + 5 <= b->size) {
        const uint8_t *p = b->data + byte;
        w = (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 |
            (uint64_t)p[3] << 8 | p[4];
    } else {
        for (size_t i = 0; i < 5; i++)
            w = w << 8 | (byte + i < b->size ? b->data[byte + i] : 0u);
    }
    return (uint32_t)(w >> (8 - sh));
}

/* Reads n bits, 0 <= n <= 32. */
static uint32_t br_read(alac_br *b, unsigned n)
{
    if (n == 0)
        return 0;
    uint32_t v = br_peek32(b) >> (32 - n);
    b->pos += n;
    return v;
}

static void br_skip(alac_br *b, size_t n)
{
    /* Saturates: a huge skip is an overrun, not a wrap. */
    b->pos = n > b->bits - (b->pos < b->bits ? b->pos : b->bits) ? b->bits + 1 : b->pos + n;
}

static int br_overrun(const alac_br *b)
{
    return b->pos > b->bits;
}

/* Low `bits` bits of v as a signed value (1 <= bits <= 32). */
static int32_t sext(uint32_t v, unsigned bits)
{
    if (bits >= 32)
        return (int32_t)v;
    uint32_t m = 1u << (bits - 1);
    return (int32_t)((v & ((m << 1) - 1)) ^ m) - (int32_t)m;
}

/* Leading zeros of a 32-bit value; 32 for 0 (ALAC spec, ag_dec "lead"). */
static unsigned lead(uint32_t x)
{
    unsigned n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

static segue_status corrupt(segue_error *err, const alac_state *s, const char *what)
{
    return segue_error_set(err, SEGUE_ERR_CORRUPT, "alac: %s (frame %llu)", what, s->frame_no);
}

/* ---- adaptive Golomb-Rice (ALAC spec, ag_dec) ---- */

/* One Rice-coded value with parameter k and multiplier m = 2^k - 1 (or less,
 * for zero runs): a unary prefix of up to 8 ones ended by a zero, then k
 * bits v: value = prefix * m + v - 1 when v >= 2, otherwise prefix * m and
 * only k - 1 bits are used. 9 ones: an escape, the value follows in
 * `escape_bits` plain bits (ALAC spec, ag_dec dyn_get / dyn_get_32bit). */
static uint32_t ag_get(alac_br *b, uint32_t m, unsigned k, unsigned escape_bits)
{
    unsigned pre = lead(~br_peek32(b));
    if (pre >= MAX_PREFIX) {
        b->pos += MAX_PREFIX;
        return br_read(b, escape_bits);
    }
    b->pos += pre + 1;
    uint32_t v = br_peek32(b) >> (32 - k); /* 1 <= k <= 31 */
    if (v >= 2) {
        b->pos += k;
        return pre * m + v - 1;
    }
    b->pos += k - 1;
    return pre * m;
}

/* Decodes `num` residuals of up to `chan_bits` bits (ALAC spec, ag_dec
 * dyn_decomp): the Rice parameter follows a running mean `mb` (initial mb,
 * updated with weight pb / 2^9), capped at kb; when the mean falls below
 * QB / 4 a run of zeros follows, its length Rice-coded with a parameter
 * from the mean; the value after a run (shorter than 65535) is coded one
 * less ("zmode"). Values map to signed as 0, -1, 1, -2, 2 ... by the low
 * bit. Returns 0, or -1 when the run passes the frame or the data ends. */
static int ag_decode(alac_br *b, int32_t *out, uint32_t num, unsigned chan_bits, uint32_t mb,
                     uint32_t pb, uint32_t kb)
{
    uint32_t wb = kb >= 32 ? 0xffffffffu : (1u << kb) - 1;
    uint32_t zmode = 0, c = 0;
    while (c < num) {
        if (b->pos >= b->bits)
            return -1;
        /* k = min(lg3a(mb / QB), kb), lg3a(x) = floor(log2(x + 3)). */
        unsigned k = 31 - lead((mb >> QBSHIFT) + 3);
        if (k > kb)
            k = kb;
        uint32_t n = ag_get(b, (1u << k) - 1, k, chan_bits);
        uint32_t nd = n + zmode;
        uint32_t mag = (nd + 1) >> 1;
        out[c++] = (int32_t)((nd & 1) ? 0u - mag : mag);
        mb = pb * nd + mb - ((pb * mb) >> QBSHIFT);
        /* Apple clamps on n, FFmpeg on n + zmode; they differ only for
         * n == 0xffff after a run (kept: Apple). */
        if (n > MEAN_CLAMP)
            mb = MEAN_CLAMP;
        zmode = 0;
        /* (mb << 2) < QB, written so a wrapped mean cannot pass. */
        if (mb < (QB >> MMULSHIFT) && c < num) {
            /* Zero run. Apple's parameter for mb == 0 is 8 (lead(0) = 32),
             * FFmpeg's 7; encoders never reach mb == 0 here (kept: Apple). */
            zmode = 1;
            unsigned kz = lead(mb) - BITOFF + ((mb + MOFF) >> MDENSHIFT);
            uint32_t mz = ((1u << kz) - 1) & wb;
            uint32_t run = ag_get(b, mz, kz, RUN_ESCAPE_BITS);
            if (run > num - c)
                return -1;
            memset(out + c, 0, run * sizeof *out);
            c += run;
            if (run >= 65535)
                zmode = 0;
            mb = 0;
        }
    }
    return br_overrun(b) ? -1 : 0;
}

/* ---- adaptive predictor (ALAC spec, dp "unpc_block") ---- */

static int32_t sign_of(int32_t x)
{
    return (x > 0) - (x < 0);
}

/* Undoes the prediction in place: buf holds residuals, leaves samples of
 * `chan_bits` bits. order 0: the residuals are the samples; order 31: first
 * difference; otherwise `order` warm-up samples by first difference, then
 * each sample = residual + top + (sum coefs[k] * (s[j-1-k] - top) +
 * 2^(den_shift-1)) >> den_shift with top = s[j-order-1], after which the
 * coefficients step by the signs of (top - s[j-1-k]) towards shrinking the
 * residual, oldest first, until the residual's remaining magnitude is used
 * up. Arithmetic wraps at 32 bits as in the reference (int32). */
static void unpredict(int32_t *buf, uint32_t num, int16_t *coefs, unsigned order,
                      unsigned chan_bits, unsigned den_shift)
{
    if (num <= 1 || order == 0)
        return;
    if (order == 31) {
        for (uint32_t j = 1; j < num; j++)
            buf[j] = sext((uint32_t)buf[j] + (uint32_t)buf[j - 1], chan_bits);
        return;
    }
    uint32_t j = 1;
    for (; j <= order && j < num; j++)
        buf[j] = sext((uint32_t)buf[j] + (uint32_t)buf[j - 1], chan_bits);
    int64_t half = (int64_t)1 << (den_shift - 1);
    for (; j < num; j++) {
        const int32_t *past = buf + j - 1; /* past[-k] = s[j-1-k] */
        int32_t top = buf[j - order - 1];
        uint32_t sum = 0;
        for (unsigned k = 0; k < order; k++)
            sum += (uint32_t)(int32_t)coefs[k] * ((uint32_t)past[-(ptrdiff_t)k] - (uint32_t)top);
        /* The rounding add is done in 64 bits as FFmpeg does (Apple's
         * int32 add could wrap only within 2^den_shift of INT32_MAX). */
        int32_t pred = (int32_t)(((int64_t)(int32_t)sum + half) >> den_shift);
        int32_t del = buf[j];
        buf[j] = sext((uint32_t)del + (uint32_t)top + (uint32_t)pred, chan_bits);
        int32_t sg = sign_of(del);
        if (sg == 0)
            continue;
        int32_t left = del;
        for (unsigned k = order; k-- > 0;) {
            int32_t dd = (int32_t)((uint32_t)top - (uint32_t)past[-(ptrdiff_t)k]);
            int32_t sgn = sign_of(dd);
            /* sg > 0: coefs[k] -= sgn; sg < 0: += sgn. */
            coefs[k] = (int16_t)(coefs[k] - sgn * sg);
            int32_t mag = (int32_t)((uint32_t)(sgn * sg) * (uint32_t)dd); /* +-|dd| */
            left = (int32_t)((uint32_t)left - (order - k) * (uint32_t)(mag >> den_shift));
            if (sg > 0 ? left <= 0 : left >= 0)
                break;
        }
    }
}

/* ---- elements ---- */

typedef struct channel_params {
    unsigned mode, den_shift, pb_factor, order;
    int16_t coefs[MAX_COEFS];
} channel_params;

/* One SCE/LFE (nch 1) or CPE (nch 2) element, its tag already read; the
 * samples go to stream channels first, first + 1 (ALAC spec, decoder
 * element syntax):
 *   instance tag (4), unused (12, zero), partial frame (1), bytes shifted
 *   (2, < 3), escape (1), [partial: samples (32)];
 *   compressed: mix shift (8), mix weight (8, signed; zero in an SCE), per channel
 *   mode (4), den shift (4), pb factor (3), order (5), order coefs (16,
 *   signed); the shifted-out low bytes of every sample (interleaved per
 *   sample, CPE) come next, then each channel's Rice-coded residuals;
 *   escape: the samples themselves, bitDepth bits, interleaved. */
static segue_status decode_element(alac_state *s, alac_br *b, unsigned nch, unsigned first,
                                   segue_error *err)
{
    br_skip(b, 4); /* element instance tag */
    if (br_read(b, 12) != 0)
        return corrupt(err, s, "unused element header bits are set");
    unsigned partial = br_read(b, 1);
    unsigned bytes_shifted = br_read(b, 2);
    unsigned escape = br_read(b, 1);
    if (bytes_shifted == 3)
        return corrupt(err, s, "3 uncompressed low bytes");
    uint32_t num = s->frame_length;
    if (partial) {
        num = br_read(b, 32);
        if (num == 0 || num > s->frame_length)
            return corrupt(err, s, "frame sample count out of range");
    }
    if (s->num_samples && num != s->num_samples)
        return corrupt(err, s, "elements disagree on the sample count");
    s->num_samples = num;
    int32_t *buf[2] = {s->u, s->v};
    unsigned mix_shift = 0;
    int32_t mix_weight = 0;
    unsigned shift = 0;

    if (!escape) {
        /* Residual width: bitDepth less the shifted-out bytes, one more for
         * the side channel of a pair. */
        unsigned chan_bits = s->bit_depth - 8 * bytes_shifted + nch - 1;
        if (chan_bits > 32)
            return corrupt(err, s, "more than 32 bits per residual");
        if (8 * bytes_shifted >= s->bit_depth)
            return corrupt(err, s, "every bit shifted out");
        if (s->kb == 0)
            return corrupt(err, s, "compressed frame with kb 0");
        /* Present in mono elements too, where they are zero and unused. */
        mix_shift = br_read(b, 8);
        mix_weight = (int8_t)br_read(b, 8); /* Apple: signed; FFmpeg: 0..255 */
        if (nch == 1)
            mix_weight = 0;
        channel_params cp[2];
        for (unsigned c = 0; c < nch; c++) {
            cp[c].mode = br_read(b, 4);
            cp[c].den_shift = br_read(b, 4);
            cp[c].pb_factor = br_read(b, 3);
            cp[c].order = br_read(b, 5);
            for (unsigned k = 0; k < cp[c].order; k++)
                cp[c].coefs[k] = (int16_t)sext(br_read(b, 16), 16);
            if (cp[c].order > 0 && cp[c].order < 31 && cp[c].den_shift == 0)
                return corrupt(err, s, "predictor with a zero shift");
        }
        if (mix_weight != 0 && mix_shift > 31)
            return corrupt(err, s, "stereo mix shift above 31");
        alac_br low = *b;
        if (bytes_shifted)
            br_skip(b, (size_t)8 * bytes_shifted * nch * num);
        for (unsigned c = 0; c < nch; c++) {
            /* pb scaled by pbFactor / 4 (ALAC spec, set_ag_params). */
            if (ag_decode(b, buf[c], num, chan_bits, s->mb, (s->pb * cp[c].pb_factor) / 4,
                          s->kb) < 0)
                return corrupt(err, s, "residuals run past the frame");
            /* Mode 0: one predictor pass; other modes first undo a first
             * difference (order 31), then the predictor (ALAC spec;
             * FFmpeg does this for mode 15 only; encoders write 0). */
            if (cp[c].mode != 0)
                unpredict(buf[c], num, NULL, 31, chan_bits, 0);
            unpredict(buf[c], num, cp[c].coefs, cp[c].order, chan_bits, cp[c].den_shift);
        }
        if (bytes_shifted) {
            shift = 8 * bytes_shifted;
            for (uint32_t i = 0; i < num * nch; i++)
                s->shift_buf[i] = (uint16_t)br_read(&low, shift);
        }
    } else {
        unsigned bits = s->bit_depth;
        for (uint32_t i = 0; i < num; i++)
            for (unsigned c = 0; c < nch; c++)
                buf[c][i] = sext(br_read(b, bits), bits);
    }
    if (br_overrun(b))
        return corrupt(err, s, "element runs past the packet");

    /* De-matrix (ALAC spec, matrix_dec): with weight w and shift m,
     * L = u + v - ((w * v) >> m), R = L - v; then the low bytes go back
     * under each sample; then the result is cut to bitDepth bits. */
    unsigned stride = s->channels;
    const uint8_t *pos = wave_pos[s->channels - 1];
    alac_sample *o0 = s->out + pos[first];
    if (nch == 1) {
        for (uint32_t i = 0; i < num; i++) {
            uint32_t x = (uint32_t)buf[0][i];
            if (shift)
                x = x << shift | s->shift_buf[i];
            o0[(size_t)i * stride].i = sext(x, s->bit_depth);
        }
        return SEGUE_OK;
    }
    alac_sample *o1 = s->out + pos[first + 1];
    for (uint32_t i = 0; i < num; i++) {
        uint32_t u = (uint32_t)buf[0][i], v = (uint32_t)buf[1][i];
        uint32_t l = u, r = v;
        if (mix_weight != 0) {
            int32_t wv = (int32_t)((uint32_t)mix_weight * v);
            l = u + v - (uint32_t)(wv >> mix_shift);
            r = l - v;
        }
        if (shift) {
            l = l << shift | s->shift_buf[2 * i];
            r = r << shift | s->shift_buf[2 * i + 1];
        }
        o0[(size_t)i * stride].i = sext(l, s->bit_depth);
        o1[(size_t)i * stride].i = sext(r, s->bit_depth);
    }
    return SEGUE_OK;
}

/* Data stream element: tag (4), byte-align flag (1), count (8, + 8 more
 * when 255), [align], count bytes; ignored (ALAC spec). */
static void skip_dse(alac_br *b)
{
    br_skip(b, 4);
    unsigned align = br_read(b, 1);
    size_t count = br_read(b, 8);
    if (count == 255)
        count += br_read(b, 8);
    if (align)
        b->pos = (b->pos + 7) & ~(size_t)7;
    br_skip(b, count * 8);
}

/* Fill element: count (4; 15: 14 + 8 more bits), count bytes (ALAC spec). */
static void skip_fil(alac_br *b)
{
    size_t count = br_read(b, 4);
    if (count == 15)
        count += (size_t)br_read(b, 8) - 1;
    br_skip(b, count * 8);
}

/* A frame: elements until END, or until every channel is decoded (ALAC
 * spec: the reference stops there too). */
static segue_status decode_frame(alac_state *s, const uint8_t *data, size_t size, segue_error *err)
{
    alac_br b = {data, size, 0, size * 8};
    unsigned ch = 0;
    s->num_samples = 0;
    while (ch < s->channels) {
        if (b.pos >= b.bits)
            return corrupt(err, s, "frame ends inside its elements");
        unsigned tag = br_read(&b, 3);
        segue_status st = SEGUE_OK;
        switch (tag) {
        case ID_SCE:
        case ID_LFE:
            st = decode_element(s, &b, 1, ch, err);
            ch += 1;
            break;
        case ID_CPE:
            if (ch + 2 > s->channels)
                return corrupt(err, s, "channel pair beyond the channel count");
            st = decode_element(s, &b, 2, ch, err);
            ch += 2;
            break;
        case ID_DSE:
            skip_dse(&b);
            break;
        case ID_FIL:
            skip_fil(&b);
            break;
        case ID_END:
            goto end;
        default: /* CCE, PCE */
            return corrupt(err, s, "unsupported element (CCE/PCE)");
        }
        if (st < 0)
            return st;
        if (br_overrun(&b))
            return corrupt(err, s, "element runs past the packet");
    }
end:
    if (s->num_samples == 0)
        return corrupt(err, s, "frame has no audio element");
    if (ch < s->channels) {
        if (s->strict)
            return corrupt(err, s, "frame has fewer channels than the stream");
        /* The reference decoder zero-fills missing channels. */
        const uint8_t *pos = wave_pos[s->channels - 1];
        for (; ch < s->channels; ch++)
            for (uint32_t i = 0; i < s->num_samples; i++)
                s->out[(size_t)i * s->channels + pos[ch]].i = 0;
    }
    return SEGUE_OK;
}

/* ---- descriptor ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_atom(const uint8_t *p, size_t n, const char *type)
{
    return n >= 12 && memcmp(p + 4, type, 4) == 0;
}

static void alac_fini(void *priv, const segue_allocator *a)
{
    alac_state *s = priv;
    if (!s)
        return;
    segue_mem_free(a, s->block);
    s->block = NULL;
    s->out = NULL;
}

static segue_status alac_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                              segue_error *err)
{
    alac_state *s = priv;
    const uint8_t *c = p->extradata;
    size_t n = p->extradata_size;
    if (!c)
        n = 0;
    /* ALACMagicCookieDescription.txt: skip a 'frma' atom, then the 'alac'
     * atom header, when present. */
    if (is_atom(c, n, "frma")) {
        c += 12;
        n -= 12;
    }
    if (is_atom(c, n, "alac")) {
        c += 12;
        n -= 12;
    }
    if (n < CONFIG_BYTES)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "alac: %zu bytes of setup, need the 24-byte ALACSpecificConfig",
                               p->extradata ? p->extradata_size : (size_t)0);
    uint32_t frame_length = be32(c);
    unsigned version = c[4], bit_depth = c[5], channels = c[9];
    if (version != 0)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "alac: compatible version %u", version);
    if (bit_depth != 16 && bit_depth != 20 && bit_depth != 24 && bit_depth != 32)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "alac: %u-bit samples (16, 20, 24 and 32 are defined)", bit_depth);
    if (channels < 1 || channels > MAX_CHANNELS)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "alac: %u channels (1..8)", channels);
    if (p->channels != channels)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "alac: container says %u channels, ALAC config %u", p->channels,
                               channels);
    if (frame_length == 0 || frame_length > MAX_FRAME_LENGTH)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "alac: frame length %u (1..%d supported)", frame_length,
                               MAX_FRAME_LENGTH);
    alac_fini(s, a);
    size_t bytes = segue_alac_alloc_bytes(frame_length, channels);
    s->block = segue_mem_calloc(a, 1, bytes);
    if (!s->block)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "alac: cannot allocate %zu bytes", bytes);
    unsigned char *m = s->block;
    s->out = (alac_sample *)(void *)m;
    m += (size_t)frame_length * channels * sizeof(alac_sample);
    s->u = (int32_t *)(void *)m;
    m += (size_t)frame_length * sizeof(int32_t);
    s->v = channels >= 2 ? (int32_t *)(void *)m : NULL;
    if (channels >= 2)
        m += (size_t)frame_length * sizeof(int32_t);
    s->shift_buf = (uint16_t *)(void *)m;
    s->frame_length = frame_length;
    s->channels = channels;
    s->bit_depth = bit_depth;
    s->pb = c[6];
    s->mb = c[7];
    s->kb = c[8];
    s->strict = p->strict;
    s->frame_no = 0;
    return SEGUE_OK;
}

static segue_status decode_packet(alac_state *s, const segue_packet *pkt, size_t *frames,
                                  segue_error *err)
{
    *frames = 0;
    if (!pkt || pkt->size == 0)
        return SEGUE_OK;
    if (!s->out)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "alac: decoder not set up");
    s->frame_no++;
    segue_status st;
    if (!pkt->data)
        st = corrupt(s->strict ? err : NULL, s, "packet without data");
    else
        st = decode_frame(s, pkt->data, pkt->size, s->strict ? err : NULL);
    size_t count = s->num_samples;
    if (st < 0) {
        if (s->strict)
            return st;
        /* Concealment: a frame of silence. */
        count = pkt->frames && pkt->frames < s->frame_length ? pkt->frames : s->frame_length;
        memset(s->out, 0, count * s->channels * sizeof *s->out);
    }
    if (pkt->frames && pkt->frames < count)
        count = pkt->frames;
    *frames = count;
    return SEGUE_OK;
}

segue_status segue_alac_decode_s32(void *priv, const segue_packet *pkt, const int32_t **pcm,
                                   size_t *frames, segue_error *err)
{
    alac_state *s = priv;
    segue_status st = decode_packet(s, pkt, frames, err);
    *pcm = s->out ? &s->out[0].i : NULL;
    return st;
}

static segue_status alac_decode(void *priv, const segue_packet *pkt, const float **pcm,
                                size_t *frames, segue_error *err)
{
    alac_state *s = priv;
    segue_status st = decode_packet(s, pkt, frames, err);
    *pcm = s->out ? &s->out[0].f : NULL;
    if (st < 0 || *frames == 0)
        return st;
    /* value / 2^(bitDepth-1): exact below 25 bits; the scale is a power of
     * two, so only the int-to-float rounding of 32-bit values is inexact. */
    float scale = 1.0f / (float)(1ul << (s->bit_depth - 1));
    size_t total = *frames * s->channels;
    for (size_t i = 0; i < total; i++) {
        float f = (float)s->out[i].i * scale;
        s->out[i].f = f;
    }
    return SEGUE_OK;
}

static void alac_reset(void *priv)
{
    (void)priv; /* frames are independent */
}

const segue_codec_desc segue_codec_alac = {
    .name = "alac",
    .long_name = "ALAC (Apple Lossless Audio Codec)",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = sizeof(alac_state),
    .decoder_init = alac_init,
    .decode = alac_decode,
    .reset = alac_reset,
    .fini = alac_fini,
};
