/*
 * container/apev2.c - APEv2 / APEv1 tag reader (see apev2.h).
 *
 * [APE] = "APEv2 specification", "APE Tags Header", "APE Tag Item" and
 * "APE key" on wiki.hydrogenaud.io.
 *
 * Robustness rules: the tag is untrusted. The tag size is compared with the
 * bytes in the buffer before it is used, the item count with the most items
 * the tag could hold, and each item's value size and key with the bytes
 * that remain; damage stops the parse with SEGUE_ERR_CORRUPT and keeps what
 * was read before it.
 */
#include "apev2.h"

#include <string.h>

#include "core/alloc.h"
#include "core/reader.h"
#include "id3v2.h"

#define APE_PREAMBLE "APETAGEX"
/* [APE] "APE Tags Header": flags of the header/footer. */
#define APE_HAS_HEADER 0x80000000u
#define APE_HAS_NO_FOOTER 0x40000000u
#define APE_IS_HEADER 0x20000000u
/* [APE] "APE Tag Item": smallest item is 8 bytes of sizes and flags, a key
 * of at least one character (the spec asks for two) and its NUL. */
#define APE_MIN_ITEM 10u

typedef struct ape_ctx {
    segue_metadata *m;
    const segue_allocator *a;
    segue_error *err;
    unsigned version;  /* 1000 or 2000 */
} ape_ctx;

static int is_footer(const uint8_t *p) { return memcmp(p, APE_PREAMBLE, 8) == 0; }

uint64_t segue_apev2_footer_size(const uint8_t *f, size_t size)
{
    if (!f || size < SEGUE_APE_FOOTER_BYTES || !is_footer(f))
        return 0;
    uint32_t flags = segue_rl32(f + 20);
    uint32_t tag_size = segue_rl32(f + 12);
    if ((flags & APE_IS_HEADER) || tag_size < SEGUE_APE_FOOTER_BYTES)
        return 0;
    return (uint64_t)tag_size + ((flags & APE_HAS_HEADER) ? SEGUE_APE_FOOTER_BYTES : 0u);
}

int segue_apev2_find(const uint8_t *data, size_t size, size_t *offset, size_t *length)
{
    if (!data)
        return 0;
    size_t end = size;
    if (end >= 128 && memcmp(data + end - 128, "TAG", 3) == 0)
        end -= 128;
    /* Lyrics3 v2.00 between APE and ID3v1: "LYRICSBEGIN" ... six ASCII
     * digits of size and "LYRICS200" (id3.org "Lyrics3 v2.00"). */
    if (end >= 15 && memcmp(data + end - 9, "LYRICS200", 9) == 0) {
        size_t n = 0;
        int ok = 1;
        for (size_t i = end - 15; i < end - 9; i++) {
            if (data[i] < '0' || data[i] > '9')
                ok = 0;
            else
                n = n * 10 + (size_t)(data[i] - '0');
        }
        if (ok && n + 15 <= end)
            end -= n + 15;
    }
    if (end < SEGUE_APE_FOOTER_BYTES)
        return 0;
    const uint8_t *f = data + end - SEGUE_APE_FOOTER_BYTES;
    if (!is_footer(f) || (segue_rl32(f + 20) & APE_IS_HEADER))
        return 0;
    uint32_t tag_size = segue_rl32(f + 12);
    if (tag_size < SEGUE_APE_FOOTER_BYTES || tag_size > end)
        return 0;
    size_t start = end - tag_size;
    if ((segue_rl32(f + 20) & APE_HAS_HEADER) && start >= SEGUE_APE_FOOTER_BYTES &&
        is_footer(data + start - SEGUE_APE_FOOTER_BYTES))
        start -= SEGUE_APE_FOOTER_BYTES;
    if (offset)
        *offset = start;
    if (length)
        *length = end - start;
    return 1;
}

/* ---- values ------------------------------------------------------------------- */

static int same_nocase(const char *x, const char *y)
{
    for (;; x++, y++) {
        char cx = *x >= 'a' && *x <= 'z' ? (char)(*x - 32) : *x;
        char cy = *y >= 'a' && *y <= 'z' ? (char)(*y - 32) : *y;
        if (cx != cy)
            return 0;
        if (!cx)
            return 1;
    }
}

static segue_status add_text(ape_ctx *c, const char *key, const uint8_t *p, size_t n)
{
    while (n && *p == ' ')
        p++, n--;
    segue_status st = segue_tag_add_text(c->m, key, p, n, c->a);
    if (st == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(c->err, st, "apev2: out of memory");
    return SEGUE_OK; /* INVALID_ARGUMENT: a key the model cannot hold */
}

/* "3/12" -> number and total ([APE] "APE key": Track, Disc). */
static segue_status add_pair(ape_ctx *c, const char *num_key, const char *total_key,
                             const uint8_t *p, size_t n)
{
    const uint8_t *slash = memchr(p, '/', n);
    if (!slash)
        return add_text(c, num_key, p, n);
    segue_status st = add_text(c, num_key, p, (size_t)(slash - p));
    if (st < 0)
        return st;
    return add_text(c, total_key, slash + 1, n - (size_t)(slash - p) - 1);
}

/* "-6.50 dB" / "0.988" -> double; 0 if no digit. */
static int parse_decimal(const uint8_t *s, size_t n, double *out)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    double sign = 1.0, v = 0.0, scale = 1.0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        sign = s[i++] == '-' ? -1.0 : 1.0;
    int digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 32; i++, digits++)
        v = v * 10.0 + (double)(s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9' && digits < 32; i++, digits++)
            v += (scale /= 10.0) * (double)(s[i] - '0');
    if (!digits)
        return 0;
    *out = sign * v;
    return 1;
}

/* REPLAYGAIN_* items go to the loudness record; 1 if taken. */
static int take_replaygain(ape_ctx *c, const char *key, const uint8_t *p, size_t n)
{
    double v;
    return parse_decimal(p, n, &v) && segue_tag_set_replaygain(c->m, key, v);
}

static const struct {
    const char *ape;
    const char *key;
} key_map[] = {
    {"Title", "TITLE"},       {"Artist", "ARTIST"},       {"Album", "ALBUM"},
    {"Album Artist", "ALBUMARTIST"}, {"AlbumArtist", "ALBUMARTIST"},
    {"Year", "DATE"},         {"Genre", "GENRE"},         {"Comment", "COMMENT"},
    {"Composer", "COMPOSER"}, {"Lyrics", "LYRICS"},       {"Copyright", "COPYRIGHT"},
    {"ISRC", "ISRC"},
};

/* One text value of item `key`. */
static segue_status text_value(ape_ctx *c, const char *key, const uint8_t *p, size_t n)
{
    if (same_nocase(key, "Track"))
        return add_pair(c, "TRACKNUMBER", "TRACKTOTAL", p, n);
    if (same_nocase(key, "Disc"))
        return add_pair(c, "DISCNUMBER", "DISCTOTAL", p, n);
    if (take_replaygain(c, key, p, n))
        return SEGUE_OK;
    for (size_t i = 0; i < sizeof key_map / sizeof key_map[0]; i++)
        if (same_nocase(key, key_map[i].ape))
            return add_text(c, key_map[i].key, p, n);
    if (strchr(key, '=')) {
        /* The model's keys exclude '=' (a Vorbis comment restriction). */
        if (segue_metadata_add_unmapped(c->m, key, "apev2: key contains '='") == SEGUE_ERR_NO_MEMORY)
            return segue_error_set(c->err, SEGUE_ERR_NO_MEMORY, "apev2: out of memory");
        return SEGUE_OK;
    }
    return add_text(c, key, p, n);
}

/* [APE] "APE key": the picture types of "Cover Art (...)", in ID3v2 APIC
 * order (0..20). */
static const char *const cover_names[] = {
    "Other", "Icon", "Other Icon", "Front", "Back", "Leaflet", "Media", "Lead Artist",
    "Artist", "Conductor", "Band", "Composer", "Lyricist", "Recording Location",
    "During Recording", "During Performance", "Video Capture", "A Bright Coloured Fish",
    "Illustration", "Band Logotype", "Publisher Logotype"};

static int cover_type(const char *key)
{
    static const char prefix[] = "Cover Art (";
    size_t plen = sizeof prefix - 1, klen = strlen(key);
    if (klen < plen + 1 || key[klen - 1] != ')')
        return -1;
    for (size_t i = 0; i < plen; i++) {
        char k = key[i] >= 'a' && key[i] <= 'z' ? (char)(key[i] - 32) : key[i];
        char q = prefix[i] >= 'a' && prefix[i] <= 'z' ? (char)(prefix[i] - 32) : prefix[i];
        if (k != q)
            return -1;
    }
    char inner[64];
    size_t ilen = klen - plen - 1;
    if (ilen >= sizeof inner)
        return 0;
    memcpy(inner, key + plen, ilen);
    inner[ilen] = 0;
    for (size_t i = 0; i < sizeof cover_names / sizeof cover_names[0]; i++)
        if (same_nocase(inner, cover_names[i]))
            return (int)i;
    return 0;
}

static const char *sniff_mime(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    if (n >= 2 && d[0] == 'B' && d[1] == 'M')
        return "image/bmp";
    return "image/";
}

/* Binary "Cover Art (...)": a file name, NUL, the image ([APE] "APE key",
 * as foobar2000 and Mp3tag write it); some writers store the bare image. */
static segue_status picture_item(ape_ctx *c, int type, const uint8_t *p, size_t n)
{
    const uint8_t *img = p;
    size_t len = n;
    if (strcmp(sniff_mime(p, n), "image/") == 0) {
        const uint8_t *z = memchr(p, 0, n);
        if (z) {
            img = z + 1;
            len = n - (size_t)(img - p);
        }
    }
    if (!len)
        return SEGUE_OK;
    segue_picture pic;
    memset(&pic, 0, sizeof pic);
    pic.type = (uint32_t)type;
    pic.mime = sniff_mime(img, len);
    pic.description = "";
    pic.data = img;
    pic.size = len;
    segue_status st = segue_metadata_add_picture(c->m, &pic);
    if (st == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(c->err, st, "apev2: out of memory storing a %zu-byte picture", len);
    return SEGUE_OK;
}

static segue_status unmapped(ape_ctx *c, const char *key, const char *why)
{
    if (segue_metadata_add_unmapped(c->m, key, why) == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(c->err, SEGUE_ERR_NO_MEMORY, "apev2: out of memory");
    return SEGUE_OK;
}

static segue_status item(ape_ctx *c, const char *key, uint32_t flags, const uint8_t *v, size_t n)
{
    /* [APE] "APE Tag Item": flags bits 1-2: 0 UTF-8 text, 1 binary,
     * 2 external locator, 3 reserved. APEv1 items are all text. */
    unsigned kind = c->version == 1000 ? 0u : (flags >> 1) & 3u;
    int cover = cover_type(key);
    if (kind == 1 && cover >= 0)
        return picture_item(c, cover, v, n);
    if (kind == 1)
        return unmapped(c, key, "apev2: binary item skipped");
    if (kind == 2)
        return unmapped(c, key, "apev2: external-locator item skipped");
    if (kind == 3)
        return unmapped(c, key, "apev2: item of reserved type skipped");
    if (cover >= 0)
        return unmapped(c, key, "apev2: cover art item marked as text skipped");
    /* Several values are separated by NUL ([APE] "APE Tag Item"). */
    size_t off = 0;
    while (off <= n) {
        const uint8_t *z = off < n ? memchr(v + off, 0, n - off) : NULL;
        size_t len = z ? (size_t)(z - (v + off)) : n - off;
        segue_status st = text_value(c, key, v + off, len);
        if (st < 0)
            return st;
        off += len + 1;
    }
    return SEGUE_OK;
}

segue_status segue_apev2_parse(const uint8_t *data, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err)
{
    if (!m || (!data && size))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "apev2: no tag or no metadata");
    if (size < SEGUE_APE_FOOTER_BYTES)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: %zu bytes, a tag needs at least 32",
                               size);
    const uint8_t *desc; /* the header or footer whose fields are used */
    const uint8_t *items;
    size_t avail;        /* bytes present for the items */
    if (is_footer(data) && (segue_rl32(data + 20) & APE_IS_HEADER)) {
        desc = data;
        items = data + SEGUE_APE_FOOTER_BYTES;
        avail = size - SEGUE_APE_FOOTER_BYTES;
    } else if (is_footer(data + size - SEGUE_APE_FOOTER_BYTES)) {
        desc = data + size - SEGUE_APE_FOOTER_BYTES;
        items = NULL;
        avail = size - SEGUE_APE_FOOTER_BYTES;
    } else {
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: no 'APETAGEX' header or footer");
    }
    uint32_t version = segue_rl32(desc + 8);
    uint32_t tag_size = segue_rl32(desc + 12);
    uint32_t count = segue_rl32(desc + 16);
    if (version != 1000 && version != 2000)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "apev2: version %u not supported",
                               version);
    if (tag_size < SEGUE_APE_FOOTER_BYTES)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: tag size %u is smaller than its footer",
                               tag_size);
    /* The tag size counts items and footer, not the header ([APE] "APE
     * Tags Header"). */
    size_t items_len = tag_size - SEGUE_APE_FOOTER_BYTES;
    segue_status deferred = SEGUE_OK;
    if (items_len > avail) {
        if (!items)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "apev2: tag size %u exceeds the %zu bytes present", tag_size, size);
        /* From a header: the tag is truncated; read what is there. */
        deferred = segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "apev2: tag size %u exceeds the %zu bytes present", tag_size, size);
        items_len = avail;
    }
    if (!items)
        items = desc - items_len;
    if (count > items_len / APE_MIN_ITEM) {
        deferred = segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "apev2: %u items cannot fit in %zu bytes", count, items_len);
        count = (uint32_t)(items_len / APE_MIN_ITEM);
    }

    ape_ctx c = {m, a, err, version};
    size_t pos = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (items_len - pos < 8)
            return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: item %u truncated", i);
        uint32_t vsize = segue_rl32(items + pos);
        uint32_t flags = segue_rl32(items + pos + 4);
        size_t kpos = pos + 8;
        size_t kmax = items_len - kpos < 256 ? items_len - kpos : 256;
        const uint8_t *z = kmax ? memchr(items + kpos, 0, kmax) : NULL;
        if (!z)
            return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: item %u key not terminated", i);
        size_t klen = (size_t)(z - (items + kpos));
        char key[256];
        for (size_t k = 0; k < klen; k++) {
            uint8_t ch = items[kpos + k];
            if (ch < 0x20 || ch > 0x7E)
                return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                       "apev2: item %u key has byte 0x%02x", i, ch);
            key[k] = (char)ch;
        }
        key[klen] = 0;
        if (klen == 0)
            return segue_error_set(err, SEGUE_ERR_CORRUPT, "apev2: item %u has an empty key", i);
        size_t vpos = kpos + klen + 1;
        if (vsize > items_len - vpos)
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "apev2: item '%s' declares %u bytes but %zu remain", key, vsize,
                                   items_len - vpos);
        segue_status st = item(&c, key, flags, items + vpos, vsize);
        if (st < 0)
            return st;
        pos = vpos + vsize;
    }
    return deferred;
}
