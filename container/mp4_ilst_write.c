/*
 * container/mp4_ilst_write.c - the metadata model into iTunes metadata:
 * moov/udta/meta/ilst, the inverse of the reader's mapping (mp4_ilst.c,
 * tabled in docs/mp4.md) so a file written here reads back to the same
 * model.
 *
 * Layout (Apple QuickTime File Format, "Metadata" / "Item list atom";
 * ISO/IEC 14496-12 8.10.1 udta, 8.11.1 meta): 'meta' is a full box whose
 * first child is a 'hdlr' with handler type 'mdir' (manufacturer 'appl');
 * then 'ilst'. Each ilst item is a box named after its field holding one
 * 'data' atom per value: a 4-byte type indicator (0 + the 24-bit
 * well-known type: 1 UTF-8, 13 JPEG, 14 PNG, 27 BMP, 21 big-endian signed
 * integer, 0 implicit), a 4-byte locale (0), then the value. Freeform
 * items ('----') hold 'mean' (the domain, "com.apple.iTunes") and 'name'
 * before their 'data'.
 *
 * docs/m4a.md lists what is written and how loudness and gapless values
 * are encoded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mp4mux_internal.h"

/* Canonical key -> item type, the reader's text table read backwards. */
static const struct {
    const char *key;
    const char *item;
} text_items[] = {
    {"TITLE", "\xA9nam"},    {"ARTIST", "\xA9" "ART"}, {"ALBUM", "\xA9" "alb"},
    {"ALBUMARTIST", "aART"}, {"DATE", "\xA9" "day"},   {"GENRE", "\xA9" "gen"},
    {"COMMENT", "\xA9" "cmt"}, {"LYRICS", "\xA9" "lyr"}, {"COMPOSER", "\xA9" "wrt"},
    {"ENCODER", "\xA9too"},  {"COPYRIGHT", "cprt"},    {"GROUPING", "\xA9grp"},
    {"DESCRIPTION", "desc"},
};

/* Freeform names whose usual spelling is not the model's upper case: the
 * case MusicBrainz Picard, foobar2000 and iTunes write, so other readers
 * that compare names case-sensitively find them. Any other key is written
 * as the model holds it. */
static const struct {
    const char *key;
    const char *name;
} freeform_names[] = {
    {"MUSICBRAINZ TRACK ID", "MusicBrainz Track Id"},
    {"MUSICBRAINZ ALBUM ID", "MusicBrainz Album Id"},
    {"MUSICBRAINZ ARTIST ID", "MusicBrainz Artist Id"},
    {"MUSICBRAINZ ALBUM ARTIST ID", "MusicBrainz Album Artist Id"},
    {"MUSICBRAINZ RELEASE GROUP ID", "MusicBrainz Release Group Id"},
    {"MUSICBRAINZ RELEASE TRACK ID", "MusicBrainz Release Track Id"},
    {"MUSICBRAINZ WORK ID", "MusicBrainz Work Id"},
    {"ACOUSTID ID", "Acoustid Id"},
    {"REPLAYGAIN_TRACK_GAIN", "replaygain_track_gain"},
    {"REPLAYGAIN_TRACK_PEAK", "replaygain_track_peak"},
    {"REPLAYGAIN_ALBUM_GAIN", "replaygain_album_gain"},
    {"REPLAYGAIN_ALBUM_PEAK", "replaygain_album_peak"},
    {"ITUNNORM", "iTunNORM"},
};

typedef struct ilst_writer {
    mp4w_buf *b;
    const segue_metadata *m;
    segue_metadata *unmapped;
    segue_loudness l;
    int failed; /* out of memory in the unmapped list */
} ilst_writer;

static void note(ilst_writer *w, const char *what, const char *why)
{
    if (w->unmapped && segue_metadata_add_unmapped(w->unmapped, what, why) < 0)
        w->failed = 1;
}

static void data_atom(mp4w_buf *b, uint32_t well_known, const void *v, size_t n)
{
    size_t at = mp4w_begin(b, "data");
    mp4w_u32(b, well_known);
    mp4w_u32(b, 0); /* locale: any */
    mp4w_bytes(b, v, n);
    mp4w_end(b, at);
}

/* Whether `key` has a value that can be written (some are empty). */
static int has_text(const segue_metadata *m, const char *key)
{
    for (size_t i = 0; i < segue_metadata_count(m, key); i++) {
        const char *v = segue_metadata_get(m, key, i);
        if (v && *v)
            return 1;
    }
    return 0;
}

/* A text item: one UTF-8 data atom per non-empty value. */
static void text_item(ilst_writer *w, const char *item, const char *key)
{
    if (!has_text(w->m, key))
        return;
    size_t at = mp4w_begin(w->b, item);
    for (size_t i = 0; i < segue_metadata_count(w->m, key); i++) {
        const char *v = segue_metadata_get(w->m, key, i);
        if (v && *v)
            data_atom(w->b, 1, v, strlen(v));
    }
    mp4w_end(w->b, at);
}

static void freeform_text(mp4w_buf *b, const char *name, const char *const *values, size_t n)
{
    size_t at = mp4w_begin(b, "----");
    size_t mean = mp4w_begin_full(b, "mean", 0, 0);
    mp4w_bytes(b, "com.apple.iTunes", 16);
    mp4w_end(b, mean);
    size_t nm = mp4w_begin_full(b, "name", 0, 0);
    mp4w_bytes(b, name, strlen(name));
    mp4w_end(b, nm);
    for (size_t i = 0; i < n; i++)
        data_atom(b, 1, values[i], strlen(values[i]));
    mp4w_end(b, at);
}

/* ----:com.apple.iTunes:NAME with every non-empty value of `key`. */
static void freeform_item(ilst_writer *w, const char *key)
{
    if (!has_text(w->m, key))
        return;
    const char *name = key;
    for (size_t i = 0; i < sizeof freeform_names / sizeof freeform_names[0]; i++)
        if (strcmp(freeform_names[i].key, key) == 0)
            name = freeform_names[i].name;
    size_t at = mp4w_begin(w->b, "----");
    size_t mean = mp4w_begin_full(w->b, "mean", 0, 0);
    mp4w_bytes(w->b, "com.apple.iTunes", 16);
    mp4w_end(w->b, mean);
    size_t nm = mp4w_begin_full(w->b, "name", 0, 0);
    mp4w_bytes(w->b, name, strlen(name));
    mp4w_end(w->b, nm);
    for (size_t i = 0; i < segue_metadata_count(w->m, key); i++) {
        const char *v = segue_metadata_get(w->m, key, i);
        if (v && *v)
            data_atom(w->b, 1, v, strlen(v));
    }
    mp4w_end(w->b, at);
}

/* A positive decimal integer up to `max`, optionally followed by "/N" (the
 * ID3 "3/12" form). Returns 0 if `s` does not start with one. */
static int parse_count(const char *s, unsigned long max, unsigned long *no, unsigned long *total)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return 0;
    unsigned long v = strtoul(s, &end, 10);
    if (v > max)
        return 0;
    *no = v;
    if (*end == '/' && end[1] >= '0' && end[1] <= '9') {
        unsigned long t = strtoul(end + 1, &end, 10);
        if (t > max)
            return 0;
        if (total)
            *total = t;
    }
    return *end == '\0';
}

/* trkn / disk: 16 bits reserved, 16 bits number, 16 bits total (trkn has 16
 * more reserved bits), implicit type 0, as iTunes writes them. */
static void pair_item(ilst_writer *w, const char *item, const char *no_key, const char *total_key)
{
    unsigned long no = 0, total = 0;
    const char *nv = segue_metadata_get(w->m, no_key, 0);
    const char *tv = segue_metadata_get(w->m, total_key, 0);
    if (!nv && !tv)
        return;
    if (nv && !parse_count(nv, 65535, &no, &total)) {
        note(w, no_key, "mp4: not a number from 0 to 65535");
        no = 0;
    }
    if (tv) {
        unsigned long t;
        if (parse_count(tv, 65535, &t, NULL))
            total = t;
        else
            note(w, total_key, "mp4: not a number from 0 to 65535");
    }
    if (!no && !total)
        return;
    uint8_t v[8] = {0};
    v[2] = (uint8_t)(no >> 8);
    v[3] = (uint8_t)no;
    v[4] = (uint8_t)(total >> 8);
    v[5] = (uint8_t)total;
    size_t at = mp4w_begin(w->b, item);
    data_atom(w->b, 0, v, item[0] == 't' ? 8 : 6);
    mp4w_end(w->b, at);
}

/* cpil (1 byte) and tmpo (2 bytes), well-known type 21 (signed integer). */
static void int_item(ilst_writer *w, const char *item, const char *key, unsigned long max,
                     size_t width)
{
    const char *v = segue_metadata_get(w->m, key, 0);
    if (!v)
        return;
    unsigned long x;
    double d;
    char *end;
    if (strcmp(item, "cpil") == 0) {
        /* "1"/"0", also the "yes"/"no" some taggers write. */
        x = (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0);
        if (!x && strcmp(v, "0") != 0 && strcasecmp(v, "no") != 0 && strcasecmp(v, "false") != 0) {
            note(w, key, "mp4: cpil holds 1 or 0");
            return;
        }
    } else {
        /* BPM may be fractional ("120.5"): tmpo is an integer, rounded. */
        d = strtod(v, &end);
        if (end == v || *end || !(d >= 0.5 && d < (double)max + 0.5)) {
            note(w, key, "mp4: tmpo holds a whole number from 1 to 65535");
            return;
        }
        x = (unsigned long)lround(d);
    }
    uint8_t b[2] = {(uint8_t)(width == 2 ? x >> 8 : x), (uint8_t)x};
    size_t at = mp4w_begin(w->b, item);
    data_atom(w->b, 21, width == 2 ? b : b + 1, width);
    mp4w_end(w->b, at);
}

static void pictures(ilst_writer *w)
{
    size_t n = segue_metadata_picture_count(w->m), at = 0;
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        segue_picture pic;
        if (segue_metadata_picture_at(w->m, i, &pic) != SEGUE_OK || !pic.size)
            continue;
        const char *mime = pic.mime ? pic.mime : "";
        const uint8_t *d = pic.data;
        uint32_t type;
        /* The bytes decide over the MIME string: a reader sniffs type 0 but
         * trusts 13/14, so a mislabelled picture must not keep its label. */
        if (pic.size >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
            type = 13;
        else if (pic.size >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
            type = 14;
        else if (pic.size >= 2 && memcmp(d, "BM", 2) == 0 && strcmp(mime, "image/bmp") == 0)
            type = 27;
        else {
            note(w, "PICTURE", "mp4: covr holds JPEG, PNG or BMP pictures only");
            continue;
        }
        if (pic.size > 0xFFFFFFF0u) {
            note(w, "PICTURE", "mp4: picture larger than a box can hold");
            continue;
        }
        if (!open) {
            at = mp4w_begin(w->b, "covr");
            open = 1;
        }
        data_atom(w->b, type, pic.data, pic.size);
    }
    if (open)
        mp4w_end(w->b, at);
}

/* Fixed-point decimal without the locale's decimal separator. */
static int fixed(char *out, size_t cap, double x, int decimals, int plus, const char *unit)
{
    if (!isfinite(x) || fabs(x) > 1e9)
        return 0;
    long long scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    long long q = llround(fabs(x) * (double)scale);
    const char *sign = x < 0 && q ? "-" : plus ? "+" : "";
    int n = snprintf(out, cap, "%s%lld.%0*lld%s", sign, q / scale, decimals, q % scale, unit);
    return n > 0 && (size_t)n < cap;
}

static uint32_t clamp_u32(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 4294967295.0)
        return 0xFFFFFFFFu;
    return (uint32_t)llround(v);
}

/* The loudness record: ReplayGain 2.0 values under the freeform names
 * foobar2000 and rsgain use for MP4 ("replaygain_track_gain" "-6.50 dB",
 * peaks linear with 6 decimals), and iTunes Sound Check (iTunNORM) derived
 * from the track gain. iTunNORM is ten hex words: the gain as a power ratio
 * 10^(-gain/10) scaled by 1000 (words 1-2, left/right) and by 2500 (words
 * 3-4), two unused statistics words, the peak on a 32768 scale (words 7-8)
 * and two more unused words (the layout tools such as aacgain and mp3gain's
 * iTunes mode write; Apple does not document it). */
static void loudness(ilst_writer *w)
{
    const segue_loudness *l = &w->l;
    const struct {
        int has;
        double v;
        const char *name;
        int gain;
    } items[] = {
        {l->has_track_gain, l->track_gain_db, "replaygain_track_gain", 1},
        {l->has_track_peak, l->track_peak, "replaygain_track_peak", 0},
        {l->has_album_gain, l->album_gain_db, "replaygain_album_gain", 1},
        {l->has_album_peak, l->album_peak, "replaygain_album_peak", 0},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        char buf[64];
        if (!items[i].has)
            continue;
        if (!fixed(buf, sizeof buf, items[i].v, items[i].gain ? 2 : 6, items[i].gain,
                   items[i].gain ? " dB" : "")) {
            note(w, items[i].name, "mp4: value is not a finite number");
            continue;
        }
        const char *p = buf;
        freeform_text(w->b, items[i].name, &p, 1);
    }
    if (l->has_track_gain && isfinite(l->track_gain_db)) {
        double ratio = pow(10.0, -l->track_gain_db / 10.0);
        uint32_t a = clamp_u32(1000.0 * ratio), b = clamp_u32(2500.0 * ratio);
        uint32_t pk = l->has_track_peak && isfinite(l->track_peak) ? clamp_u32(l->track_peak * 32768.0) : 0;
        char norm[128];
        snprintf(norm, sizeof norm, " %08X %08X %08X %08X %08X %08X %08X %08X %08X %08X", a, a, b, b,
                 0u, 0u, pk, pk, 0u, 0u);
        const char *p = norm;
        freeform_text(w->b, "iTunNORM", &p, 1);
    }
    if (l->has_r128_track)
        note(w, "R128_TRACK_GAIN", "mp4: iTunes metadata has no R128 gain field");
    if (l->has_r128_album)
        note(w, "R128_ALBUM_GAIN", "mp4: iTunes metadata has no R128 gain field");
}

/* Keys the loudness record or the muxer writes themselves. */
static int key_superseded(const ilst_writer *w, const char *key)
{
    const segue_loudness *l = &w->l;
    if (strcmp(key, "ITUNNORM") == 0)
        return l->has_track_gain;
    return (strcmp(key, "REPLAYGAIN_TRACK_GAIN") == 0 && l->has_track_gain) ||
           (strcmp(key, "REPLAYGAIN_TRACK_PEAK") == 0 && l->has_track_peak) ||
           (strcmp(key, "REPLAYGAIN_ALBUM_GAIN") == 0 && l->has_album_gain) ||
           (strcmp(key, "REPLAYGAIN_ALBUM_PEAK") == 0 && l->has_album_peak);
}

/* 1 if field `index` is the first with its key (each key is one item). */
static int first_of_key(const segue_metadata *m, size_t index, const char *key)
{
    for (size_t i = 0; i < index; i++) {
        const char *k, *v;
        if (segue_metadata_field_at(m, i, &k, &v) == SEGUE_OK && strcmp(k, key) == 0)
            return 0;
    }
    return 1;
}

static void ilst_items(ilst_writer *w)
{
    const segue_metadata *m = w->m;
    int trkn = 0, disk = 0;
    for (size_t i = 0; i < segue_metadata_field_count(m); i++) {
        const char *key, *value;
        if (segue_metadata_field_at(m, i, &key, &value) != SEGUE_OK || !first_of_key(m, i, key))
            continue;
        if (strcmp(key, "ITUNSMPB") == 0) {
            note(w, key, "mp4: the source's gapless values; this file has its own iTunSMPB");
            continue;
        }
        if (key_superseded(w, key))
            continue;
        size_t t;
        for (t = 0; t < sizeof text_items / sizeof text_items[0]; t++)
            if (strcmp(text_items[t].key, key) == 0)
                break;
        if (t < sizeof text_items / sizeof text_items[0]) {
            text_item(w, text_items[t].item, key);
        } else if (strcmp(key, "TRACKNUMBER") == 0 || strcmp(key, "TRACKTOTAL") == 0) {
            if (!trkn++)
                pair_item(w, "trkn", "TRACKNUMBER", "TRACKTOTAL");
        } else if (strcmp(key, "DISCNUMBER") == 0 || strcmp(key, "DISCTOTAL") == 0) {
            if (!disk++)
                pair_item(w, "disk", "DISCNUMBER", "DISCTOTAL");
        } else if (strcmp(key, "COMPILATION") == 0) {
            int_item(w, "cpil", key, 1, 1);
        } else if (strcmp(key, "BPM") == 0) {
            int_item(w, "tmpo", key, 65535, 2);
        } else {
            freeform_item(w, key);
        }
    }
    pictures(w);
    loudness(w);
}

segue_status mp4w_udta(mp4w_buf *b, const segue_metadata *m, const mp4w_smpb *smpb,
                       segue_metadata *unmapped)
{
    ilst_writer w;
    memset(&w, 0, sizeof w);
    w.b = b;
    w.m = m;
    w.unmapped = unmapped;
    if (m)
        segue_metadata_get_loudness(m, &w.l);

    size_t udta = mp4w_begin(b, "udta");
    size_t meta = mp4w_begin_full(b, "meta", 0, 0);
    /* hdlr (14496-12 8.4.3): pre_defined, handler 'mdir', then what
     * iTunes puts in the reserved words (manufacturer 'appl'), empty name. */
    size_t hdlr = mp4w_begin_full(b, "hdlr", 0, 0);
    mp4w_u32(b, 0);
    mp4w_bytes(b, "mdirappl", 8);
    mp4w_zeros(b, 8);
    mp4w_u8(b, 0);
    mp4w_end(b, hdlr);
    size_t ilst = mp4w_begin(b, "ilst");
    if (m)
        ilst_items(&w);
    if (smpb && smpb->present) {
        /* iTunSMPB: twelve hex words; word 2 the priming, word 3 the
         * padding, word 4 (64 bits) the original length in frames. */
        char s[160];
        snprintf(s, sizeof s,
                 " 00000000 %08X %08X %016llX 00000000 00000000 00000000 00000000 00000000 "
                 "00000000 00000000 00000000",
                 smpb->delay, smpb->padding, (unsigned long long)smpb->length);
        const char *p = s;
        freeform_text(b, "iTunSMPB", &p, 1);
    }
    mp4w_end(b, ilst);
    mp4w_end(b, meta);
    mp4w_end(b, udta);
    if (w.failed)
        return SEGUE_ERR_NO_MEMORY;
    return SEGUE_OK;
}
