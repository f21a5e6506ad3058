/*
 * container/id3v2.c - ID3v2.2/2.3/2.4 reader (see id3v2.h).
 *
 * Clause references: [v2.2] "ID3 tag version 2", [v2.3] "ID3 tag version
 * 2.3.0", [v2.4-S] "ID3 tag version 2.4.0 - Main Structure", [v2.4-F]
 * "ID3 tag version 2.4.0 - Native Frames", all from id3.org.
 *
 * Robustness rules: the tag is untrusted. Every size is compared with the
 * bytes that remain before it is used; structural damage (a frame that
 * claims more bytes than the tag has, an invalid frame id) stops the parse
 * with SEGUE_ERR_CORRUPT, damage inside one frame (an unknown text encoding)
 * skips that frame and is reported at the end, so the caller gets every
 * field that could be read plus a status that says the tag was not clean.
 */
#include "id3v2.h"

#include <string.h>

#include "core/alloc.h"
#include "core/reader.h"

/* ---- text helpers ----------------------------------------------------------- */

/* Writes code point `cp` as UTF-8; returns the byte count (1..4). */
static size_t utf8_put(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one UTF-8 sequence at p (len > 0 bytes available). Returns its
 * length and sets *cp, or returns 0 for an invalid sequence (overlong forms,
 * surrogates and values past U+10FFFF are invalid, RFC 3629 section 3). */
static size_t utf8_get(const uint8_t *p, size_t len, uint32_t *cp)
{
    uint8_t b = p[0];
    size_t need;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if ((b & 0xE0) == 0xC0) {
        need = 2, v = b & 0x1Fu, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        need = 3, v = b & 0x0Fu, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        need = 4, v = b & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need;
}

static int utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_get(p + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* ID3v2 text encodings ([v2.4-S] 4. / [v2.3] 3.3). */
enum {
    ENC_LATIN1 = 0,
    ENC_UTF16_BOM = 1,
    ENC_UTF16BE = 2,
    ENC_UTF8 = 3
};

/* Converts `len` bytes of text in `enc` to a NUL-terminated UTF-8 string
 * allocated from `a` (*out; free with segue_mem_free). NUL code points are
 * dropped, invalid sequences become U+FFFD. The output is at most 3 bytes per
 * input byte (Latin-1: 2, UTF-16: 3 per unit, invalid UTF-8: 3 per byte). */
static segue_status text_to_utf8(const segue_allocator *a, unsigned enc, const uint8_t *p,
                                 size_t len, char **out)
{
    *out = NULL;
    if (len > (SIZE_MAX - 1) / 3)
        return SEGUE_ERR_NO_MEMORY;
    uint8_t *dst = segue_mem_alloc(a, len * 3 + 1);
    if (!dst)
        return SEGUE_ERR_NO_MEMORY;
    size_t o = 0;
    if (enc == ENC_LATIN1) {
        for (size_t i = 0; i < len; i++)
            if (p[i])
                o += utf8_put(dst + o, p[i]);
    } else if (enc == ENC_UTF8) {
        size_t i = 0;
        while (i < len) {
            uint32_t cp;
            size_t n = utf8_get(p + i, len - i, &cp);
            if (n == 0) {
                o += utf8_put(dst + o, 0xFFFD);
                i++;
                continue;
            }
            if (cp)
                o += utf8_put(dst + o, cp);
            i += n;
        }
    } else {
        /* UTF-16: encoding 1 starts with a byte order mark; without one
         * (a common writer bug) guess from where the zero byte of an ASCII
         * character sits. Encoding 2 is big-endian without BOM. */
        int big = 1;
        size_t i = 0;
        if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
            i = 2;
        } else if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
            big = 0;
            i = 2;
        } else if (enc == ENC_UTF16_BOM) {
            big = len >= 2 && p[0] == 0 && p[1] != 0;
        }
        while (i + 1 < len) {
            uint32_t u = big ? (uint32_t)((p[i] << 8) | p[i + 1]) : (uint32_t)(p[i] | (p[i + 1] << 8));
            i += 2;
            uint32_t cp = u;
            if (u >= 0xD800 && u <= 0xDBFF) {
                cp = 0xFFFD;
                if (i + 1 < len) {
                    uint32_t lo = big ? (uint32_t)((p[i] << 8) | p[i + 1])
                                      : (uint32_t)(p[i] | (p[i + 1] << 8));
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        i += 2;
                    }
                }
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                cp = 0xFFFD;
            } else if (u == 0xFEFF) {
                continue; /* a stray BOM inside the text */
            }
            if (cp)
                o += utf8_put(dst + o, cp);
        }
    }
    dst[o] = 0;
    *out = (char *)dst;
    return SEGUE_OK;
}

/* Length of the terminated string at p in encoding `enc` (without its
 * terminator); *next gets the offset just past the terminator, or len when
 * the string runs to the end. UTF-16 terminators are two zero bytes on a
 * code-unit boundary ([v2.4-S] 4.). */
static size_t string_span(unsigned enc, const uint8_t *p, size_t len, size_t *next)
{
    if (enc == ENC_UTF16_BOM || enc == ENC_UTF16BE) {
        for (size_t i = 0; i + 1 < len; i += 2) {
            if (p[i] == 0 && p[i + 1] == 0) {
                *next = i + 2;
                return i;
            }
        }
        *next = len;
        return len;
    }
    const uint8_t *z = len ? memchr(p, 0, len) : NULL;
    if (z) {
        *next = (size_t)(z - p) + 1;
        return (size_t)(z - p);
    }
    *next = len;
    return len;
}

/* True if `key` already holds exactly `value`: a file carrying the same
 * field twice (AIFF NAME plus an ID3 TIT2, RIFF INFO plus an id3 chunk, as
 * ffmpeg writes) should not produce two identical values. */
static int has_pair(const segue_metadata *m, const char *key, const char *value)
{
    size_t n = segue_metadata_count(m, key);
    for (size_t i = 0; i < n; i++)
        if (strcmp(segue_metadata_get(m, key, i), value) == 0)
            return 1;
    return 0;
}

segue_status segue_tag_add_text(segue_metadata *m, const char *key, const uint8_t *text,
                                size_t len, const segue_allocator *a)
{
    const uint8_t *z = len ? memchr(text, 0, len) : NULL;
    if (z)
        len = (size_t)(z - text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
                   text[len - 1] == '\n'))
        len--;
    if (!len)
        return SEGUE_OK;
    char *value;
    segue_status st;
    if (utf8_valid(text, len)) {
        value = segue_mem_strndup(a, (const char *)text, len);
        if (!value)
            return SEGUE_ERR_NO_MEMORY;
    } else {
        st = text_to_utf8(a, ENC_LATIN1, text, len, &value);
        if (st < 0)
            return st;
    }
    st = has_pair(m, key, value) ? SEGUE_OK : segue_metadata_add(m, key, value);
    segue_mem_free(a, value);
    return st;
}

/* ---- genres ------------------------------------------------------------------ */

/* ID3v1 genres 0..79 (the original list) and the Winamp extensions 80..147,
 * as later ID3v2 readers resolve "(n)" references. 133 is given in the
 * neutral spelling most current taggers use. */
static const char *const genre_names[] = {
    "Blues", "Classic Rock", "Country", "Dance", "Disco", "Funk", "Grunge", "Hip-Hop",
    "Jazz", "Metal", "New Age", "Oldies", "Other", "Pop", "R&B", "Rap",
    "Reggae", "Rock", "Techno", "Industrial", "Alternative", "Ska", "Death Metal", "Pranks",
    "Soundtrack", "Euro-Techno", "Ambient", "Trip-Hop", "Vocal", "Jazz+Funk", "Fusion", "Trance",
    "Classical", "Instrumental", "Acid", "House", "Game", "Sound Clip", "Gospel", "Noise",
    "Alternative Rock", "Bass", "Soul", "Punk", "Space", "Meditative", "Instrumental Pop",
    "Instrumental Rock", "Ethnic", "Gothic", "Darkwave", "Techno-Industrial", "Electronic",
    "Pop-Folk", "Eurodance", "Dream", "Southern Rock", "Comedy", "Cult", "Gangsta", "Top 40",
    "Christian Rap", "Pop/Funk", "Jungle", "Native American", "Cabaret", "New Wave",
    "Psychedelic", "Rave", "Showtunes", "Trailer", "Lo-Fi", "Tribal", "Acid Punk", "Acid Jazz",
    "Polka", "Retro", "Musical", "Rock & Roll", "Hard Rock",
    /* Winamp extensions */
    "Folk", "Folk-Rock", "National Folk", "Swing", "Fast Fusion", "Bebop", "Latin", "Revival",
    "Celtic", "Bluegrass", "Avantgarde", "Gothic Rock", "Progressive Rock", "Psychedelic Rock",
    "Symphonic Rock", "Slow Rock", "Big Band", "Chorus", "Easy Listening", "Acoustic", "Humour",
    "Speech", "Chanson", "Opera", "Chamber Music", "Sonata", "Symphony", "Booty Bass", "Primus",
    "Porn Groove", "Satire", "Slow Jam", "Club", "Tango", "Samba", "Folklore", "Ballad",
    "Power Ballad", "Rhythmic Soul", "Freestyle", "Duet", "Punk Rock", "Drum Solo", "A Cappella",
    "Euro-House", "Dance Hall", "Goa", "Drum & Bass", "Club-House", "Hardcore", "Terror",
    "Indie", "BritPop", "Afro-Punk", "Polsk Punk", "Beat", "Christian Gangsta Rap",
    "Heavy Metal", "Black Metal", "Crossover", "Contemporary Christian", "Christian Rock",
    "Merengue", "Salsa", "Thrash Metal", "Anime", "JPop", "Synthpop"};

const char *segue_id3v1_genre_name(unsigned index)
{
    return index < sizeof genre_names / sizeof genre_names[0] ? genre_names[index] : NULL;
}

/* ---- parser state ----------------------------------------------------------------- */

typedef struct id3_ctx {
    segue_metadata *m;
    const segue_allocator *a;
    segue_error *err;
    unsigned major;         /* 2, 3 or 4 */
    segue_status deferred;  /* first damage inside a frame; reported at the end */
} id3_ctx;

/* Records damage inside one frame: the frame is skipped, the parse goes on. */
#define FRAME_DAMAGE(c, ...)                                                 \
    do {                                                                     \
        segue_status damage_ = segue_error_set((c)->err, SEGUE_ERR_CORRUPT, __VA_ARGS__); \
        if ((c)->deferred >= 0)                                              \
            (c)->deferred = damage_;                                         \
    } while (0)

static int ascii_equal_nocase(const char *x, const char *y)
{
    for (;; x++, y++) {
        char cx = *x, cy = *y;
        if (cx >= 'a' && cx <= 'z')
            cx = (char)(cx - 'a' + 'A');
        if (cy >= 'a' && cy <= 'z')
            cy = (char)(cy - 'a' + 'A');
        if (cx != cy)
            return 0;
        if (!cx)
            return 1;
    }
}

/* Keys of the metadata model are printable ASCII without '=' (a Vorbis
 * comment restriction the model adopts). */
static int usable_key(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E || *s == '=')
            return 0;
    return 1;
}

static segue_status add_value(id3_ctx *c, const char *key, const char *value)
{
    if (!*value || has_pair(c->m, key, value))
        return SEGUE_OK;
    segue_status st = segue_metadata_add(c->m, key, value);
    if (st == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(c->err, st, "id3v2: out of memory adding %s", key);
    return st < 0 ? SEGUE_OK : st;
}

static segue_status add_unmapped(id3_ctx *c, const char *what, const char *reason)
{
    segue_status st = segue_metadata_add_unmapped(c->m, what, reason);
    if (st == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(c->err, st, "id3v2: out of memory");
    return SEGUE_OK;
}

/* Adds the substring [s, s+len) trimmed of spaces. */
static segue_status add_trimmed(id3_ctx *c, const char *key, const char *s, size_t len)
{
    while (len && *s == ' ')
        s++, len--;
    while (len && s[len - 1] == ' ')
        len--;
    if (!len)
        return SEGUE_OK;
    char *v = segue_mem_strndup(c->a, s, len);
    if (!v)
        return segue_error_set(c->err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
    segue_status st = add_value(c, key, v);
    segue_mem_free(c->a, v);
    return st;
}

/* "n/m" in TRCK and TPOS ([v2.4-F] 4.2.1) -> number and total. */
static segue_status add_number_pair(id3_ctx *c, const char *num_key, const char *total_key,
                                    const char *v)
{
    const char *slash = strchr(v, '/');
    if (!slash)
        return add_trimmed(c, num_key, v, strlen(v));
    segue_status st = add_trimmed(c, num_key, v, (size_t)(slash - v));
    if (st < 0)
        return st;
    return add_trimmed(c, total_key, slash + 1, strlen(slash + 1));
}

/* Parses an unsigned decimal of 1..3 digits in [s, s+len); -1 if it is not. */
static int small_number(const char *s, size_t len)
{
    if (len == 0 || len > 3)
        return -1;
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (s[i] - '0');
    }
    return n;
}

/* TCON ([v2.3] 4.2.1 TCON, [v2.4-F] 4.2.3): v2.3 writes references as
 * "(17)", possibly several and followed by a refinement "(17)Rock & Roll";
 * "(RX)" and "(CR)" mean Remix and Cover; "((" escapes a literal '('. v2.4
 * writes the bare number "17" as one of the NUL-separated values. */
static segue_status add_genre(id3_ctx *c, const char *v)
{
    int whole = small_number(v, strlen(v));
    if (whole >= 0) {
        const char *name = segue_id3v1_genre_name((unsigned)whole);
        return add_value(c, "GENRE", name ? name : v);
    }
    const char *s = v;
    const char *last = NULL;
    segue_status st;
    while (s[0] == '(' && s[1] != '(') {
        const char *close = strchr(s, ')');
        if (!close)
            break;
        size_t inner = (size_t)(close - s - 1);
        int n = small_number(s + 1, inner);
        const char *name = NULL;
        if (n >= 0)
            name = segue_id3v1_genre_name((unsigned)n);
        else if (inner == 2 && s[1] == 'R' && s[2] == 'X')
            name = "Remix";
        else if (inner == 2 && s[1] == 'C' && s[2] == 'R')
            name = "Cover";
        if (!name)
            break;
        if ((st = add_value(c, "GENRE", name)) < 0)
            return st;
        last = name;
        s = close + 1;
    }
    if (s[0] == '(' && s[1] == '(')
        s++;
    if (*s && (!last || strcmp(last, s) != 0))
        return add_value(c, "GENRE", s);
    return SEGUE_OK;
}

/* Parses "[-+]digits[.digits]" followed by anything (" dB"); 0 if no digit. */
static int parse_decimal(const char *s, double *out)
{
    while (*s == ' ')
        s++;
    double sign = 1.0;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1.0 : 1.0;
    double v = 0.0, scale = 1.0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 32; s++, digits++)
        v = v * 10.0 + (double)(*s - '0');
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9' && digits < 32; s++, digits++) {
            scale /= 10.0;
            v += scale * (double)(*s - '0');
        }
    }
    if (!digits)
        return 0;
    *out = sign * v;
    return 1;
}

/* ReplayGain in TXXX (the ReplayGain 1.0 tag names used by foobar2000, mp3gain
 * and ffmpeg) goes to the loudness record instead of a text field. Returns 1
 * if `key` was one of them and its value parsed. */
static int take_replaygain(id3_ctx *c, const char *key, const char *value)
{
    double v;
    return parse_decimal(value, &v) && segue_tag_set_replaygain(c->m, key, v);
}

int segue_tag_take_replaygain_text(segue_metadata *m, const char *key, const char *value)
{
    double v;
    return parse_decimal(value, &v) && segue_tag_set_replaygain(m, key, v);
}

int segue_tag_set_replaygain(segue_metadata *m, const char *key, double value)
{
    static const char *const names[] = {"REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK",
                                        "REPLAYGAIN_ALBUM_GAIN", "REPLAYGAIN_ALBUM_PEAK"};
    for (int i = 0; i < 4; i++) {
        if (!ascii_equal_nocase(key, names[i]))
            continue;
        segue_loudness l;
        segue_metadata_get_loudness(m, &l);
        switch (i) {
        case 0: l.has_track_gain = 1, l.track_gain_db = value; break;
        case 1: l.has_track_peak = 1, l.track_peak = value; break;
        case 2: l.has_album_gain = 1, l.album_gain_db = value; break;
        default: l.has_album_peak = 1, l.album_peak = value; break;
        }
        segue_metadata_set_loudness(m, &l);
        return 1;
    }
    return 0;
}

/* ---- frames ------------------------------------------------------------------------ */

typedef enum text_kind { TEXT_PLAIN, TEXT_TRACK, TEXT_DISC, TEXT_GENRE } text_kind;

/* Text frames with a canonical key ([v2.4-F] 4.2, [v2.3] 4.2.1). */
static const struct {
    char id[5];
    const char *key;
    text_kind kind;
} text_frames[] = {
    {"TIT2", "TITLE", TEXT_PLAIN},       {"TPE1", "ARTIST", TEXT_PLAIN},
    {"TALB", "ALBUM", TEXT_PLAIN},       {"TPE2", "ALBUMARTIST", TEXT_PLAIN},
    {"TRCK", "TRACKNUMBER", TEXT_TRACK}, {"TPOS", "DISCNUMBER", TEXT_DISC},
    {"TYER", "DATE", TEXT_PLAIN},        {"TDRC", "DATE", TEXT_PLAIN},
    {"TCON", "GENRE", TEXT_GENRE},       {"TCOM", "COMPOSER", TEXT_PLAIN},
    {"TCOP", "COPYRIGHT", TEXT_PLAIN},   {"TSSE", "ENCODER", TEXT_PLAIN},
    {"TSRC", "ISRC", TEXT_PLAIN},
};

/* v2.2 three-character ids of the frames handled here, and their v2.3 names
 * ([v2.2] 4.). Other v2.2 frames keep their three-character id. */
static const struct {
    char v22[4];
    char v23[5];
} v22_ids[] = {
    {"TT2", "TIT2"}, {"TP1", "TPE1"}, {"TAL", "TALB"}, {"TP2", "TPE2"}, {"TRK", "TRCK"},
    {"TPA", "TPOS"}, {"TYE", "TYER"}, {"TCO", "TCON"}, {"TCM", "TCOM"}, {"TCR", "TCOP"},
    {"TSS", "TSSE"}, {"TRC", "TSRC"}, {"TXX", "TXXX"}, {"COM", "COMM"}, {"ULT", "USLT"},
    {"WXX", "WXXX"},
};

static segue_status text_frame(id3_ctx *c, const char *id, const uint8_t *d, size_t n)
{
    if (n == 0)
        return SEGUE_OK;
    unsigned enc = d[0];
    if (enc > ENC_UTF8) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' has unknown text encoding %u", id, enc);
        return SEGUE_OK;
    }
    const char *key = id;
    text_kind kind = TEXT_PLAIN;
    for (size_t i = 0; i < sizeof text_frames / sizeof text_frames[0]; i++) {
        if (strcmp(text_frames[i].id, id) == 0) {
            key = text_frames[i].key;
            kind = text_frames[i].kind;
            break;
        }
    }
    /* v2.4 separates multiple values with the encoding's terminator
     * ([v2.4-F] 4.2); a v2.3 value usually just ends with one. */
    const uint8_t *p = d + 1;
    size_t len = n - 1, off = 0;
    while (off < len) {
        size_t next;
        size_t slen = string_span(enc, p + off, len - off, &next);
        char *v;
        segue_status st = text_to_utf8(c->a, enc, p + off, slen, &v);
        if (st < 0)
            return segue_error_set(c->err, st, "id3v2: out of memory");
        switch (kind) {
        case TEXT_TRACK: st = add_number_pair(c, "TRACKNUMBER", "TRACKTOTAL", v); break;
        case TEXT_DISC: st = add_number_pair(c, "DISCNUMBER", "DISCTOTAL", v); break;
        case TEXT_GENRE: st = add_genre(c, v); break;
        default: st = add_value(c, key, v); break;
        }
        segue_mem_free(c->a, v);
        if (st < 0)
            return st;
        off += next;
    }
    return SEGUE_OK;
}

/* TXXX ([v2.4-F] 4.2.6): encoding, description, value(s). The description
 * becomes the key. */
static segue_status txxx_frame(id3_ctx *c, const uint8_t *d, size_t n)
{
    if (n == 0)
        return SEGUE_OK;
    unsigned enc = d[0];
    if (enc > ENC_UTF8) {
        FRAME_DAMAGE(c, "id3v2: frame 'TXXX' has unknown text encoding %u", enc);
        return SEGUE_OK;
    }
    size_t next;
    size_t dlen = string_span(enc, d + 1, n - 1, &next);
    char *desc;
    segue_status st = text_to_utf8(c->a, enc, d + 1, dlen, &desc);
    if (st < 0)
        return segue_error_set(c->err, st, "id3v2: out of memory");
    const char *key = usable_key(desc) ? desc : "TXXX";
    const uint8_t *p = d + 1 + next;
    size_t len = n - 1 - next, off = 0;
    while (off < len && st >= 0) {
        size_t vnext;
        size_t vlen = string_span(enc, p + off, len - off, &vnext);
        char *v;
        st = text_to_utf8(c->a, enc, p + off, vlen, &v);
        if (st < 0) {
            st = segue_error_set(c->err, st, "id3v2: out of memory");
            break;
        }
        if (!take_replaygain(c, key, v))
            st = add_value(c, key, v);
        segue_mem_free(c->a, v);
        off += vnext;
    }
    segue_mem_free(c->a, desc);
    return st;
}

/* COMM and USLT ([v2.4-F] 4.10, 4.8): encoding, language[3], description,
 * text. A comment with an empty description is COMMENT; iTunes keeps machine
 * values in comments described "iTunNORM", "iTunSMPB" (gapless info the MP3
 * container reads) and so on, and those keep their description as key. Other
 * described comments are still comments. */
static segue_status comment_frame(id3_ctx *c, const char *id, const char *key, const uint8_t *d,
                                  size_t n)
{
    if (n < 4) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' is %zu bytes, need at least 4", id, n);
        return SEGUE_OK;
    }
    unsigned enc = d[0];
    if (enc > ENC_UTF8) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' has unknown text encoding %u", id, enc);
        return SEGUE_OK;
    }
    size_t next;
    size_t dlen = string_span(enc, d + 4, n - 4, &next);
    const uint8_t *text = d + 4 + next;
    size_t tnext, tlen = string_span(enc, text, n - 4 - next, &tnext);
    char *desc = NULL, *value = NULL;
    segue_status st = text_to_utf8(c->a, enc, d + 4, dlen, &desc);
    if (st >= 0)
        st = text_to_utf8(c->a, enc, text, tlen, &value);
    if (st < 0) {
        segue_mem_free(c->a, desc);
        return segue_error_set(c->err, st, "id3v2: out of memory");
    }
    if (strcmp(key, "COMMENT") == 0 && strncmp(desc, "iTun", 4) == 0 && usable_key(desc))
        key = desc;
    st = add_value(c, key, value);
    segue_mem_free(c->a, desc);
    segue_mem_free(c->a, value);
    return st;
}

/* Sniffs an image type when a picture frame gives no usable MIME type. */
static const char *mime_from_magic(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    return "image/";
}

/* APIC ([v2.4-F] 4.14): encoding, MIME type (Latin-1), picture type,
 * description, data. PIC ([v2.2] 4.15): encoding, 3-char image format, type,
 * description, data. */
static segue_status picture_frame(id3_ctx *c, const char *id, const uint8_t *d, size_t n)
{
    int v22 = c->major == 2;
    if (n < (v22 ? 6u : 4u)) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' is %zu bytes, too short for a picture", id, n);
        return SEGUE_OK;
    }
    unsigned enc = d[0];
    if (enc > ENC_UTF8) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' has unknown text encoding %u", id, enc);
        return SEGUE_OK;
    }
    char mime[64];
    size_t pos;
    if (v22) {
        const char *m = "image/";
        if (memcmp(d + 1, "JPG", 3) == 0 || memcmp(d + 1, "jpg", 3) == 0)
            m = "image/jpeg";
        else if (memcmp(d + 1, "PNG", 3) == 0 || memcmp(d + 1, "png", 3) == 0)
            m = "image/png";
        else if (memcmp(d + 1, "-->", 3) == 0)
            return add_unmapped(c, "PICTURE", "id3v2: picture is a link (-->), not stored data");
        strcpy(mime, m);
        pos = 4;
    } else {
        size_t next;
        size_t mlen = string_span(ENC_LATIN1, d + 1, n - 1, &next);
        if (mlen == 3 && memcmp(d + 1, "-->", 3) == 0)
            return add_unmapped(c, "PICTURE", "id3v2: picture is a link (-->), not stored data");
        size_t keep = mlen < sizeof mime - 1 ? mlen : sizeof mime - 1;
        size_t o = 0;
        for (size_t i = 0; i < keep; i++)
            if (d[1 + i] >= 0x20 && d[1 + i] < 0x7F)
                mime[o++] = (char)d[1 + i];
        mime[o] = 0;
        pos = 1 + next;
        /* "JPG"/"PNG" in an APIC is a v2.2 habit carried over by some taggers. */
        if (ascii_equal_nocase(mime, "jpg") || ascii_equal_nocase(mime, "image/jpg"))
            strcpy(mime, "image/jpeg");
        else if (ascii_equal_nocase(mime, "png"))
            strcpy(mime, "image/png");
    }
    if (pos >= n) {
        FRAME_DAMAGE(c, "id3v2: frame '%s' ends before its picture type", id);
        return SEGUE_OK;
    }
    uint32_t type = d[pos++];
    size_t next;
    size_t dlen = string_span(enc, d + pos, n - pos, &next);
    char *desc;
    segue_status st = text_to_utf8(c->a, enc, d + pos, dlen, &desc);
    if (st < 0)
        return segue_error_set(c->err, st, "id3v2: out of memory");
    pos += next;
    if (pos < n) {
        segue_picture pic;
        memset(&pic, 0, sizeof pic);
        pic.type = type;
        pic.mime = mime[0] && strcmp(mime, "image/") != 0 ? mime : mime_from_magic(d + pos, n - pos);
        pic.description = desc;
        pic.data = d + pos;
        pic.size = n - pos;
        st = segue_metadata_add_picture(c->m, &pic);
        if (st == SEGUE_ERR_NO_MEMORY)
            st = segue_error_set(c->err, st, "id3v2: out of memory storing a %zu-byte picture",
                                 pic.size);
        else
            st = SEGUE_OK;
    }
    segue_mem_free(c->a, desc);
    return st;
}

/* URL link frames W*** other than WXXX ([v2.4-F] 4.3.1): a Latin-1 URL. */
static segue_status url_frame(id3_ctx *c, const char *id, const uint8_t *d, size_t n)
{
    size_t next;
    size_t len = string_span(ENC_LATIN1, d, n, &next);
    char *v;
    segue_status st = text_to_utf8(c->a, ENC_LATIN1, d, len, &v);
    if (st < 0)
        return segue_error_set(c->err, st, "id3v2: out of memory");
    st = add_value(c, id, v);
    segue_mem_free(c->a, v);
    return st;
}

static segue_status dispatch_frame(id3_ctx *c, const char *id, const uint8_t *d, size_t n)
{
    if (n == 0)
        return SEGUE_OK; /* empty frames are written by some taggers; nothing to read */
    if (strcmp(id, "TXXX") == 0)
        return txxx_frame(c, d, n);
    if (id[0] == 'T')
        return text_frame(c, id, d, n);
    if (strcmp(id, "COMM") == 0)
        return comment_frame(c, id, "COMMENT", d, n);
    if (strcmp(id, "USLT") == 0)
        return comment_frame(c, id, "LYRICS", d, n);
    if (strcmp(id, "APIC") == 0 || strcmp(id, "PIC") == 0)
        return picture_frame(c, id, d, n);
    if (id[0] == 'W' && strcmp(id, "WXXX") != 0)
        return url_frame(c, id, d, n);
    /* Binary frames (PRIV, GEOB, UFID, RVA2, ...) have no place in the text
     * model and are not "lost tags" a user would miss: skipped silently. */
    return SEGUE_OK;
}

/* Undoes unsynchronisation ([v2.4-S] 6.1): every 0xFF 0x00 pair was written
 * for a 0xFF. Returns the new length; dst may not overlap src. */
static size_t unsync_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        dst[o++] = src[i];
        if (src[i] == 0xFF && i + 1 < len && src[i + 1] == 0x00)
            i++;
    }
    return o;
}

static uint32_t syncsafe32(const uint8_t *p)
{
    return ((uint32_t)(p[0] & 0x7F) << 21) | ((uint32_t)(p[1] & 0x7F) << 14) |
           ((uint32_t)(p[2] & 0x7F) << 7) | (uint32_t)(p[3] & 0x7F);
}

static int valid_frame_id(const uint8_t *p, size_t idlen)
{
    for (size_t i = 0; i < idlen; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
            return 0;
    return 1;
}

/* True if `left` bytes at p could start the next frame, padding, or be the
 * end of the tag. */
static int plausible_next(const uint8_t *p, size_t left, size_t idlen)
{
    return left == 0 || p[0] == 0 || (left >= idlen && valid_frame_id(p, idlen));
}

/* One frame's body after its header: strips the per-frame extras the flags
 * announce and hands the payload on. */
static segue_status frame_body(id3_ctx *c, const char *id, uint8_t format_flags, int tag_unsync,
                               const uint8_t *d, size_t n)
{
    uint8_t *tmp = NULL;
    if (c->major == 3) {
        /* [v2.3] 3.3.1: format flags %ijk00000: compression, encryption,
         * grouping identity. */
        if (format_flags & 0xC0)
            return add_unmapped(c, id, format_flags & 0x80 ? "id3v2: compressed frame skipped"
                                                           : "id3v2: encrypted frame skipped");
        if (format_flags & 0x20) {
            if (n < 1) {
                FRAME_DAMAGE(c, "id3v2: frame '%s' too short for its group byte", id);
                return SEGUE_OK;
            }
            d++, n--;
        }
    } else if (c->major == 4) {
        /* [v2.4-S] 4.1.2: %0h00kmnp: grouping, compression, encryption,
         * unsynchronisation, data length indicator. */
        if (format_flags & 0x0C)
            return add_unmapped(c, id, format_flags & 0x08 ? "id3v2: compressed frame skipped"
                                                           : "id3v2: encrypted frame skipped");
        size_t extra = (format_flags & 0x40 ? 1u : 0u) + (format_flags & 0x01 ? 4u : 0u);
        if (n < extra) {
            FRAME_DAMAGE(c, "id3v2: frame '%s' too short for its flag fields", id);
            return SEGUE_OK;
        }
        d += extra, n -= extra;
        if ((format_flags & 0x02) || tag_unsync) {
            if (n) {
                tmp = segue_mem_alloc(c->a, n);
                if (!tmp)
                    return segue_error_set(c->err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
                n = unsync_copy(tmp, d, n);
                d = tmp;
            }
        }
    }
    segue_status st = dispatch_frame(c, id, d, n);
    segue_mem_free(c->a, tmp);
    return st;
}

static segue_status parse_frames(id3_ctx *c, const uint8_t *p, size_t len, int tag_unsync)
{
    const size_t idlen = c->major == 2 ? 3 : 4;
    const size_t hdr = c->major == 2 ? 6 : 10;
    size_t pos = 0;
    /* Each pass consumes at least `hdr` bytes, so the loop ends. */
    while (len - pos >= hdr) {
        const uint8_t *f = p + pos;
        if (f[0] == 0)
            break; /* padding ([v2.4-S] 3.3) */
        if (!valid_frame_id(f, idlen))
            return segue_error_set(c->err, SEGUE_ERR_CORRUPT,
                                   "id3v2: invalid frame id %02x %02x %02x at frame offset %zu",
                                   f[0], f[1], f[2], pos);
        char id[5] = {0};
        memcpy(id, f, idlen);
        uint32_t fsize;
        uint8_t format_flags = 0;
        size_t left = len - pos - hdr;
        if (c->major == 2) {
            fsize = ((uint32_t)f[3] << 16) | ((uint32_t)f[4] << 8) | f[5];
        } else if (c->major == 3) {
            fsize = segue_rb32(f + 4);
            format_flags = f[9];
        } else {
            /* v2.4 sizes are syncsafe ([v2.4-S] 4.); iTunes wrote plain
             * 32-bit sizes in v2.4 tags for years. Take the plain reading
             * when the bytes are not syncsafe, or when only it lands on
             * something that can follow a frame. */
            uint32_t plain = segue_rb32(f + 4);
            fsize = syncsafe32(f + 4);
            if ((f[4] | f[5] | f[6] | f[7]) & 0x80) {
                fsize = plain;
            } else if (plain != fsize && plain <= left && fsize <= left &&
                       !plausible_next(f + hdr + fsize, left - fsize, idlen) &&
                       plausible_next(f + hdr + plain, left - plain, idlen)) {
                fsize = plain;
            }
            format_flags = f[9];
        }
        if (fsize > left)
            return segue_error_set(c->err, SEGUE_ERR_CORRUPT,
                                   "id3v2: frame '%s' declares %u bytes but only %zu remain in the tag",
                                   id, fsize, left);
        if (c->major == 2) {
            for (size_t i = 0; i < sizeof v22_ids / sizeof v22_ids[0]; i++) {
                if (memcmp(id, v22_ids[i].v22, 3) == 0 && strcmp(id, "PIC") != 0) {
                    memcpy(id, v22_ids[i].v23, 5);
                    break;
                }
            }
        }
        segue_status st = frame_body(c, id, format_flags, tag_unsync, f + hdr, fsize);
        if (st < 0)
            return st;
        pos += hdr + fsize;
    }
    return SEGUE_OK;
}

uint64_t segue_id3v2_tag_size(const uint8_t *h, size_t size)
{
    if (size < SEGUE_ID3V2_HEADER_BYTES || memcmp(h, "ID3", 3) != 0 || h[3] < 2 || h[3] > 4 ||
        h[4] == 0xFF || ((h[6] | h[7] | h[8] | h[9]) & 0x80))
        return 0;
    uint64_t total = SEGUE_ID3V2_HEADER_BYTES + (uint64_t)syncsafe32(h + 6);
    if (h[3] == 4 && (h[5] & 0x10))
        total += SEGUE_ID3V2_HEADER_BYTES; /* footer, [v2.4-S] 3.4 */
    return total;
}

segue_status segue_id3v2_parse(const uint8_t *data, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err)
{
    if ((!data && size) || !m)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "id3v2: no tag or no metadata");
    if (size < SEGUE_ID3V2_HEADER_BYTES)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "id3v2: tag is %zu bytes, the header needs 10",
                               size);
    if (memcmp(data, "ID3", 3) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "id3v2: tag does not start with 'ID3'");
    /* [v2.4-S] 3.1: ID3v2/file identifier "ID3", version $04 00, flags
     * %abcd0000, size 4 * %0xxxxxxx. */
    unsigned major = data[3];
    uint8_t flags = data[5];
    if (major < 2 || major > 4)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "id3v2: version 2.%u.%u not supported",
                               major, data[4]);
    if ((data[6] | data[7] | data[8] | data[9]) & 0x80)
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "id3v2: tag size %02x %02x %02x %02x is not syncsafe", data[6],
                               data[7], data[8], data[9]);
    id3_ctx c;
    c.m = m;
    c.a = a;
    c.err = err;
    c.major = major;
    c.deferred = SEGUE_OK;

    uint32_t declared = syncsafe32(data + 6);
    size_t body_len = declared;
    if (declared > size - SEGUE_ID3V2_HEADER_BYTES) {
        body_len = size - SEGUE_ID3V2_HEADER_BYTES;
        FRAME_DAMAGE(&c, "id3v2: tag declares %u bytes but only %zu follow its header", declared,
                     body_len);
    }
    const uint8_t *body = data + SEGUE_ID3V2_HEADER_BYTES;

    if (major == 2 && (flags & 0x40)) {
        /* [v2.2] 3.1: "no compression scheme has been decided yet". */
        segue_status st = add_unmapped(&c, "ID3V2", "id3v2: compressed v2.2 tag skipped");
        return st < 0 ? st : c.deferred;
    }

    uint8_t *resynced = NULL;
    if ((flags & 0x80) && major < 4 && body_len) {
        /* v2.2/v2.3 unsynchronise the whole tag after the header ([v2.3]
         * 5.); v2.4 does it per frame (handled in frame_body). */
        resynced = segue_mem_alloc(a, body_len);
        if (!resynced)
            return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "id3v2: out of memory");
        body_len = unsync_copy(resynced, body, body_len);
        body = resynced;
    }

    size_t pos = 0;
    segue_status st = SEGUE_OK;
    if (major >= 3 && (flags & 0x40)) {
        /* Extended header: v2.3 gives its size excluding the 4 size bytes
         * ([v2.3] 3.2), v2.4 a syncsafe size including them ([v2.4-S] 3.2). */
        if (body_len < 4) {
            st = segue_error_set(err, SEGUE_ERR_CORRUPT, "id3v2: extended header truncated");
        } else {
            uint64_t ext = major == 3 ? 4 + (uint64_t)segue_rb32(body) : syncsafe32(body);
            if (ext < 4 || ext > body_len)
                st = segue_error_set(err, SEGUE_ERR_CORRUPT,
                                     "id3v2: extended header of %llu bytes does not fit the %zu-byte tag",
                                     (unsigned long long)ext, body_len);
            else
                pos = (size_t)ext;
        }
    }
    if (st >= 0)
        st = parse_frames(&c, body + pos, body_len - pos, major == 4 && (flags & 0x80));
    segue_mem_free(a, resynced);
    if (st < 0)
        return st;
    return c.deferred;
}
