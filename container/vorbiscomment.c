/*
 * container/vorbiscomment.c - Vorbis comment blocks and FLAC PICTURE blocks
 * (see vorbiscomment.h).
 *
 * References:
 *   [VC]    Xiph "Ogg Vorbis I format specification: comment field and
 *           header specification" (section 5): the packet layout (32-bit
 *           little-endian lengths, "KEY=value" fields, keys of 0x20..0x7D
 *           without '=', case-insensitive) and the recommended field names.
 *   [9639]  RFC 9639 "Free Lossless Audio Codec (FLAC)": 8.6 Vorbis comment
 *           (the same layout, no framing bit), 8.6.2 the
 *           WAVEFORMATEXTENSIBLE_CHANNEL_MASK field, 8.8 the PICTURE block
 *           (big-endian fields) and its use as a METADATA_BLOCK_PICTURE
 *           comment (base64, RFC 4648 section 4).
 *   [7845]  RFC 7845 "Ogg Encapsulation for the Opus Audio Codec", 5.2.1:
 *           R128_TRACK_GAIN / R128_ALBUM_GAIN, Q7.8 dB relative to -23 LUFS.
 *   [RG]    ReplayGain 2.0 specification, tag format: REPLAYGAIN_TRACK_GAIN
 *           "-7.03 dB", REPLAYGAIN_TRACK_PEAK "0.959778" (linear).
 *
 * Mapping decisions (read):
 *   - Keys are upper-cased. Aliases map onto canonical keys: TOTALTRACKS ->
 *     TRACKTOTAL, TOTALDISCS -> DISCTOTAL, "ALBUM ARTIST" -> ALBUMARTIST,
 *     UNSYNCEDLYRICS / "UNSYNCED LYRICS" -> LYRICS, YEAR -> DATE. Other keys
 *     are kept under their own (upper-case) name.
 *   - TRACKNUMBER / DISCNUMBER "n/m" become TRACKNUMBER=n and TRACKTOTAL=m
 *     (DISCTOTAL for discs). A key/value pair already held is not added again
 *     (so "3/12" plus TRACKTOTAL=12 gives one TRACKTOTAL).
 *   - REPLAYGAIN_{TRACK,ALBUM}_{GAIN,PEAK} and R128_{TRACK,ALBUM}_GAIN fill
 *     the loudness record when their value parses; otherwise they stay text.
 *   - METADATA_BLOCK_PICTURE becomes a picture. The legacy COVERART field
 *     (base64 of a bare image, from before METADATA_BLOCK_PICTURE) becomes a
 *     front cover (type 3) with its MIME type sniffed from the bytes;
 *     COVERARTMIME is then redundant and dropped.
 *   - Values are UTF-8 per [VC]; a value that is not valid UTF-8 is read as
 *     ISO-8859-1 (segue_tag_add_text), as old taggers wrote it. Empty values
 *     carry nothing and are dropped.
 *   - Damage inside one field (no '=', a bad key, bad base64, a bad picture)
 *     skips that field; parsing goes on and the result is SEGUE_ERR_CORRUPT
 *     naming the first such field, with every readable field kept.
 *     Structural damage (a length past the end) stops the parse.
 *
 * Mapping decisions (write):
 *   - Fields are written in the model's order under their keys. TRACKNUMBER
 *     or DISCNUMBER holding "n/m" is written as n plus a separate
 *     TRACKTOTAL/DISCTOTAL (unless the model has one already). Keys that a
 *     comment cannot hold ('~', 0x7E, is valid in the model but not in
 *     [VC]) and empty values are skipped.
 *   - Loudness: REPLAYGAIN_* ("%+.2f dB", peaks "%.6f") for FLAC and Vorbis;
 *     with r128 set (Opus), R128_TRACK_GAIN / R128_ALBUM_GAIN only, since
 *     [7845] 5.2.1 says Opus files must not carry REPLAYGAIN_* gains. A
 *     gain the model has only in the other form is converted: the ReplayGain
 *     2.0 reference is -18 LUFS and the R128 one -23 LUFS, so
 *     R128 gain = ReplayGain gain - 5 dB. Peaks have no R128 form.
 */
#include "vorbiscomment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "id3v2.h"

/* Picture types of [9639] 8.8 go to 20; larger values are reserved but kept. */
#define VC_PICTURE_TYPE_FRONT 3u

/* ---- small helpers ---------------------------------------------------------- */

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void wr_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void wr_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* Case-insensitive comparison of `len` bytes at `s` with the upper-case
 * NUL-terminated `name`. */
static int key_is(const char *s, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (n != len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_upper(s[i]) != name[i])
            return 0;
    return 1;
}

/* [VC] 5.2.3: a field name is 0x20 through 0x7D, 0x3D ('=') excluded. */
static int vc_key_char_ok(unsigned char c) { return c >= 0x20 && c <= 0x7D && c != '='; }

/* RFC 3629 section 3: well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF), and no NUL (the model holds C strings). */
static int utf8_ok(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = p[i];
        if (b == 0)
            return 0;
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t v, min;
        if ((b & 0xE0) == 0xC0)
            need = 2, v = b & 0x1Fu, min = 0x80;
        else if ((b & 0xF0) == 0xE0)
            need = 3, v = b & 0x0Fu, min = 0x800;
        else if ((b & 0xF8) == 0xF0)
            need = 4, v = b & 0x07u, min = 0x10000;
        else
            return 0;
        if (len - i < need)
            return 0;
        for (size_t k = 1; k < need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            v = (v << 6) | (p[i + k] & 0x3Fu);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        i += need;
    }
    return 1;
}

/* True if `key` already holds exactly `value`. */
static int has_pair(const segue_metadata *m, const char *key, const char *value)
{
    size_t n = segue_metadata_count(m, key);
    for (size_t i = 0; i < n; i++)
        if (strcmp(segue_metadata_get(m, key, i), value) == 0)
            return 1;
    return 0;
}

/* Adds `len` bytes of value text under `key`: exact when it is clean UTF-8
 * (no trimming: lyrics keep their line breaks), through segue_tag_add_text's
 * ISO-8859-1 fallback otherwise. Empty values and repeated pairs add
 * nothing. */
static segue_status add_value(segue_metadata *m, const char *key, const uint8_t *v, size_t len,
                              const segue_allocator *a)
{
    if (len == 0)
        return SEGUE_OK;
    if (!utf8_ok(v, len))
        return segue_tag_add_text(m, key, v, len, a);
    char *s = segue_mem_strndup(a, (const char *)v, len);
    if (!s)
        return SEGUE_ERR_NO_MEMORY;
    segue_status st = has_pair(m, key, s) ? SEGUE_OK : segue_metadata_add(m, key, s);
    segue_mem_free(a, s);
    return st;
}

/* ---- base64 (RFC 4648 section 4) ------------------------------------------------ */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Bytes base64_encode writes for `n` input bytes (padded). 0 on overflow. */
static size_t b64_encoded_size(size_t n)
{
    if (n / 3 >= SIZE_MAX / 4 - 1)
        return 0;
    return (n + 2) / 3 * 4;
}

static void b64_encode(char *out, const uint8_t *in, size_t n)
{
    size_t o = 0, i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
}

/* Decodes base64 text into a new buffer. Padding may be missing (some
 * writers drop it); characters outside the alphabet, data after padding
 * and a lone trailing sextet are errors. Returns 0 ok, -1 malformed,
 * -2 out of memory. */
static int b64_decode(const uint8_t *in, size_t n, const segue_allocator *a, uint8_t **out,
                      size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    size_t end = n;
    while (end > 0 && (in[end - 1] == '=' || in[end - 1] == '\n' || in[end - 1] == '\r'))
        end--;
    if (n - end > 4 || end % 4 == 1)
        return -1;
    size_t size = end / 4 * 3 + (end % 4 ? end % 4 - 1 : 0);
    if (size == 0)
        return -1;
    uint8_t *buf = segue_mem_alloc(a, size);
    if (!buf)
        return -2;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < end; i++) {
        int v = b64_value(in[i]);
        if (v < 0) {
            segue_mem_free(a, buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = buf;
    *out_size = o;
    return 0;
}

/* ---- numbers ------------------------------------------------------------------ */

/* Parses "[ ][+-]digits[.digits]" then optional spaces and an optional "dB"
 * (any case); nothing else may follow. 0 if malformed. */
static int parse_decimal(const char *s, size_t len, double *out)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    double sign = 1.0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        sign = s[i++] == '-' ? -1.0 : 1.0;
    double v = 0.0, scale = 1.0;
    int digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if (++digits <= 32)
            v = v * 10.0 + (double)(s[i] - '0');
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (++digits <= 32) {
                scale /= 10.0;
                v += scale * (double)(s[i] - '0');
            }
    if (!digits || digits > 32)
        return 0;
    while (i < len && s[i] == ' ')
        i++;
    if (len - i == 2 && ascii_upper(s[i]) == 'D' && ascii_upper(s[i + 1]) == 'B')
        i += 2;
    while (i < len && s[i] == ' ')
        i++;
    if (i != len)
        return 0;
    *out = sign * v;
    return 1;
}

/* [7845] 5.2.1: a signed decimal integer in -32768..32767. */
static int parse_q78(const char *s, size_t len, int *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len)
        return 0;
    long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
        if (v > 32768)
            return 0;
    }
    if (neg)
        v = -v;
    if (v > 32767)
        return 0;
    *out = (int)v;
    return 1;
}

/* ---- picture blocks ([9639] 8.8) --------------------------------------------------- */

segue_status segue_flac_picture_parse(const uint8_t *data, size_t size, segue_metadata *m,
                                      const segue_allocator *a, segue_error *err)
{
    if (!data || !m)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: picture: no data or metadata");
    size_t pos = 0;
    /* Reads one 32-bit big-endian field; every read is bounds-checked. */
#define PIC_U32(var, what)                                                                         \
    do {                                                                                           \
        if (size - pos < 4)                                                                        \
            return segue_error_set(err, SEGUE_ERR_CORRUPT,                                         \
                                   "flac: PICTURE block of %zu bytes ends inside its %s field",    \
                                   size, what);                                                    \
        var = rd_be32(data + pos);                                                                 \
        pos += 4;                                                                                  \
    } while (0)
    uint32_t type, mime_len, desc_len, width, height, depth, colors, data_len;
    PIC_U32(type, "picture type");
    PIC_U32(mime_len, "MIME length");
    if (mime_len > size - pos)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "flac: PICTURE MIME type of %u bytes exceeds the %zu bytes left",
                               mime_len, size - pos);
    const uint8_t *mime = data + pos;
    pos += mime_len;
    /* [9639] 8.8: the MIME type is printable ASCII 0x20..0x7E. */
    for (uint32_t i = 0; i < mime_len; i++)
        if (mime[i] < 0x20 || mime[i] > 0x7E)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "flac: PICTURE MIME type has byte 0x%02x at position %u "
                                   "(printable ASCII required)",
                                   mime[i], i);
    PIC_U32(desc_len, "description length");
    if (desc_len > size - pos)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "flac: PICTURE description of %u bytes exceeds the %zu bytes left",
                               desc_len, size - pos);
    const uint8_t *desc = data + pos;
    pos += desc_len;
    PIC_U32(width, "width");
    PIC_U32(height, "height");
    PIC_U32(depth, "colour depth");
    PIC_U32(colors, "colour count");
    PIC_U32(data_len, "data length");
#undef PIC_U32
    (void)depth, (void)colors; /* the model has no field for them; sniffed again on write */
    if (data_len > size - pos)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "flac: PICTURE data of %u bytes exceeds the %zu bytes left",
                               data_len, size - pos);

    segue_status st = SEGUE_OK;
    char *mime_s = segue_mem_strndup(a, (const char *)mime, mime_len);
    char *desc_s = NULL;
    if (!mime_s)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: out of memory reading PICTURE");
    if (utf8_ok(desc, desc_len)) {
        desc_s = segue_mem_strndup(a, (const char *)desc, desc_len);
    } else {
        /* Not UTF-8 as [9639] requires: read it as ISO-8859-1, each byte
         * one code point, so the text survives instead of being dropped. */
        size_t cap = (size_t)desc_len * 2 + 1;
        desc_s = segue_mem_alloc(a, cap);
        if (desc_s) {
            size_t o = 0;
            for (uint32_t i = 0; i < desc_len && desc[i]; i++) {
                if (desc[i] < 0x80) {
                    desc_s[o++] = (char)desc[i];
                } else {
                    desc_s[o++] = (char)(0xC0 | (desc[i] >> 6));
                    desc_s[o++] = (char)(0x80 | (desc[i] & 0x3F));
                }
            }
            desc_s[o] = 0;
        }
    }
    if (!desc_s) {
        segue_mem_free(a, mime_s);
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "flac: out of memory reading PICTURE");
    }
    segue_picture pic;
    memset(&pic, 0, sizeof pic);
    pic.type = type;
    pic.mime = mime_s;
    pic.description = desc_s;
    pic.width = width;
    pic.height = height;
    pic.data = data + pos;
    pic.size = data_len;
    st = segue_metadata_add_picture(m, &pic);
    segue_mem_free(a, mime_s);
    segue_mem_free(a, desc_s);
    if (st < 0)
        return segue_error_set(err, st, "flac: cannot store a PICTURE of %u bytes", data_len);
    return SEGUE_OK;
}

/* What the image bytes say about themselves, for the PICTURE fields the
 * model does not keep (width, height, colour depth, palette size). */
typedef struct image_facts {
    const char *mime; /* NULL if not recognised */
    uint32_t width, height, depth, colors;
} image_facts;

/* JPEG: ITU-T T.81 B.1.1.3 / B.2.2. Walks marker segments to the first
 * start-of-frame (SOF0..SOF15 except DHT C4, JPG C8, DAC CC). */
static void sniff_jpeg(const uint8_t *p, size_t n, image_facts *f)
{
    f->mime = "image/jpeg";
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF) {
            return;
        }
        uint8_t marker = p[i + 1];
        if (marker == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) /* EOI, SOS: no SOF before the data */
            return;
        size_t seg = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (seg < 2 || seg > n - i - 2)
            return;
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
            marker != 0xCC) {
            if (seg < 8)
                return;
            const uint8_t *s = p + i + 4;
            f->height = ((uint32_t)s[1] << 8) | s[2];
            f->width = ((uint32_t)s[3] << 8) | s[4];
            f->depth = (uint32_t)s[0] * s[5]; /* precision x components */
            return;
        }
        i += 2 + seg;
    }
}

/* PNG: ISO/IEC 15948 11.2.2 (IHDR) and 11.2.3 (PLTE). */
static void sniff_png(const uint8_t *p, size_t n, image_facts *f)
{
    f->mime = "image/png";
    if (n < 33 || memcmp(p + 12, "IHDR", 4) != 0)
        return;
    f->width = rd_be32(p + 16);
    f->height = rd_be32(p + 20);
    uint32_t bit_depth = p[24], color_type = p[25];
    static const uint8_t samples[7] = {1, 0, 3, 1, 2, 0, 4};
    if (color_type <= 6 && samples[color_type])
        f->depth = bit_depth * samples[color_type];
    if (color_type == 3) {
        f->depth = bit_depth; /* indices; the palette entries are RGB */
        size_t i = 8;
        for (int guard = 0; guard < 64 && i + 12 <= n; guard++) {
            uint32_t len = rd_be32(p + i);
            if (memcmp(p + i + 4, "PLTE", 4) == 0) {
                f->colors = len / 3;
                break;
            }
            if (memcmp(p + i + 4, "IDAT", 4) == 0 || len > n - i - 12)
                break;
            i += 12 + (size_t)len;
        }
    }
}

static void sniff_image(const uint8_t *p, size_t n, image_facts *f)
{
    memset(f, 0, sizeof *f);
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        sniff_jpeg(p, n, f);
    else if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        sniff_png(p, n, f);
    else if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        f->mime = "image/gif";
    else if (n >= 2 && p[0] == 'B' && p[1] == 'M')
        f->mime = "image/bmp";
    else if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        f->mime = "image/webp";
}

segue_status segue_flac_picture_write(const segue_picture *pic, const segue_allocator *a,
                                      uint8_t **out, size_t *out_size, segue_error *err)
{
    if (!pic || !out || !out_size || (!pic->data && pic->size))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "flac: picture: bad arguments");
    *out = NULL;
    *out_size = 0;
    image_facts f;
    sniff_image(pic->data, pic->size, &f);
    const char *mime = pic->mime && *pic->mime ? pic->mime : f.mime ? f.mime : "";
    const char *desc = pic->description ? pic->description : "";
    size_t mime_len = strlen(mime), desc_len = strlen(desc);
    for (size_t i = 0; i < mime_len; i++)
        if ((unsigned char)mime[i] < 0x20 || (unsigned char)mime[i] > 0x7E)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "flac: picture MIME type '%s' is not printable ASCII", mime);
    if (mime_len > UINT32_MAX || desc_len > UINT32_MAX || pic->size > UINT32_MAX ||
        pic->size > SIZE_MAX - 32 - mime_len - desc_len)
        return segue_error_set(err, SEGUE_ERR_TOO_LARGE,
                               "flac: picture of %zu bytes does not fit a PICTURE block", pic->size);
    size_t total = 32 + mime_len + desc_len + pic->size;
    uint8_t *b = segue_mem_alloc(a, total);
    if (!b)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY,
                               "flac: cannot allocate a %zu-byte PICTURE block", total);
    /* Width/height the caller gave win; the rest comes from the image. */
    uint32_t width = pic->width ? pic->width : f.width;
    uint32_t height = pic->height ? pic->height : f.height;
    size_t o = 0;
    wr_be32(b + o, pic->type), o += 4;
    wr_be32(b + o, (uint32_t)mime_len), o += 4;
    memcpy(b + o, mime, mime_len), o += mime_len;
    wr_be32(b + o, (uint32_t)desc_len), o += 4;
    memcpy(b + o, desc, desc_len), o += desc_len;
    wr_be32(b + o, width), o += 4;
    wr_be32(b + o, height), o += 4;
    wr_be32(b + o, f.depth), o += 4;
    wr_be32(b + o, f.colors), o += 4;
    wr_be32(b + o, (uint32_t)pic->size), o += 4;
    if (pic->size)
        memcpy(b + o, pic->data, pic->size);
    *out = b;
    *out_size = total;
    return SEGUE_OK;
}

/* ---- parse -------------------------------------------------------------------------- */

typedef struct vc_parse {
    segue_metadata *m;
    const segue_allocator *a;
    segue_error soft;      /* first damaged field; reported at the end */
    int damaged;
} vc_parse;

/* Notes damage inside one field (the parse goes on). */
static void soft_damage(vc_parse *p, const char *detail)
{
    if (!p->damaged)
        segue_error_set(&p->soft, SEGUE_ERR_CORRUPT, "%s", detail);
    p->damaged = 1;
}

/* "n/m" (spaces around either allowed): number part and total part. */
static segue_status add_number_pair(vc_parse *p, const char *num_key, const char *total_key,
                                    const uint8_t *v, size_t len)
{
    const uint8_t *slash = len ? memchr(v, '/', len) : NULL;
    if (!slash)
        return add_value(p->m, num_key, v, len, p->a);
    size_t n_len = (size_t)(slash - v);
    const uint8_t *t = slash + 1;
    size_t t_len = len - n_len - 1;
    while (n_len && *v == ' ')
        v++, n_len--;
    while (n_len && v[n_len - 1] == ' ')
        n_len--;
    while (t_len && *t == ' ')
        t++, t_len--;
    while (t_len && t[t_len - 1] == ' ')
        t_len--;
    segue_status st = add_value(p->m, num_key, v, n_len, p->a);
    if (st >= 0)
        st = add_value(p->m, total_key, t, t_len, p->a);
    return st;
}

/* REPLAYGAIN_* / R128_*: returns 1 if taken into the loudness record. */
static int take_loudness(vc_parse *p, const char *key, size_t klen, const char *v, size_t len)
{
    segue_loudness l;
    segue_metadata_get_loudness(p->m, &l);
    double d;
    int q;
    if (key_is(key, klen, "REPLAYGAIN_TRACK_GAIN") && parse_decimal(v, len, &d))
        l.has_track_gain = 1, l.track_gain_db = d;
    else if (key_is(key, klen, "REPLAYGAIN_TRACK_PEAK") && parse_decimal(v, len, &d) && d >= 0)
        l.has_track_peak = 1, l.track_peak = d;
    else if (key_is(key, klen, "REPLAYGAIN_ALBUM_GAIN") && parse_decimal(v, len, &d))
        l.has_album_gain = 1, l.album_gain_db = d;
    else if (key_is(key, klen, "REPLAYGAIN_ALBUM_PEAK") && parse_decimal(v, len, &d) && d >= 0)
        l.has_album_peak = 1, l.album_peak = d;
    else if (key_is(key, klen, "R128_TRACK_GAIN") && parse_q78(v, len, &q))
        l.has_r128_track = 1, l.r128_track_gain_db = (double)q / 256.0;
    else if (key_is(key, klen, "R128_ALBUM_GAIN") && parse_q78(v, len, &q))
        l.has_r128_album = 1, l.r128_album_gain_db = (double)q / 256.0;
    else
        return 0;
    segue_metadata_set_loudness(p->m, &l);
    return 1;
}

/* METADATA_BLOCK_PICTURE ([9639] 8.8 via base64) and legacy COVERART. */
static segue_status take_picture(vc_parse *p, uint32_t index, const uint8_t *v, size_t len,
                                 int legacy)
{
    uint8_t *bin;
    size_t bin_size;
    char detail[SEGUE_ERROR_DETAIL_MAX];
    int rc = b64_decode(v, len, p->a, &bin, &bin_size);
    if (rc == -2)
        return SEGUE_ERR_NO_MEMORY;
    if (rc < 0) {
        snprintf(detail, sizeof detail, "vorbiscomment: field %u (%s): %zu bytes of invalid base64",
                 index, legacy ? "COVERART" : "METADATA_BLOCK_PICTURE", len);
        soft_damage(p, detail);
        return SEGUE_OK;
    }
    segue_status st;
    if (legacy) {
        image_facts f;
        sniff_image(bin, bin_size, &f);
        segue_picture pic;
        memset(&pic, 0, sizeof pic);
        pic.type = VC_PICTURE_TYPE_FRONT;
        pic.mime = f.mime ? f.mime : "application/octet-stream";
        pic.description = "";
        pic.width = f.width;
        pic.height = f.height;
        pic.data = bin;
        pic.size = bin_size;
        st = segue_metadata_add_picture(p->m, &pic);
    } else {
        segue_error perr;
        segue_error_clear(&perr);
        st = segue_flac_picture_parse(bin, bin_size, p->m, p->a, &perr);
        if (st == SEGUE_ERR_CORRUPT) {
            snprintf(detail, sizeof detail, "vorbiscomment: field %u: %.200s", index, perr.detail);
            soft_damage(p, detail);
            st = SEGUE_OK;
        }
    }
    segue_mem_free(p->a, bin);
    return st;
}

/* One "KEY=value" field. Returns SEGUE_OK or SEGUE_ERR_NO_MEMORY; damage
 * inside the field is recorded as soft damage. */
static segue_status parse_field(vc_parse *p, uint32_t index, const uint8_t *f, size_t len)
{
    char detail[SEGUE_ERROR_DETAIL_MAX];
    const uint8_t *eq = len ? memchr(f, '=', len) : NULL;
    if (!eq) {
        snprintf(detail, sizeof detail, "vorbiscomment: field %u (%zu bytes) has no '='", index, len);
        soft_damage(p, detail);
        return SEGUE_OK;
    }
    size_t klen = (size_t)(eq - f);
    const char *key = (const char *)f;
    const uint8_t *v = eq + 1;
    size_t vlen = len - klen - 1;
    int key_ok = klen > 0;
    for (size_t i = 0; i < klen && key_ok; i++)
        key_ok = vc_key_char_ok(f[i]);
    if (!key_ok) {
        snprintf(detail, sizeof detail,
                 "vorbiscomment: field %u has an invalid name (empty or outside 0x20..0x7D)", index);
        soft_damage(p, detail);
        return SEGUE_OK;
    }

    if (key_is(key, klen, "METADATA_BLOCK_PICTURE"))
        return take_picture(p, index, v, vlen, 0);
    if (key_is(key, klen, "COVERART"))
        return take_picture(p, index, v, vlen, 1);
    if (key_is(key, klen, "COVERARTMIME"))
        return SEGUE_OK; /* the MIME type is sniffed from COVERART itself */
    if (take_loudness(p, key, klen, (const char *)v, vlen))
        return SEGUE_OK;
    if (key_is(key, klen, "TRACKNUMBER"))
        return add_number_pair(p, "TRACKNUMBER", "TRACKTOTAL", v, vlen);
    if (key_is(key, klen, "DISCNUMBER"))
        return add_number_pair(p, "DISCNUMBER", "DISCTOTAL", v, vlen);

    static const struct {
        const char *alias, *canonical;
    } aliases[] = {
        {"TOTALTRACKS", "TRACKTOTAL"}, {"TOTALDISCS", "DISCTOTAL"},
        {"ALBUM ARTIST", "ALBUMARTIST"}, {"UNSYNCEDLYRICS", "LYRICS"},
        {"UNSYNCED LYRICS", "LYRICS"}, {"YEAR", "DATE"},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (key_is(key, klen, aliases[i].alias))
            return add_value(p->m, aliases[i].canonical, v, vlen, p->a);

    char *k = segue_mem_strndup(p->a, key, klen);
    if (!k)
        return SEGUE_ERR_NO_MEMORY;
    segue_status st = add_value(p->m, k, v, vlen, p->a);
    segue_mem_free(p->a, k);
    return st;
}

segue_status segue_vorbiscomment_parse(const uint8_t *data, size_t size, segue_metadata *m,
                                       const segue_allocator *a, segue_error *err)
{
    if ((!data && size) || !m)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "vorbiscomment: no data or metadata");
    vc_parse p;
    memset(&p, 0, sizeof p);
    p.m = m;
    p.a = a;
    segue_error_clear(&p.soft);

    /* [VC] 5.2.1: vendor_length, vendor_string, user_comment_list_length. */
    if (size < 4)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbiscomment: block of %zu bytes has no vendor length", size);
    uint32_t vendor_len = rd_le32(data);
    size_t pos = 4;
    if (vendor_len > size - pos)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbiscomment: vendor string of %u bytes exceeds the %zu bytes left",
                               vendor_len, size - pos);
    pos += vendor_len;
    if (size - pos < 4)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbiscomment: block ends after the vendor string, no field count");
    uint32_t count = rd_le32(data + pos);
    pos += 4;
    /* Each field takes at least its 4-byte length: a count the bytes cannot
     * hold is a lie, caught before any field is read. */
    if (count > (size - pos) / 4)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "vorbiscomment: field count %u needs at least %llu bytes, %zu left",
                               count, (unsigned long long)count * 4u, size - pos);
    for (uint32_t i = 0; i < count; i++) {
        if (size - pos < 4)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "vorbiscomment: field %u of %u: block ends before its length",
                                   i, count);
        uint32_t len = rd_le32(data + pos);
        pos += 4;
        if (len > size - pos)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "vorbiscomment: field %u of %u declares %u bytes, %zu left", i,
                                   count, len, size - pos);
        segue_status st = parse_field(&p, i, data + pos, len);
        if (st < 0)
            return segue_error_set(err, st, "vorbiscomment: out of memory at field %u", i);
        pos += len;
    }
    if (p.damaged)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "%s", p.soft.detail);
    return SEGUE_OK;
}

/* ---- write ----------------------------------------------------------------------------- */

/* Serialiser used twice: once with buf NULL to size the block, once to
 * fill it, so the block is allocated exactly once. */
typedef struct vc_out {
    uint8_t *buf;
    size_t n;
    uint64_t count;
    int overflow;
} vc_out;

static void out_bytes(vc_out *o, const void *p, size_t len)
{
    if (len > SIZE_MAX - o->n) {
        o->overflow = 1;
        return;
    }
    if (o->buf && len)
        memcpy(o->buf + o->n, p, len);
    o->n += len;
}

static void out_le32(vc_out *o, uint32_t v)
{
    uint8_t b[4];
    wr_le32(b, v);
    out_bytes(o, b, 4);
}

/* One field "key=value" (the value `vlen` bytes of text). */
static void out_field(vc_out *o, const char *key, const char *value, size_t vlen)
{
    size_t klen = strlen(key);
    if (klen > UINT32_MAX - 1 || vlen > UINT32_MAX - 1 - klen) {
        o->overflow = 1;
        return;
    }
    out_le32(o, (uint32_t)(klen + 1 + vlen));
    out_bytes(o, key, klen);
    out_bytes(o, "=", 1);
    out_bytes(o, value, vlen);
    o->count++;
}

/* A picture field: "METADATA_BLOCK_PICTURE=" + base64 of the block. */
static void out_picture(vc_out *o, const uint8_t *block, size_t size)
{
    static const char key[] = "METADATA_BLOCK_PICTURE=";
    size_t b64 = b64_encoded_size(size);
    if (!b64 || b64 > UINT32_MAX - (sizeof key - 1)) {
        o->overflow = 1;
        return;
    }
    out_le32(o, (uint32_t)(sizeof key - 1 + b64));
    out_bytes(o, key, sizeof key - 1);
    if (o->overflow || b64 > SIZE_MAX - o->n) {
        o->overflow = 1;
        return;
    }
    if (o->buf)
        b64_encode((char *)o->buf + o->n, block, size);
    o->n += b64;
    o->count++;
}

static int vc_key_ok(const char *key)
{
    if (!*key)
        return 0;
    for (const char *k = key; *k; k++)
        if (!vc_key_char_ok((unsigned char)*k))
            return 0;
    return 1;
}

static void out_text_fields(vc_out *o, const segue_metadata *m)
{
    size_t n = segue_metadata_field_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *key, *value;
        if (segue_metadata_field_at(m, i, &key, &value) < 0 || !*value || !vc_key_ok(key))
            continue;
        const char *total_key = strcmp(key, "TRACKNUMBER") == 0  ? "TRACKTOTAL"
                                : strcmp(key, "DISCNUMBER") == 0 ? "DISCTOTAL"
                                                                 : NULL;
        const char *slash = total_key ? strchr(value, '/') : NULL;
        if (!slash) {
            out_field(o, key, value, strlen(value));
            continue;
        }
        /* "3/12" in the model: TRACKNUMBER=3 and, unless the model has its
         * own, TRACKTOTAL=12 ([VC] recommends separate fields). */
        size_t nlen = (size_t)(slash - value);
        while (nlen && value[nlen - 1] == ' ')
            nlen--;
        const char *total = slash + 1;
        while (*total == ' ')
            total++;
        if (nlen)
            out_field(o, key, value, nlen);
        if (*total && segue_metadata_count(m, total_key) == 0)
            out_field(o, total_key, total, strlen(total));
    }
}

static void out_gain(vc_out *o, const char *key, double db, int r128)
{
    char v[48];
    if (r128) {
        double q = floor(db * 256.0 + 0.5);
        q = q < -32768.0 ? -32768.0 : q > 32767.0 ? 32767.0 : q;
        snprintf(v, sizeof v, "%d", (int)q);
    } else {
        snprintf(v, sizeof v, "%+.2f dB", db);
    }
    out_field(o, key, v, strlen(v));
}

static void out_peak(vc_out *o, const char *key, double peak)
{
    char v[48];
    snprintf(v, sizeof v, "%.6f", peak);
    out_field(o, key, v, strlen(v));
}

static void out_loudness(vc_out *o, const segue_metadata *m, int r128)
{
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    /* ReplayGain references -18 LUFS, R128 gains -23 LUFS: R128 = RG - 5. */
    if (r128) {
        if (l.has_r128_track)
            out_gain(o, "R128_TRACK_GAIN", l.r128_track_gain_db, 1);
        else if (l.has_track_gain)
            out_gain(o, "R128_TRACK_GAIN", l.track_gain_db - 5.0, 1);
        if (l.has_r128_album)
            out_gain(o, "R128_ALBUM_GAIN", l.r128_album_gain_db, 1);
        else if (l.has_album_gain)
            out_gain(o, "R128_ALBUM_GAIN", l.album_gain_db - 5.0, 1);
        return;
    }
    if (l.has_track_gain)
        out_gain(o, "REPLAYGAIN_TRACK_GAIN", l.track_gain_db, 0);
    else if (l.has_r128_track)
        out_gain(o, "REPLAYGAIN_TRACK_GAIN", l.r128_track_gain_db + 5.0, 0);
    if (l.has_track_peak)
        out_peak(o, "REPLAYGAIN_TRACK_PEAK", l.track_peak);
    if (l.has_album_gain)
        out_gain(o, "REPLAYGAIN_ALBUM_GAIN", l.album_gain_db, 0);
    else if (l.has_r128_album)
        out_gain(o, "REPLAYGAIN_ALBUM_GAIN", l.r128_album_gain_db + 5.0, 0);
    if (l.has_album_peak)
        out_peak(o, "REPLAYGAIN_ALBUM_PEAK", l.album_peak);
}

static void out_block(vc_out *o, const segue_metadata *m, const char *vendor, int r128,
                      uint8_t *const *pics, const size_t *pic_sizes, size_t npics)
{
    size_t vlen = strlen(vendor);
    if (vlen > UINT32_MAX) {
        o->overflow = 1;
        return;
    }
    out_le32(o, (uint32_t)vlen);
    out_bytes(o, vendor, vlen);
    size_t count_at = o->n;
    out_le32(o, 0); /* field count, filled in below */
    if (m) {
        out_text_fields(o, m);
        out_loudness(o, m, r128);
    }
    for (size_t i = 0; i < npics; i++)
        out_picture(o, pics[i], pic_sizes[i]);
    if (o->count > UINT32_MAX)
        o->overflow = 1;
    if (o->buf && !o->overflow)
        wr_le32(o->buf + count_at, (uint32_t)o->count);
}

segue_status segue_vorbiscomment_write(const segue_metadata *m, const char *vendor,
                                       segue_vc_pictures pictures, int r128,
                                       const segue_allocator *a, uint8_t **out, size_t *out_size,
                                       segue_error *err)
{
    if (!out || !out_size)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "vorbiscomment: no output");
    *out = NULL;
    *out_size = 0;
    if (!vendor)
        vendor = "";
    size_t npics = pictures == SEGUE_VC_PICTURES_INLINE ? segue_metadata_picture_count(m) : 0;
    uint8_t **pics = NULL;
    size_t *sizes = NULL;
    segue_status st = SEGUE_OK;
    if (npics) {
        pics = segue_mem_calloc(a, npics, sizeof *pics);
        sizes = segue_mem_calloc(a, npics, sizeof *sizes);
        if (!pics || !sizes) {
            st = segue_error_set(err, SEGUE_ERR_NO_MEMORY, "vorbiscomment: out of memory");
            goto done;
        }
        for (size_t i = 0; i < npics; i++) {
            segue_picture pic;
            segue_metadata_picture_at(m, i, &pic);
            if ((st = segue_flac_picture_write(&pic, a, &pics[i], &sizes[i], err)) < 0)
                goto done;
        }
    }
    vc_out o;
    memset(&o, 0, sizeof o);
    out_block(&o, m, vendor, r128, pics, sizes, npics);
    if (o.overflow || o.n == 0) {
        st = segue_error_set(err, SEGUE_ERR_TOO_LARGE,
                             "vorbiscomment: tags exceed the 4 GiB a comment block can hold");
        goto done;
    }
    size_t total = o.n;
    memset(&o, 0, sizeof o);
    o.buf = segue_mem_alloc(a, total);
    if (!o.buf) {
        st = segue_error_set(err, SEGUE_ERR_NO_MEMORY,
                             "vorbiscomment: cannot allocate a %zu-byte comment block", total);
        goto done;
    }
    out_block(&o, m, vendor, r128, pics, sizes, npics);
    if (o.n != total || o.overflow) {
        segue_mem_free(a, o.buf);
        st = segue_error_set(err, SEGUE_ERR_INTERNAL, "vorbiscomment: size changed between passes");
        goto done;
    }
    *out = o.buf;
    *out_size = total;
done:
    for (size_t i = 0; pics && i < npics; i++)
        segue_mem_free(a, pics[i]);
    segue_mem_free(a, pics);
    segue_mem_free(a, sizes);
    return st;
}
