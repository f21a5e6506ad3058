/*
 * container/mp4_ilst.c - iTunes metadata (the 'ilst' item list in
 * moov/udta/meta) into the metadata model.
 *
 * Layout (Apple QuickTime File Format, "Metadata" / "Item list atom"):
 * each child of 'ilst' is an item whose type names the field (e.g. '©nam');
 * the item holds one or more 'data' atoms: a 4-byte type indicator (byte 0
 * must be 0, bytes 1..3 the well-known type: 1 UTF-8, 13 JPEG, 14 PNG,
 * 21 big-endian signed integer, 0 implicit/binary), a 4-byte locale, then
 * the value. Freeform items ('----') carry a 'mean' (reverse-DNS domain) and
 * a 'name' before their 'data'. The mapping is tabled in docs/mp4.md.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "id3v2.h"
#include "mp4_internal.h"

int mp4_next_box(mp4_span *s, uint32_t *type, mp4_span *body)
{
    if (s->n == 0)
        return 0;
    if (s->n < 8)
        return -1;
    uint64_t size = segue_rb32(s->p);
    *type = segue_rb32(s->p + 4);
    size_t header = 8;
    if (size == 1) { /* 14496-12 4.2: largesize */
        if (s->n < 16)
            return -1;
        size = (uint64_t)segue_rb32(s->p + 8) << 32 | segue_rb32(s->p + 12);
        header = 16;
    } else if (size == 0) { /* extends to the end of the enclosing box */
        size = s->n;
    }
    if (size < header || size > s->n)
        return -1;
    body->p = s->p + header;
    body->n = (size_t)size - header;
    s->p += (size_t)size;
    s->n -= (size_t)size;
    return 1;
}

int mp4_find_box(mp4_span s, uint32_t type, mp4_span *body)
{
    uint32_t t;
    mp4_span b;
    while (mp4_next_box(&s, &t, &b) == 1)
        if (t == type) {
            *body = b;
            return 1;
        }
    return 0;
}

/* Text items: the item type and its canonical key. */
static const struct {
    uint32_t type;
    const char *key;
} text_items[] = {
    {MP4_TAG(0xA9, 'n', 'a', 'm'), "TITLE"},    {MP4_TAG(0xA9, 'A', 'R', 'T'), "ARTIST"},
    {MP4_TAG(0xA9, 'a', 'l', 'b'), "ALBUM"},    {MP4_TAG('a', 'A', 'R', 'T'), "ALBUMARTIST"},
    {MP4_TAG(0xA9, 'd', 'a', 'y'), "DATE"},     {MP4_TAG(0xA9, 'g', 'e', 'n'), "GENRE"},
    {MP4_TAG(0xA9, 'c', 'm', 't'), "COMMENT"},  {MP4_TAG(0xA9, 'l', 'y', 'r'), "LYRICS"},
    {MP4_TAG(0xA9, 'w', 'r', 't'), "COMPOSER"}, {MP4_TAG(0xA9, 't', 'o', 'o'), "ENCODER"},
    {MP4_TAG('c', 'p', 'r', 't'), "COPYRIGHT"}, {MP4_TAG(0xA9, 'g', 'r', 'p'), "GROUPING"},
    {MP4_TAG('d', 'e', 's', 'c'), "DESCRIPTION"},
};

typedef struct ilst_reader {
    segue_demux_ctx *ctx;
    mp4_smpb *smpb;
} ilst_reader;

static segue_status add_text(ilst_reader *r, const char *key, const uint8_t *p, size_t n)
{
    /* Values are UTF-8 (type 1); cut at an embedded NUL, drop empty ones. */
    const void *nul = memchr(p, 0, n);
    if (nul)
        n = (size_t)((const uint8_t *)nul - p);
    if (n == 0)
        return SEGUE_OK;
    char *v = segue_mem_strndup(r->ctx->allocator, (const char *)p, n);
    if (!v)
        return segue_error_set(r->ctx->err, SEGUE_ERR_NO_MEMORY, "mp4: cannot allocate a tag value");
    segue_status st = segue_metadata_add(r->ctx->metadata, key, v);
    segue_mem_free(r->ctx->allocator, v);
    return st;
}

static segue_status add_number(ilst_reader *r, const char *key, uint64_t value)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)value);
    return segue_metadata_add(r->ctx->metadata, key, buf);
}

/* Big-endian unsigned integer of 1, 2, 4 or 8 bytes (type 21/0 numbers). */
static int read_uint(const uint8_t *p, size_t n, uint64_t *v)
{
    if (n != 1 && n != 2 && n != 4 && n != 8)
        return 0;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v << 8 | p[i];
    return 1;
}

/* iTunSMPB: " 00000000 DDDDDDDD PPPPPPPP LLLLLLLLLLLLLLLL ..." hex words:
 * reserved, encoder delay, padding, original length in frames. */
static void parse_smpb(ilst_reader *r, const uint8_t *p, size_t n)
{
    char buf[128];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    unsigned long long w[4];
    if (sscanf(buf, "%llx %llx %llx %llx", &w[0], &w[1], &w[2], &w[3]) != 4)
        return;
    if (w[1] > UINT32_MAX || w[2] > UINT32_MAX)
        return;
    r->smpb->has_smpb = 1;
    r->smpb->delay = (uint32_t)w[1];
    r->smpb->padding = (uint32_t)w[2];
    r->smpb->length = w[3];
}

/* One 'data' atom of item `type` (freeform name `name` for '----'). */
static segue_status read_data(ilst_reader *r, uint32_t type, const char *name, mp4_span d)
{
    segue_demux_ctx *ctx = r->ctx;
    if (d.n < 8)
        return SEGUE_OK; /* no type indicator and locale: nothing to read */
    uint32_t well_known = segue_rb32(d.p) & 0xFFFFFFu;
    const uint8_t *v = d.p + 8;
    size_t n = d.n - 8;
    if (n > segue_demux_max_metadata(ctx))
        return segue_metadata_add_unmapped(ctx->metadata, name ? name : "ILST",
                                           "mp4: item larger than the metadata limit skipped");

    if (name) { /* ----:com.apple.iTunes:NAME */
        if (strcmp(name, "ITUNSMPB") == 0) {
            parse_smpb(r, v, n);
            return SEGUE_OK; /* describes this encoding only; not carried over */
        }
        /* ReplayGain freeform items (replaygain_track_gain "-7.03 dB", as
         * foobar2000 and ffmpeg write them) fill the loudness record, as
         * the ID3 and Vorbis comment readers do; unparsable ones stay text. */
        if (n < 64) {
            char text[64];
            memcpy(text, v, n);
            text[n] = '\0';
            if (segue_tag_take_replaygain_text(ctx->metadata, name, text))
                return SEGUE_OK;
        }
        return add_text(r, name, v, n);
    }
    for (size_t i = 0; i < sizeof text_items / sizeof text_items[0]; i++)
        if (text_items[i].type == type)
            return add_text(r, text_items[i].key, v, n);

    uint64_t num;
    switch (type) {
    case MP4_TAG('t', 'r', 'k', 'n'):
    case MP4_TAG('d', 'i', 's', 'k'): {
        /* 2 reserved bytes, 16-bit number, 16-bit total (trkn adds 2 more). */
        if (n < 6)
            return SEGUE_OK;
        int trk = type == MP4_TAG('t', 'r', 'k', 'n');
        uint16_t no = segue_rb16(v + 2), total = segue_rb16(v + 4);
        segue_status st = SEGUE_OK;
        if (no)
            st = add_number(r, trk ? "TRACKNUMBER" : "DISCNUMBER", no);
        if (st >= 0 && total)
            st = add_number(r, trk ? "TRACKTOTAL" : "DISCTOTAL", total);
        return st;
    }
    case MP4_TAG('g', 'n', 'r', 'e'): {
        /* ID3v1 genre index plus one (QuickTime "genre" well-known item). */
        if (!read_uint(v, n, &num) || num == 0 || num > 256)
            return SEGUE_OK;
        const char *g = segue_id3v1_genre_name((unsigned)(num - 1));
        return g ? segue_metadata_add(ctx->metadata, "GENRE", g) : SEGUE_OK;
    }
    case MP4_TAG('c', 'p', 'i', 'l'):
        if (!read_uint(v, n, &num))
            return SEGUE_OK;
        return segue_metadata_add(ctx->metadata, "COMPILATION", num ? "1" : "0");
    case MP4_TAG('t', 'm', 'p', 'o'):
        if (!read_uint(v, n, &num) || num == 0)
            return SEGUE_OK;
        return add_number(r, "BPM", num);
    case MP4_TAG('c', 'o', 'v', 'r'): {
        /* Well-known types 13 JPEG, 14 PNG, 27 BMP; 0 (implicit) sniffed. */
        const char *mime = NULL;
        if (well_known == 13 || (well_known == 0 && n >= 3 && memcmp(v, "\xff\xd8\xff", 3) == 0))
            mime = "image/jpeg";
        else if (well_known == 14 || (well_known == 0 && n >= 4 && memcmp(v, "\x89PNG", 4) == 0))
            mime = "image/png";
        else if (well_known == 27)
            mime = "image/bmp";
        if (!mime || n == 0)
            return segue_metadata_add_unmapped(ctx->metadata, "PICTURE",
                                               "mp4: cover of an unknown image type skipped");
        segue_picture pic;
        memset(&pic, 0, sizeof pic);
        pic.type = 3; /* front cover: iTunes has no picture types */
        pic.mime = mime;
        pic.description = "";
        pic.data = v;
        pic.size = n;
        return segue_metadata_add_picture(ctx->metadata, &pic);
    }
    default:
        return SEGUE_OK; /* other items (sort orders, store ids...) are not kept */
    }
}

/* A freeform item's name: 'name' atom (version/flags, then the text). */
static int freeform_name(mp4_span item, char *out, size_t cap)
{
    mp4_span mean, name;
    if (!mp4_find_box(item, MP4_TAG('m', 'e', 'a', 'n'), &mean) ||
        !mp4_find_box(item, MP4_TAG('n', 'a', 'm', 'e'), &name) || mean.n < 4 || name.n <= 4)
        return 0;
    (void)mean; /* any domain: com.apple.iTunes and others keep their NAME */
    size_t n = name.n - 4;
    if (n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = name.p[4 + i];
        if (c < 0x20 || c > 0x7e || c == '=')
            return 0; /* keys are printable ASCII */
        out[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    out[n] = 0;
    return 1;
}

segue_status mp4_read_ilst(segue_demux_ctx *ctx, mp4_span meta, mp4_smpb *smpb)
{
    ilst_reader r = {ctx, smpb};
    /* 'meta' is a full box in ISO files (14496-12 8.11.1) but has no
     * version/flags in QuickTime files: skip them only when present. */
    if (meta.n >= 12 && segue_rb32(meta.p + 4) != MP4_TAG('h', 'd', 'l', 'r')) {
        meta.p += 4;
        meta.n -= 4;
    }
    mp4_span ilst;
    if (!mp4_find_box(meta, MP4_TAG('i', 'l', 's', 't'), &ilst))
        return SEGUE_OK;
    uint32_t type;
    mp4_span item;
    int rc;
    while ((rc = mp4_next_box(&ilst, &type, &item)) == 1) {
        char name[128];
        const char *key = NULL;
        if (type == MP4_TAG('-', '-', '-', '-')) {
            if (!freeform_name(item, name, sizeof name))
                continue;
            key = name;
        }
        uint32_t t;
        mp4_span d;
        int drc;
        while ((drc = mp4_next_box(&item, &t, &d)) == 1) {
            if (t != MP4_TAG('d', 'a', 't', 'a'))
                continue;
            segue_status st = read_data(&r, type, key, d);
            if (st < 0)
                return st;
        }
        if (drc < 0 && segue_demux_strict(ctx))
            return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "mp4: malformed ilst item");
    }
    if (rc < 0 && segue_demux_strict(ctx))
        return segue_error_set(ctx->err, SEGUE_ERR_CORRUPT, "mp4: malformed ilst box");
    return SEGUE_OK;
}
