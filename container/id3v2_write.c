/*
 * container/id3v2_write.c - ID3v2.3 / ID3v2.4 writer (see id3v2_write.h for
 * the field mapping and the decisions).
 *
 * Clause references: [v2.3] "ID3 tag version 2.3.0", [v2.4-S] "ID3 tag
 * version 2.4.0 - Main Structure", [v2.4-F] "ID3 tag version 2.4.0 -
 * Native Frames", all from id3.org.
 */
#include "id3v2_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

/* [v2.4-S] 3.1: the tag size is a 28-bit syncsafe integer. */
#define TAG_SIZE_MAX 0x0FFFFFFFu

/* Text encodings ([v2.3] 3.3, [v2.4-S] 4.). */
enum { ENC_LATIN1 = 0, ENC_UTF16 = 1, ENC_UTF8 = 3 };

/* ---- growable output ------------------------------------------------------- */

typedef struct wbuf {
    const segue_allocator *a;
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static int wb_reserve(wbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra <= b->cap - b->len)
        return 1;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = segue_mem_realloc(b->a, b->p, b->cap, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void wb_put(wbuf *b, const void *d, size_t n)
{
    if (n && wb_reserve(b, n)) {
        memcpy(b->p + b->len, d, n);
        b->len += n;
    }
}

static void wb_byte(wbuf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    wb_put(b, &c, 1);
}

/* ---- UTF-8 in, frame encodings out ------------------------------------------- */

uint32_t segue_utf8_next(const char **s)
{
    const uint8_t *p = (const uint8_t *)*s;
    uint8_t c = p[0];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *s += 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 2, v = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        need = 3, v = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        need = 4, v = c & 0x07u, min = 0x10000;
    } else {
        *s += 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80) { /* also stops at the terminating NUL */
            *s += 1;
            return 0xFFFD;
        }
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *s += 1;
        return 0xFFFD;
    }
    *s += need;
    return v;
}

static int is_latin1(const char *s)
{
    while (*s)
        if (segue_utf8_next(&s) > 0xFF)
            return 0;
    return 1;
}

static void put_utf8(wbuf *b, uint32_t cp)
{
    uint8_t o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6)), o[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12)), o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        o[0] = (uint8_t)(0xF0 | (cp >> 18)), o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    wb_put(b, o, n);
}

static void put_u16le(wbuf *b, uint32_t u)
{
    wb_byte(b, u & 0xFF);
    wb_byte(b, (u >> 8) & 0xFF);
}

/* Writes `s` in `enc` without terminator. UTF-16 strings start with the
 * byte order mark when `bom` is set ([v2.3] 3.3: "Unicode strings must
 * begin with the Unicode BOM"); little-endian, as most writers use. */
static void put_text(wbuf *b, int enc, const char *s, int bom)
{
    if (enc == ENC_UTF16 && bom)
        put_u16le(b, 0xFEFF);
    while (*s) {
        uint32_t cp = segue_utf8_next(&s);
        if (enc == ENC_LATIN1) {
            wb_byte(b, cp <= 0xFF ? cp : '?');
        } else if (enc == ENC_UTF8) {
            put_utf8(b, cp);
        } else if (cp >= 0x10000) {
            cp -= 0x10000;
            put_u16le(b, 0xD800 + (cp >> 10));
            put_u16le(b, 0xDC00 + (cp & 0x3FF));
        } else {
            put_u16le(b, cp);
        }
    }
}

/* The string terminator of `enc`: $00 or $00 00 ([v2.4-S] 4.). */
static void put_term(wbuf *b, int enc)
{
    wb_byte(b, 0);
    if (enc == ENC_UTF16)
        wb_byte(b, 0);
}

/* ---- writer state ------------------------------------------------------------- */

typedef struct w_ctx {
    wbuf b;
    int version;                /* 3 or 4 */
    segue_metadata *unmapped;
    segue_error *err;
    segue_status st;            /* first failure */
    size_t frames;              /* frames written */
    char used[64][5];           /* frame ids written for a key (not TXXX/COMM/USLT/APIC) */
    size_t nused;
} w_ctx;

static void note_unmapped(w_ctx *w, const char *what, const char *reason)
{
    if (w->unmapped && w->st >= 0 &&
        segue_metadata_add_unmapped(w->unmapped, what, reason) == SEGUE_ERR_NO_MEMORY)
        w->st = segue_error_set(w->err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
}

/* The encoding for a set of strings: Latin-1 if all of them fit, else the
 * version's Unicode form. */
static int pick_enc(const w_ctx *w, const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] && !is_latin1(s[i]))
            return w->version == 3 ? ENC_UTF16 : ENC_UTF8;
    return ENC_LATIN1;
}

/* Opens a frame: id, size placeholder, flags $00 00 (no [v2.4-S] 4.1 flags).
 * Returns its start offset. */
static size_t frame_begin(w_ctx *w, const char *id)
{
    size_t start = w->b.len;
    uint8_t h[10] = {0};
    memcpy(h, id, 4);
    wb_put(&w->b, h, 10);
    return start;
}

/* Closes a frame: fills its size (v2.3 plain 32-bit, [v2.3] 3.3; v2.4
 * syncsafe, [v2.4-S] 4.). A frame that would not fit a 28-bit tag size is
 * removed and reported. */
static void frame_end(w_ctx *w, size_t start, const char *what)
{
    if (w->b.oom)
        return;
    size_t body = w->b.len - start - 10;
    if (body > TAG_SIZE_MAX - SEGUE_ID3V2_WRITE_PADDING || w->b.len > TAG_SIZE_MAX) {
        w->b.len = start;
        note_unmapped(w, what, "id3v2: value too large for a 256 MiB tag");
        return;
    }
    uint8_t *s = w->b.p + start + 4;
    uint32_t v = (uint32_t)body;
    if (w->version == 4) {
        s[0] = (uint8_t)((v >> 21) & 0x7F), s[1] = (uint8_t)((v >> 14) & 0x7F);
        s[2] = (uint8_t)((v >> 7) & 0x7F), s[3] = (uint8_t)(v & 0x7F);
    } else {
        s[0] = (uint8_t)(v >> 24), s[1] = (uint8_t)(v >> 16), s[2] = (uint8_t)(v >> 8), s[3] = (uint8_t)v;
    }
    w->frames++;
}

static int id_used(const w_ctx *w, const char *id)
{
    for (size_t i = 0; i < w->nused; i++)
        if (memcmp(w->used[i], id, 4) == 0)
            return 1;
    return 0;
}

static void mark_used(w_ctx *w, const char *id)
{
    if (w->nused < sizeof w->used / sizeof w->used[0])
        memcpy(w->used[w->nused++], id, 5);
}

/* A text information frame ([v2.4-F] 4.2 / [v2.3] 4.2.1) holding `n`
 * values: v2.4 separates them with the terminator; `join` (v2.3 people
 * frames) joins them with "/"; otherwise n must be 1. `escape_paren`
 * doubles a leading "(" ([v2.3] 4.2.1 TCON: a refinement starting with
 * "(" is written "(("). */
static void text_frame(w_ctx *w, const char *id, const char *const *v, size_t n, int join,
                       int escape_paren, const char *what)
{
    int enc = pick_enc(w, v, n);
    size_t start = frame_begin(w, id);
    wb_byte(&w->b, (unsigned)enc);
    for (size_t i = 0; i < n; i++) {
        if (i) {
            if (join)
                put_text(&w->b, enc, "/", 0);
            else
                put_term(&w->b, enc);
        }
        int bom = i == 0 || !join;
        if (escape_paren && v[i][0] == '(') {
            put_text(&w->b, enc, "(", bom);
            bom = 0;
        }
        put_text(&w->b, enc, v[i], bom);
    }
    frame_end(w, start, what);
}

/* TXXX ([v2.4-F] 4.2.6, [v2.3] 4.2.2): encoding, description, value(s). */
static void txxx_frame(w_ctx *w, const char *desc, const char *const *v, size_t n)
{
    const char *all[2] = {desc, NULL};
    int enc = pick_enc(w, all, 1);
    if (enc == ENC_LATIN1)
        enc = pick_enc(w, v, n);
    size_t start = frame_begin(w, "TXXX");
    wb_byte(&w->b, (unsigned)enc);
    put_text(&w->b, enc, desc, 1);
    put_term(&w->b, enc);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_term(&w->b, enc);
        put_text(&w->b, enc, v[i], 1);
    }
    frame_end(w, start, desc);
}

/* COMM / USLT ([v2.4-F] 4.10, 4.8): encoding, language, description, text. */
static void lang_frame(w_ctx *w, const char *id, const char *desc, const char *text,
                       const char *what)
{
    const char *s[2] = {desc, text};
    int enc = pick_enc(w, s, 2);
    size_t start = frame_begin(w, id);
    wb_byte(&w->b, (unsigned)enc);
    wb_put(&w->b, "eng", 3);
    put_text(&w->b, enc, desc, 1);
    put_term(&w->b, enc);
    put_text(&w->b, enc, text, 1);
    frame_end(w, start, what);
}

/* URL link frame ([v2.4-F] 4.3.1): ISO-8859-1 text, no encoding byte. */
static void url_frame(w_ctx *w, const char *id, const char *url)
{
    if (!is_latin1(url)) {
        note_unmapped(w, id, "id3v2: URL frames hold ISO-8859-1 only");
        return;
    }
    size_t start = frame_begin(w, id);
    put_text(&w->b, ENC_LATIN1, url, 0);
    frame_end(w, start, id);
}

/* ---- key mapping --------------------------------------------------------------- */

static const struct {
    const char *key;
    char id[5];
} canon_frames[] = {
    {"TITLE", "TIT2"},     {"ARTIST", "TPE1"},    {"ALBUM", "TALB"},  {"ALBUMARTIST", "TPE2"},
    {"COMPOSER", "TCOM"},  {"GENRE", "TCON"},     {"COPYRIGHT", "TCOP"}, {"ENCODER", "TSSE"},
    {"ISRC", "TSRC"},
};

/* Text frame ids a key may name directly: [v2.3] 4.2.1 and [v2.4-F] 4.2
 * (TXXX excluded), plus the iTunes frames TCMP/TSO2/TSOC that both
 * versions carry in practice. */
static const char v23_ids[] =
    "TALB TBPM TCOM TCON TCOP TDAT TDLY TENC TEXT TFLT TIME TIT1 TIT2 TIT3 TKEY TLAN TLEN "
    "TMED TOAL TOFN TOLY TOPE TORY TOWN TPE1 TPE2 TPE3 TPE4 TPOS TPUB TRCK TRDA TRSN TRSO "
    "TSIZ TSRC TSSE TYER TCMP TSO2 TSOC TSOA TSOP TSOT ";
static const char v24_ids[] =
    "TALB TBPM TCOM TCON TCOP TDEN TDLY TDOR TDRC TDRL TDTG TENC TEXT TFLT TIPL TIT1 TIT2 "
    "TIT3 TKEY TLAN TLEN TMCL TMED TMOO TOAL TOFN TOLY TOPE TOWN TPE1 TPE2 TPE3 TPE4 TPOS "
    "TPRO TPUB TRCK TRSN TRSO TSOA TSOP TSOT TSRC TSSE TSST TCMP TSO2 TSOC ";
/* URL link frames ([v2.4-F] 4.3.1, [v2.3] 4.3.1), WXXX excluded. */
static const char url_ids[] = "WCOM WCOP WOAF WOAR WOAS WORS WPAY WPUB ";

static int in_list(const char *list, const char *key)
{
    if (strlen(key) != 4)
        return 0;
    for (const char *p = list; *p; p += 5)
        if (memcmp(p, key, 4) == 0)
            return 1;
    return 0;
}

/* v2.3 people frames whose values are "/"-separated lists ([v2.3] 4.2.1). */
static int v23_list_frame(const char *id)
{
    return in_list("TPE1 TCOM TEXT TOLY TOPE ", id);
}

static int key_is(const char *key, const char *name) { return strcmp(key, name) == 0; }

/* Collects the non-empty values of `key` (at most `cap`) in one pass over
 * the fields (segue_metadata_get() per index would make a key with many
 * values quadratic). */
static size_t values_of(const segue_metadata *m, const char *key, const char **v, size_t cap)
{
    size_t n = 0, nf = segue_metadata_field_count(m);
    for (size_t i = 0; i < nf && n < cap; i++) {
        const char *k, *val;
        if (segue_metadata_field_at(m, i, &k, &val) == SEGUE_OK && strcmp(k, key) == 0 && *val)
            v[n++] = val;
    }
    return n;
}

/* Extra values: v2.3 puts each in its own TXXX described by the key. */
static void extra_values_v23(w_ctx *w, const char *key, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        txxx_frame(w, key, &v[i], 1);
}

/* A key mapped to text frame `id`, all its values. */
static void emit_text_key(w_ctx *w, const char *id, const char *key, const char *const *v,
                          size_t n)
{
    if (id_used(w, id)) {
        /* Two keys aiming at one frame (TITLE and a raw TIT2): the second
         * keeps its own name in TXXX rather than a second TIT2. */
        if (w->version == 4)
            txxx_frame(w, key, v, n);
        else
            extra_values_v23(w, key, v, n);
        return;
    }
    mark_used(w, id);
    int genre = strcmp(id, "TCON") == 0;
    if (w->version == 4) {
        text_frame(w, id, v, n, 0, 0, key);
    } else if (v23_list_frame(id)) {
        text_frame(w, id, v, n, 1, 0, key);
    } else {
        text_frame(w, id, v, 1, 0, genre, key);
        extra_values_v23(w, key, v + 1, n - 1);
    }
}

/* TRCK / TPOS "n/total" ([v2.4-F] 4.2.1). */
static void emit_pair(w_ctx *w, const segue_metadata *m, const char *id, const char *num_key,
                      const char *total_key)
{
    const char *num[8], *tot[8];
    size_t nn = values_of(m, num_key, num, 8), nt = values_of(m, total_key, tot, 8);
    if (!nn) {
        if (nt && w->version == 4)
            txxx_frame(w, total_key, tot, nt);
        else if (nt)
            extra_values_v23(w, total_key, tot, nt);
        return;
    }
    if (nn > 1)
        note_unmapped(w, num_key, "id3v2: one number per tag; extra value dropped");
    if (nt > 1)
        note_unmapped(w, total_key, "id3v2: one total per tag; extra value dropped");
    char buf[256];
    const char *val = num[0];
    if (nt && !strchr(num[0], '/')) {
        int len = snprintf(buf, sizeof buf, "%s/%s", num[0], tot[0]);
        if (len > 0 && (size_t)len < sizeof buf)
            val = buf;
    }
    mark_used(w, id);
    text_frame(w, id, &val, 1, 0, 0, num_key);
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* DATE. v2.4: TDRC as given ([v2.4-F] 4.2.5). v2.3: TYER holds "YYYY",
 * TDAT "DDMM", TIME "HHMM" ([v2.3] 4.2.1), taken from an ISO 8601 date
 * "YYYY[-MM-DD[THH:MM[:SS]]]"; a date in another form goes to TXXX DATE
 * whole. */
static void emit_date(w_ctx *w, const char *const *v, size_t n)
{
    if (w->version == 4) {
        mark_used(w, "TDRC");
        text_frame(w, "TDRC", v, n, 0, 0, "DATE");
        return;
    }
    const char *d = v[0];
    size_t len = strlen(d);
    if (len < 4 || !digits(d, 4) || (len > 4 && d[4] != '-')) {
        txxx_frame(w, "DATE", &d, 1);
    } else {
        char year[5], ddmm[5], hhmm[5];
        memcpy(year, d, 4);
        year[4] = 0;
        const char *p = year;
        mark_used(w, "TYER");
        text_frame(w, "TYER", &p, 1, 0, 0, "DATE");
        if (len >= 10 && digits(d + 5, 2) && d[7] == '-' && digits(d + 8, 2)) {
            ddmm[0] = d[8], ddmm[1] = d[9], ddmm[2] = d[5], ddmm[3] = d[6], ddmm[4] = 0;
            p = ddmm;
            mark_used(w, "TDAT");
            text_frame(w, "TDAT", &p, 1, 0, 0, "DATE");
            if (len >= 16 && (d[10] == 'T' || d[10] == ' ') && digits(d + 11, 2) && d[13] == ':' &&
                digits(d + 14, 2)) {
                hhmm[0] = d[11], hhmm[1] = d[12], hhmm[2] = d[14], hhmm[3] = d[15], hhmm[4] = 0;
                p = hhmm;
                mark_used(w, "TIME");
                text_frame(w, "TIME", &p, 1, 0, 0, "DATE");
                if (len > 16)
                    note_unmapped(w, "DATE", "id3v2: v2.3 TIME holds hours and minutes only");
            } else if (len > 10) {
                note_unmapped(w, "DATE", "id3v2: v2.3 date part after the day not written");
            }
        } else if (len > 4) {
            note_unmapped(w, "DATE", "id3v2: v2.3 TYER holds the year only");
        }
    }
    extra_values_v23(w, "DATE", v + 1, n - 1);
}

/* COMMENT / LYRICS: one COMM/USLT per value; the first with an empty
 * description, later ones "2", "3", ... ([v2.4-F] 4.10: one frame per
 * language and description). */
static void emit_lang(w_ctx *w, const char *id, const char *key, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char desc[24] = "";
        if (i)
            snprintf(desc, sizeof desc, "%zu", i + 1);
        lang_frame(w, id, desc, v[i], key);
    }
}

/* Fixed-point decimal without the locale's decimal separator. */
static int format_fixed(char *out, size_t cap, double x, int decimals, int plus, const char *unit)
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

/* ReplayGain 1.0 in TXXX, the names foobar2000, mp3gain and ffmpeg use. */
static void emit_loudness(w_ctx *w, const segue_metadata *m)
{
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    const struct {
        int has;
        double v;
        const char *name;
        int gain;
    } items[] = {
        {l.has_track_gain, l.track_gain_db, "REPLAYGAIN_TRACK_GAIN", 1},
        {l.has_track_peak, l.track_peak, "REPLAYGAIN_TRACK_PEAK", 0},
        {l.has_album_gain, l.album_gain_db, "REPLAYGAIN_ALBUM_GAIN", 1},
        {l.has_album_peak, l.album_peak, "REPLAYGAIN_ALBUM_PEAK", 0},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!items[i].has)
            continue;
        char buf[64];
        if (!format_fixed(buf, sizeof buf, items[i].v, items[i].gain ? 2 : 6, items[i].gain,
                          items[i].gain ? " dB" : "")) {
            note_unmapped(w, items[i].name, "id3v2: value is not a finite number");
            continue;
        }
        const char *p = buf;
        txxx_frame(w, items[i].name, &p, 1);
    }
    if (l.has_r128_track)
        note_unmapped(w, "R128_TRACK_GAIN", "id3v2: ID3 has no R128 gain field");
    if (l.has_r128_album)
        note_unmapped(w, "R128_ALBUM_GAIN", "id3v2: ID3 has no R128 gain field");
}

static const char *sniff_mime(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    return "image/";
}

/* APIC ([v2.4-F] 4.14, [v2.3] 4.15): encoding, MIME type (ISO-8859-1),
 * picture type, description, data. */
static void emit_picture(w_ctx *w, const segue_picture *pic)
{
    if (pic->size > TAG_SIZE_MAX - SEGUE_ID3V2_WRITE_PADDING - 512 ||
        w->b.len > TAG_SIZE_MAX - SEGUE_ID3V2_WRITE_PADDING - 512 - pic->size) {
        note_unmapped(w, "PICTURE", "id3v2: picture too large for a 256 MiB tag");
        return;
    }
    const char *mime = pic->mime && *pic->mime && is_latin1(pic->mime) && strlen(pic->mime) < 64
                           ? pic->mime
                           : sniff_mime(pic->data, pic->size);
    const char *desc = pic->description ? pic->description : "";
    int enc = pick_enc(w, &desc, 1);
    size_t start = frame_begin(w, "APIC");
    wb_byte(&w->b, (unsigned)enc);
    put_text(&w->b, ENC_LATIN1, mime, 0);
    wb_byte(&w->b, 0);
    /* Types are 0..20 ([v2.4-F] 4.14); anything else becomes "Other". */
    wb_byte(&w->b, pic->type <= 20 ? pic->type : 0);
    put_text(&w->b, enc, desc, 1);
    put_term(&w->b, enc);
    wb_put(&w->b, pic->data, pic->size);
    frame_end(w, start, "PICTURE");
}

/* True if field `index` is the first one with its key. */
static int first_of_key(const segue_metadata *m, size_t index, const char *key)
{
    for (size_t j = 0; j < index; j++) {
        const char *k;
        segue_metadata_field_at(m, j, &k, NULL);
        if (strcmp(k, key) == 0)
            return 0;
    }
    return 1;
}

static void emit_key(w_ctx *w, const segue_metadata *m, const char *key)
{
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    if (key_is(key, "TRACKNUMBER") ||
        (key_is(key, "TRACKTOTAL") && !segue_metadata_count(m, "TRACKNUMBER"))) {
        emit_pair(w, m, "TRCK", "TRACKNUMBER", "TRACKTOTAL");
        return;
    }
    if (key_is(key, "DISCNUMBER") ||
        (key_is(key, "DISCTOTAL") && !segue_metadata_count(m, "DISCNUMBER"))) {
        emit_pair(w, m, "TPOS", "DISCNUMBER", "DISCTOTAL");
        return;
    }
    if (key_is(key, "TRACKTOTAL") || key_is(key, "DISCTOTAL"))
        return; /* written with its number */
    if (strncmp(key, "ITUN", 4) == 0) {
        note_unmapped(w, key, "id3v2: iTunes gapless/normalisation values describe the source "
                              "encode; not copied");
        return;
    }
    if ((key_is(key, "REPLAYGAIN_TRACK_GAIN") && l.has_track_gain) ||
        (key_is(key, "REPLAYGAIN_TRACK_PEAK") && l.has_track_peak) ||
        (key_is(key, "REPLAYGAIN_ALBUM_GAIN") && l.has_album_gain) ||
        (key_is(key, "REPLAYGAIN_ALBUM_PEAK") && l.has_album_peak))
        return; /* the loudness record is written instead */

    size_t count = segue_metadata_count(m, key);
    if (!count)
        return;
    const char *stack[16];
    const char **v = stack;
    if (count > 16) {
        v = segue_mem_calloc(w->b.a, count, sizeof *v);
        if (!v) {
            w->st = segue_error_set(w->err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
            return;
        }
    }
    size_t n = values_of(m, key, v, count);
    if (n == 0) {
        /* only empty values: nothing to write */
    } else if (key_is(key, "DATE")) {
        emit_date(w, v, n);
    } else if (key_is(key, "COMMENT")) {
        emit_lang(w, "COMM", key, v, n);
    } else if (key_is(key, "LYRICS")) {
        emit_lang(w, "USLT", key, v, n);
    } else if (key_is(key, "TXXX")) {
        /* The reader's name for a TXXX whose description is not a usable
         * key: written back with an empty description. */
        if (w->version == 4)
            txxx_frame(w, "", v, n);
        else
            extra_values_v23(w, "", v, n);
    } else {
        const char *id = NULL;
        for (size_t i = 0; i < sizeof canon_frames / sizeof canon_frames[0]; i++)
            if (key_is(key, canon_frames[i].key))
                id = canon_frames[i].id;
        if (!id && in_list(w->version == 4 ? v24_ids : v23_ids, key))
            id = key;
        if (id) {
            emit_text_key(w, id, key, v, n);
        } else if (in_list(url_ids, key) && !id_used(w, key)) {
            mark_used(w, key);
            url_frame(w, key, v[0]);
            if (n > 1)
                note_unmapped(w, key, "id3v2: one URL per frame id written; extra value dropped");
        } else if (w->version == 4) {
            txxx_frame(w, key, v, n);
        } else {
            extra_values_v23(w, key, v, n);
        }
    }
    if (v != stack)
        segue_mem_free(w->b.a, v);
}

/* Renders the tag; `fixed` > 0 pads it to exactly that many bytes. */
static segue_status render(const segue_metadata *m, int version, segue_metadata *unmapped,
                           const segue_allocator *a, size_t fixed, uint8_t **out, size_t *size,
                           segue_error *err)
{
    if (!out || !size)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "id3v2: no output pointers");
    *out = NULL;
    *size = 0;
    if (version != 3 && version != 4)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "id3v2: version 2.%d cannot be written (3 or 4)", version);
    if (!m)
        return SEGUE_OK;
    w_ctx w;
    memset(&w, 0, sizeof w);
    w.b.a = segue_allocator_or_default(a);
    w.version = version;
    w.unmapped = unmapped;
    w.err = err;

    /* [v2.4-S] 3.1 header: "ID3", version, revision 0, flags 0 (no
     * unsynchronisation, no extended header, not experimental, no footer),
     * size filled in at the end. */
    uint8_t hdr[10] = {'I', 'D', '3', (uint8_t)version, 0, 0, 0, 0, 0, 0};
    wb_put(&w.b, hdr, sizeof hdr);

    size_t nf = segue_metadata_field_count(m);
    for (size_t i = 0; i < nf && w.st >= 0 && !w.b.oom; i++) {
        const char *key;
        if (segue_metadata_field_at(m, i, &key, NULL) < 0 || !first_of_key(m, i, key))
            continue;
        emit_key(&w, m, key);
    }
    if (w.st >= 0 && !w.b.oom)
        emit_loudness(&w, m);
    size_t np = segue_metadata_picture_count(m);
    for (size_t i = 0; i < np && w.st >= 0 && !w.b.oom; i++) {
        segue_picture pic;
        if (segue_metadata_picture_at(m, i, &pic) == SEGUE_OK)
            emit_picture(&w, &pic);
    }
    if (w.st >= 0 && w.b.oom)
        w.st = segue_error_set(err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory building the tag");
    if (w.st >= 0 && w.frames == 0) {
        segue_mem_free(w.b.a, w.b.p);
        return SEGUE_OK;
    }
    if (w.st >= 0) {
        /* [v2.4-S] 3.3 padding: zeros after the last frame, counted in the
         * tag size. */
        size_t pad = SEGUE_ID3V2_WRITE_PADDING;
        if (fixed) {
            if (w.b.len > fixed) {
                segue_mem_free(w.b.a, w.b.p);
                return segue_error_set(err, SEGUE_ERR_TOO_LARGE,
                                       "id3v2: the final tag takes %zu bytes, %zu were reserved",
                                       w.b.len, fixed);
            }
            pad = fixed - w.b.len;
        }
        if (wb_reserve(&w.b, pad)) {
            memset(w.b.p + w.b.len, 0, pad);
            w.b.len += pad;
        } else {
            w.st = segue_error_set(err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory building the tag");
        }
    }
    if (w.st >= 0 && w.b.len - 10 > TAG_SIZE_MAX)
        w.st = segue_error_set(err, SEGUE_ERR_TOO_LARGE, "id3v2: tag of %zu bytes exceeds 256 MiB",
                               w.b.len);
    if (w.st < 0) {
        segue_mem_free(w.b.a, w.b.p);
        return w.st;
    }
    uint32_t body = (uint32_t)(w.b.len - 10);
    w.b.p[6] = (uint8_t)((body >> 21) & 0x7F);
    w.b.p[7] = (uint8_t)((body >> 14) & 0x7F);
    w.b.p[8] = (uint8_t)((body >> 7) & 0x7F);
    w.b.p[9] = (uint8_t)(body & 0x7F);
    *out = w.b.p;
    *size = w.b.len;
    return SEGUE_OK;
}

segue_status segue_id3v2_write(const segue_metadata *m, int version, segue_metadata *unmapped,
                               const segue_allocator *a, uint8_t **out, size_t *size,
                               segue_error *err)
{
    return render(m, version, unmapped, a, 0, out, size, err);
}

segue_status segue_id3v2_write_fixed(const segue_metadata *m, int version, size_t fixed_size,
                                     segue_metadata *unmapped, const segue_allocator *a,
                                     uint8_t **out, segue_error *err)
{
    size_t size = 0;
    if (!out)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "id3v2: no output pointer");
    *out = NULL;
    if (fixed_size < 10 || fixed_size - 10 > TAG_SIZE_MAX)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "id3v2: fixed size %zu", fixed_size);
    segue_status st = render(m, version, unmapped, a, fixed_size, out, &size, err);
    if (st < 0)
        return st;
    if (!*out) {
        /* Nothing to carry: a tag of padding alone, still a valid tag
         * ([v2.4-S] 3.3 allows padding after zero frames). */
        *out = segue_mem_calloc(segue_allocator_or_default(a), 1, fixed_size);
        if (!*out)
            return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
        memcpy(*out, "ID3", 3);
        (*out)[3] = (uint8_t)version;
        size_t body = fixed_size - 10;
        (*out)[6] = (uint8_t)((body >> 21) & 0x7F);
        (*out)[7] = (uint8_t)((body >> 14) & 0x7F);
        (*out)[8] = (uint8_t)((body >> 7) & 0x7F);
        (*out)[9] = (uint8_t)(body & 0x7F);
    }
    return SEGUE_OK;
}
