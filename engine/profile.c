/*
 * engine/profile.c - conversion profiles as data (include/segue/profile.h).
 *
 * A profile is "key = value" text (docs/profiles.md is the format's
 * specification; the clause numbers "F1".."F8" below refer to its
 * "Format" section). The parser is strict on purpose: a profile drives
 * conversions of whole libraries, so a typo must fail loudly ("line 7:
 * unknown key 'bitrat'") rather than silently fall back to a default.
 *
 * The built-in profiles are the files of engine/profiles/, embedded by
 * cmake/embed_profiles.cmake and parsed once, on first use, under
 * pthread_once(); they live until the process exits.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/profile.h>

#include "core/alloc.h"
#include "core/error.h"
#include "engine/profile_data.h"
#include "engine/sha256.h"

/* Limits (F2). */
#define PROFILE_MAX_BYTES (64u * 1024u)
#define PROFILE_MAX_KEYS 256u
#define PROFILE_MAX_VALUE 1024u
#define PROFILE_MAX_NAME 64u
/* Seconds are parsed exactly, as microseconds, up to this many seconds
 * (11.5 days): frames = us * rate / 1e6 then fits in 64 bits. */
#define PROFILE_MAX_SECONDS 1000000u
#define PROFILE_MAX_BUILTINS 64u

typedef struct profile_entry {
    const char *key;   /* points into segue_profile.text */
    const char *value; /* idem */
    unsigned line;
} profile_entry;

struct segue_profile {
    segue_allocator allocator;
    char *text;             /* a copy of the file, split in place */
    profile_entry *entries; /* file order */
    size_t count;
    const char *name;
    const char *description; /* "" when absent */
    const char *extension;   /* the key, or the codec's default */
    const char *container;   /* the key, or the codec's default */
};

/* ---- value types ---------------------------------------------------------- */

typedef enum value_type {
    VT_TEXT,        /* any UTF-8 text */
    VT_NAME,        /* [a-z0-9-], 1..64 bytes, starting with a letter or digit */
    VT_WORD,        /* [a-z0-9], 1..16 bytes (extensions) */
    VT_CHOICE,      /* one of `choices` ("a|b|c") */
    VT_UINT,        /* decimal integer in [min, max] */
    VT_UINT_SOURCE, /* VT_UINT or the word "source" */
    VT_FORMAT,      /* a sample format name (segue_sample_format_parse) or "source" */
    VT_SECONDS,     /* decimal seconds, at most 6 decimals, in [0, max] */
    VT_NUMBER,      /* decimal number, optional '-', in [min, max] (signed) */
    VT_LIST_WORD,   /* space-separated tokens of [a-z0-9.-] */
    VT_LIST_CHOICE, /* space-separated members of `choices` */
    VT_LIST_UINT,   /* space-separated integers in [min, max] */
    VT_SOURCE_TAG   /* documented|assumed: companion "<device key>.source" */
} value_type;

typedef struct key_spec {
    const char *key;
    value_type type;
    const char *choices;
    long long min, max;
} key_spec;

/* Every key a profile may hold (F4); anything else but "x-..." is an error. */
static const key_spec key_specs[] = {
    {"name", VT_NAME, NULL, 0, 0},
    {"description", VT_TEXT, NULL, 0, 0},
    {"extension", VT_WORD, NULL, 0, 0},
    {"container", VT_CHOICE, "mp3|ogg|flac|wav|aiff|raw|m4a|adts", 0, 0},
    {"codec", VT_CHOICE, "mp3|opus|vorbis|flac|pcm|aac", 0, 0},
    {"sample_rate", VT_UINT_SOURCE, NULL, 1000, 768000},
    {"channels", VT_UINT_SOURCE, NULL, 1, 32},
    {"sample_format", VT_FORMAT, NULL, 0, 0},
    {"rate_control", VT_CHOICE, "cbr|abr|vbr", 0, 0},
    {"bitrate", VT_UINT, NULL, 1, 2000},
    {"quality", VT_NUMBER, NULL, -1, 10},
    {"compression_level", VT_UINT, NULL, 0, 8},
    {"stereo_mode", VT_CHOICE, "joint|plain|mono", 0, 0},
    {"tags", VT_CHOICE, "id3v2.3|id3v2.4|vorbis|none", 0, 0},
    {"id3v1", VT_CHOICE, "yes|no", 0, 0},
    {"picture_max_width", VT_UINT, NULL, 1, 65535},
    {"picture_max_height", VT_UINT, NULL, 1, 65535},
    {"picture_max_bytes", VT_UINT, NULL, 1024, 64ll * 1024 * 1024},
    {"picture_format", VT_CHOICE, "jpeg|keep", 0, 0},
    {"picture_baseline", VT_CHOICE, "yes|no", 0, 0},
    {"filename_charset", VT_CHOICE, "fat|posix", 0, 0},
    {"filename_max_bytes", VT_UINT, NULL, 16, 4096},
    {"path_max_bytes", VT_UINT, NULL, 16, 65535},
    {"start", VT_SECONDS, NULL, 0, PROFILE_MAX_SECONDS},
    {"duration", VT_SECONDS, NULL, 0, PROFILE_MAX_SECONDS},
    {"fade_in", VT_SECONDS, NULL, 0, PROFILE_MAX_SECONDS},
    {"fade_out", VT_SECONDS, NULL, 0, PROFILE_MAX_SECONDS},
    {"normalize", VT_CHOICE, "off|r128|replaygain", 0, 0},
    {"apply_gain", VT_CHOICE, "yes|no", 0, 0},
    {"limiter", VT_CHOICE, "yes|no", 0, 0},
    {"resample_quality", VT_CHOICE, "quick|low|medium|high|very-high", 0, 0},
    {"dither", VT_CHOICE, "auto|none|tpdf|shaped", 0, 0},
    {"device", VT_NAME, NULL, 0, 0},
    {"device.description", VT_TEXT, NULL, 0, 0},
    {"device.containers", VT_LIST_WORD, NULL, 0, 0},
    {"device.codecs", VT_LIST_WORD, NULL, 0, 0},
    {"device.mpeg_versions", VT_LIST_CHOICE, "1|2|2.5", 0, 0},
    /* AAC: audio object types by name (14496-3 1.5.1.1: 1 main, 2 lc,
     * 3 ssr, 4 ltp; he = SBR (5), hev2 = PS (29)), the rates an AAC stream
     * may have when they differ from device.sample_rates, and the
     * top-level MP4 boxes the player accepts. */
    {"device.aac_profiles", VT_LIST_CHOICE, "main|lc|ssr|ltp|he|hev2", 0, 0},
    {"device.aac_sample_rates", VT_LIST_UINT, NULL, 1000, 768000},
    {"device.mp4_boxes", VT_LIST_WORD, NULL, 0, 0},
    {"device.sample_rates", VT_LIST_UINT, NULL, 1000, 768000},
    {"device.channels_max", VT_UINT, NULL, 1, 32},
    {"device.bitrate_min_kbps", VT_UINT, NULL, 1, 2000},
    {"device.bitrate_max_kbps", VT_UINT, NULL, 1, 2000},
    {"device.pcm_bits", VT_LIST_UINT, NULL, 8, 32},
    {"device.tags", VT_LIST_WORD, NULL, 0, 0},
    {"device.picture_formats", VT_LIST_WORD, NULL, 0, 0},
    {"device.picture_max_width", VT_UINT, NULL, 1, 65535},
    {"device.picture_max_height", VT_UINT, NULL, 1, 65535},
    {"device.filename_charset", VT_CHOICE, "fat|posix", 0, 0},
    {"device.filename_max_bytes", VT_UINT, NULL, 8, 4096},
    {"device.fix_profile", VT_NAME, NULL, 0, 0},
};

static const key_spec source_tag_spec = {"*.source", VT_SOURCE_TAG, "documented|assumed", 0, 0};

static const key_spec *spec_find(const char *key)
{
    for (size_t i = 0; i < sizeof key_specs / sizeof key_specs[0]; i++)
        if (strcmp(key_specs[i].key, key) == 0)
            return &key_specs[i];
    /* "<device constraint>.source" (F6): allowed for every device.* key
     * except device.description. */
    size_t len = strlen(key);
    if (len > 7 && strcmp(key + len - 7, ".source") == 0 && strncmp(key, "device.", 7) == 0) {
        char base[64];
        if (len - 7 >= sizeof base)
            return NULL;
        memcpy(base, key, len - 7);
        base[len - 7] = '\0';
        if (strcmp(base, "device.description") == 0)
            return NULL;
        for (size_t i = 0; i < sizeof key_specs / sizeof key_specs[0]; i++)
            if (strcmp(key_specs[i].key, base) == 0)
                return &source_tag_spec;
    }
    return NULL;
}

/* ---- errors --------------------------------------------------------------- */

typedef struct parse_error {
    char *buf;
    size_t size;
} parse_error;

static segue_status fail(parse_error *pe, unsigned line, const char *fmt, ...) SEGUE_PRINTF(3, 4);

static segue_status fail(parse_error *pe, unsigned line, const char *fmt, ...)
{
    if (pe->buf && pe->size) {
        int n = snprintf(pe->buf, pe->size, "line %u: ", line);
        if (n >= 0 && (size_t)n < pe->size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(pe->buf + n, pe->size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SEGUE_ERR_INVALID_ARGUMENT;
}

/* ---- value syntax ----------------------------------------------------------- */

static int in_choices(const char *choices, const char *s, size_t len)
{
    const char *c = choices;
    while (*c) {
        size_t n = strcspn(c, "|");
        if (n == len && strncmp(c, s, len) == 0)
            return 1;
        c += n;
        if (*c == '|')
            c++;
    }
    return 0;
}

/* A decimal integer without sign or leading zeros beyond "0"; 0 if not. */
static int parse_uint(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 12 || (s[0] == '0' && len > 1))
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10u + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Decimal seconds "12", "0.5", "2.25" (at most 6 decimals) as exact
 * microseconds (F7). */
static int parse_micros(const char *s, unsigned long long *out)
{
    size_t whole = strspn(s, "0123456789");
    unsigned long long w;
    if (!parse_uint(s, whole, &w) || w > PROFILE_MAX_SECONDS)
        return 0;
    unsigned long long frac = 0;
    const char *p = s + whole;
    if (*p == '.') {
        p++;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 6 || p[digits] != '\0')
            return 0;
        for (size_t i = 0; i < 6; i++)
            frac = frac * 10u + (i < digits ? (unsigned long long)(p[i] - '0') : 0u);
        p += digits;
    }
    if (*p != '\0')
        return 0;
    *out = w * 1000000u + frac;
    return *out <= (unsigned long long)PROFILE_MAX_SECONDS * 1000000u;
}

/* "-1", "0", "2.5": optional minus, digits, optional fraction. */
static int parse_number(const char *s, double *out)
{
    const char *p = s;
    if (*p == '-')
        p++;
    size_t whole = strspn(p, "0123456789");
    if (whole == 0 || whole > 6)
        return 0;
    p += whole;
    if (*p == '.') {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits == 0 || digits > 6)
            return 0;
        p += 1 + digits;
    }
    if (*p != '\0')
        return 0;
    *out = strtod(s, NULL);
    return 1;
}

static int name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
static int word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int key_char(char c) { return word_char(c) || c == '_' || c == '.' || c == '-'; }

/* Checks `value` against the key's type; on failure writes why. */
static segue_status check_value(parse_error *pe, unsigned line, const char *key,
                                const key_spec *spec, const char *value)
{
    size_t len = strlen(value);
    unsigned long long u;
    switch (spec->type) {
    case VT_TEXT:
        return SEGUE_OK;
    case VT_NAME:
        if (len > PROFILE_MAX_NAME || value[0] == '-')
            return fail(pe, line, "%s: '%s' is not a name (a-z, 0-9 and '-', at most %u bytes)",
                        key, value, PROFILE_MAX_NAME);
        for (size_t i = 0; i < len; i++)
            if (!name_char(value[i]))
                return fail(pe, line, "%s: '%s' is not a name (a-z, 0-9 and '-' only)", key, value);
        return SEGUE_OK;
    case VT_WORD:
        if (len > 16)
            return fail(pe, line, "%s: longer than 16 bytes", key);
        for (size_t i = 0; i < len; i++)
            if (!word_char(value[i]))
                return fail(pe, line, "%s: '%s' may hold only a-z and 0-9", key, value);
        return SEGUE_OK;
    case VT_CHOICE:
    case VT_SOURCE_TAG:
        if (!in_choices(spec->choices, value, len))
            return fail(pe, line, "%s: '%s' is not one of %s", key, value, spec->choices);
        return SEGUE_OK;
    case VT_UINT_SOURCE:
        if (strcmp(value, "source") == 0)
            return SEGUE_OK;
        /* fall through */
    case VT_UINT:
        if (!parse_uint(value, len, &u))
            return fail(pe, line, "%s: '%s' is not a whole number", key, value);
        if (u < (unsigned long long)spec->min || u > (unsigned long long)spec->max)
            return fail(pe, line, "%s: %s is outside %lld..%lld", key, value, spec->min, spec->max);
        return SEGUE_OK;
    case VT_FORMAT:
        if (strcmp(value, "source") == 0 || segue_sample_format_parse(value) != SEGUE_SAMPLE_NONE)
            return SEGUE_OK;
        return fail(pe, line, "%s: '%s' is not a sample format (u8, s16, s24, s32, f32, ...) or source",
                    key, value);
    case VT_SECONDS:
        if (!parse_micros(value, &u))
            return fail(pe, line, "%s: '%s' is not a number of seconds (e.g. 2.5; at most 6 decimals, "
                        "at most %u)", key, value, PROFILE_MAX_SECONDS);
        return SEGUE_OK;
    case VT_NUMBER: {
        double d;
        if (!parse_number(value, &d))
            return fail(pe, line, "%s: '%s' is not a number", key, value);
        if (d < (double)spec->min || d > (double)spec->max)
            return fail(pe, line, "%s: %s is outside %lld..%lld", key, value, spec->min, spec->max);
        return SEGUE_OK;
    }
    case VT_LIST_WORD:
    case VT_LIST_CHOICE:
    case VT_LIST_UINT: {
        const char *p = value;
        while (*p) {
            size_t n = strcspn(p, " \t");
            if (spec->type == VT_LIST_WORD) {
                for (size_t i = 0; i < n; i++)
                    if (!key_char(p[i]) || p[i] == '_')
                        return fail(pe, line, "%s: '%.*s': only a-z, 0-9, '.' and '-' are allowed",
                                    key, (int)n, p);
            } else if (spec->type == VT_LIST_CHOICE) {
                if (!in_choices(spec->choices, p, n))
                    return fail(pe, line, "%s: '%.*s' is not one of %s", key, (int)n, p, spec->choices);
            } else if (!parse_uint(p, n, &u) || u < (unsigned long long)spec->min ||
                       u > (unsigned long long)spec->max) {
                return fail(pe, line, "%s: '%.*s' is not a whole number in %lld..%lld", key, (int)n, p,
                            spec->min, spec->max);
            }
            p += n;
            p += strspn(p, " \t");
        }
        return SEGUE_OK;
    }
    }
    return fail(pe, line, "%s: internal error", key);
}

/* ---- text checks ------------------------------------------------------------ */

/* Validates UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF)
 * and rejects control characters other than tab, CR and LF (F1). Returns
 * the 1-based line of the first bad byte, or 0 when the text is clean. */
static unsigned first_bad_line(const uint8_t *s, size_t size, const char **why)
{
    unsigned line = 1;
    size_t i = 0;
    while (i < size) {
        uint8_t c = s[i];
        if (c == '\n') {
            line++;
            i++;
            continue;
        }
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
                *why = c == 0 ? "NUL byte (binary data?)" : "control character";
                return line;
            }
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1fu, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0fu, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            *why = "invalid UTF-8";
            return line;
        }
        if (size - i <= n) {
            *why = "truncated UTF-8 sequence";
            return line;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                *why = "invalid UTF-8";
                return line;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *why = "invalid UTF-8";
            return line;
        }
        i += n + 1;
    }
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* ---- the parser --------------------------------------------------------------- */

static const char *default_extension(const char *codec)
{
    static const char *const map[][2] = {{"mp3", "mp3"},  {"opus", "opus"}, {"vorbis", "ogg"},
                                         {"flac", "flac"}, {"pcm", "wav"},  {"aac", "m4a"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], codec) == 0)
            return map[i][1];
    return "bin";
}

static const char *default_container(const char *codec)
{
    static const char *const map[][2] = {{"mp3", "mp3"},  {"opus", "ogg"}, {"vorbis", "ogg"},
                                         {"flac", "flac"}, {"pcm", "wav"}, {"aac", "m4a"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], codec) == 0)
            return map[i][1];
    return "wav";
}

/* Which containers can carry which codec (F8). */
static int container_fits(const char *container, const char *codec)
{
    if (strcmp(codec, "mp3") == 0)
        return strcmp(container, "mp3") == 0;
    if (strcmp(codec, "opus") == 0 || strcmp(codec, "vorbis") == 0)
        return strcmp(container, "ogg") == 0;
    if (strcmp(codec, "flac") == 0)
        return strcmp(container, "flac") == 0 || strcmp(container, "ogg") == 0;
    if (strcmp(codec, "pcm") == 0)
        return strcmp(container, "wav") == 0 || strcmp(container, "aiff") == 0 ||
               strcmp(container, "raw") == 0;
    /* One name for the MP4 family: "m4a", the muxer's (ISO base media
     * with an 'M4A ' brand and iTunes tags); "adts" for raw AAC frames. */
    if (strcmp(codec, "aac") == 0)
        return strcmp(container, "m4a") == 0 || strcmp(container, "adts") == 0;
    return 0;
}

static const char *entry_get(const segue_profile *p, const char *key, unsigned *line)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].key, key) == 0) {
            if (line)
                *line = p->entries[i].line;
            return p->entries[i].value;
        }
    return NULL;
}

/* Rules across keys (F8), checked once the whole file is read. */
static segue_status check_profile(segue_profile *p, parse_error *pe, unsigned last_line)
{
    unsigned line = 0;
    p->name = entry_get(p, "name", NULL);
    if (!p->name)
        return fail(pe, last_line, "end of file: the required key 'name' is missing");
    const char *codec = entry_get(p, "codec", NULL);
    if (!codec)
        return fail(pe, last_line, "end of file: the required key 'codec' is missing");
    const char *container = entry_get(p, "container", &line);
    if (container && !container_fits(container, codec))
        return fail(pe, line, "container: %s cannot carry codec %s", container, codec);
    const char *v = entry_get(p, "sample_format", &line);
    if (v && strcmp(codec, "pcm") != 0 && strcmp(codec, "flac") != 0)
        return fail(pe, line, "sample_format: applies to codec pcm and flac only, not %s", codec);
    v = entry_get(p, "tags", &line);
    if (v && strncmp(v, "id3v2", 5) == 0 && strcmp(codec, "mp3") != 0)
        return fail(pe, line, "tags: %s needs codec mp3", v);
    if (v && strcmp(v, "vorbis") == 0 && strcmp(codec, "opus") != 0 && strcmp(codec, "vorbis") != 0 &&
        strcmp(codec, "flac") != 0)
        return fail(pe, line, "tags: vorbis comments need codec opus, vorbis or flac");
    v = entry_get(p, "rate_control", &line);
    if (v && (strcmp(v, "cbr") == 0 || strcmp(v, "abr") == 0) && !entry_get(p, "bitrate", NULL))
        return fail(pe, line, "rate_control: %s needs a bitrate", v);
    v = entry_get(p, "duration", &line);
    if (v && strspn(v, "0.") == strlen(v))
        return fail(pe, line, "duration: must be more than 0");
    const char *lo = entry_get(p, "device.bitrate_min_kbps", NULL);
    const char *hi = entry_get(p, "device.bitrate_max_kbps", &line);
    if (lo && hi && strtoul(lo, NULL, 10) > strtoul(hi, NULL, 10))
        return fail(pe, line, "device.bitrate_max_kbps: below device.bitrate_min_kbps");
    const char *d = entry_get(p, "description", NULL);
    p->description = d ? d : "";
    p->container = container ? container : default_container(codec);
    const char *ext = entry_get(p, "extension", NULL);
    p->extension = ext ? ext : strcmp(p->container, "adts") == 0 ? "aac" : default_extension(codec);
    return SEGUE_OK;
}

void segue_profile_destroy(segue_profile *p)
{
    if (!p)
        return;
    segue_allocator a = p->allocator;
    segue_mem_free(&a, p->entries);
    segue_mem_free(&a, p->text);
    segue_mem_free(&a, p);
}

segue_status segue_profile_parse(segue_profile **out, const char *text, size_t size,
                                 const segue_allocator *allocator, char *err, size_t err_size)
{
    parse_error pe = {err, err_size};
    if (err && err_size)
        err[0] = '\0';
    if (!out)
        return fail(&pe, 0, "no output pointer");
    *out = NULL;
    if (!text && size)
        return fail(&pe, 0, "no text");
    /* F2: the whole file at most 64 KiB. */
    if (size > PROFILE_MAX_BYTES)
        return fail(&pe, 0, "the file is %zu bytes; a profile may have at most %u", size,
                    PROFILE_MAX_BYTES);
    const char *why = NULL;
    unsigned bad = first_bad_line((const uint8_t *)text, size, &why);
    if (bad)
        return fail(&pe, bad, "%s: a profile is UTF-8 text", why);

    const segue_allocator *a = segue_allocator_or_default(allocator);
    segue_profile *p = segue_mem_calloc(a, 1, sizeof *p);
    if (!p)
        return SEGUE_ERR_NO_MEMORY;
    p->allocator = *a;
    p->text = segue_mem_strndup(a, size ? text : "", size);
    p->entries = segue_mem_calloc(a, PROFILE_MAX_KEYS, sizeof *p->entries);
    if (!p->text || !p->entries) {
        segue_profile_destroy(p);
        return SEGUE_ERR_NO_MEMORY;
    }

    char *s = p->text;
    /* A UTF-8 byte order mark is allowed and ignored. */
    if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
        s += 3;
    unsigned line = 0;
    segue_status st = SEGUE_OK;
    while (*s && st == SEGUE_OK) {
        line++;
        char *end = strchr(s, '\n');
        char *next = end ? end + 1 : s + strlen(s);
        if (end)
            *end = '\0';
        /* F3: trim; blank lines and '#' comment lines are skipped. */
        while (is_space(*s))
            s++;
        char *tail = s + strlen(s);
        while (tail > s && is_space(tail[-1]))
            *--tail = '\0';
        if (*s == '\0' || *s == '#') {
            s = next;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            st = fail(&pe, line, "expected 'key = value'");
            break;
        }
        char *key_end = eq;
        while (key_end > s && is_space(key_end[-1]))
            key_end--;
        *key_end = '\0';
        char *value = eq + 1;
        while (is_space(*value))
            value++;
        /* F4: keys are lower-case [a-z0-9_.-]. */
        if (*s == '\0') {
            st = fail(&pe, line, "missing key before '='");
            break;
        }
        for (const char *k = s; *k; k++)
            if (!key_char(*k)) {
                st = fail(&pe, line, "a key may hold only a-z, 0-9, '_', '.' and '-'");
                break;
            }
        if (st != SEGUE_OK)
            break;
        if (*value == '\0') {
            st = fail(&pe, line, "%s: missing value", s);
            break;
        }
        /* F2: values at most 1024 bytes. */
        if (strlen(value) > PROFILE_MAX_VALUE) {
            st = fail(&pe, line, "%s: the value is longer than %u bytes", s, PROFILE_MAX_VALUE);
            break;
        }
        /* F5: every key once. */
        unsigned first = 0;
        if (entry_get(p, s, &first)) {
            st = fail(&pe, line, "duplicate key '%s' (first on line %u)", s, first);
            break;
        }
        if (p->count >= PROFILE_MAX_KEYS) {
            st = fail(&pe, line, "more than %u keys", PROFILE_MAX_KEYS);
            break;
        }
        /* F4: unknown keys are errors, except the free "x-" namespace. */
        if (strncmp(s, "x-", 2) != 0) {
            const key_spec *spec = spec_find(s);
            if (!spec) {
                st = fail(&pe, line, "unknown key '%s'", s);
                break;
            }
            st = check_value(&pe, line, s, spec, value);
            if (st != SEGUE_OK)
                break;
        }
        p->entries[p->count].key = s;
        p->entries[p->count].value = value;
        p->entries[p->count].line = line;
        p->count++;
        s = next;
    }
    if (st == SEGUE_OK)
        st = check_profile(p, &pe, line + 1);
    if (st != SEGUE_OK) {
        segue_profile_destroy(p);
        return st;
    }
    *out = p;
    return SEGUE_OK;
}

/* ---- built-ins ---------------------------------------------------------------- */

/* The empty tag set `tags = none` points the encoder at: created once,
 * never modified, alive until the process exits. */
static pthread_once_t empty_metadata_once = PTHREAD_ONCE_INIT;
static segue_metadata *empty_metadata_set;

static void create_empty_metadata(void)
{
    if (segue_metadata_create(&empty_metadata_set, NULL) < 0)
        empty_metadata_set = NULL;
}

static const segue_metadata *empty_metadata(void)
{
    pthread_once(&empty_metadata_once, create_empty_metadata);
    return empty_metadata_set;
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static segue_profile *builtins[PROFILE_MAX_BUILTINS];
static size_t builtin_count;

static void load_builtins(void)
{
    for (size_t i = 0; i < segue_builtin_profile_source_count && builtin_count < PROFILE_MAX_BUILTINS;
         i++) {
        const segue_profile_source *src = &segue_builtin_profile_sources[i];
        segue_profile *p = NULL;
        /* A built-in that does not parse is a build defect; the tests in
         * tests/profiles check every file, so it is skipped here rather
         * than taking the library down. */
        if (segue_profile_parse(&p, src->text, src->size, NULL, NULL, 0) != SEGUE_OK)
            continue;
        int dup = 0;
        for (size_t k = 0; k < builtin_count; k++)
            dup |= strcmp(builtins[k]->name, p->name) == 0;
        if (dup) {
            segue_profile_destroy(p);
            continue;
        }
        builtins[builtin_count++] = p;
    }
}

static void ensure_builtins(void) { pthread_once(&builtin_once, load_builtins); }

size_t segue_profile_count(void)
{
    ensure_builtins();
    return builtin_count;
}

const segue_profile *segue_profile_at(size_t index)
{
    ensure_builtins();
    return index < builtin_count ? builtins[index] : NULL;
}

const segue_profile *segue_profile_find(const char *name)
{
    if (!name)
        return NULL;
    ensure_builtins();
    for (size_t i = 0; i < builtin_count; i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

/* ---- accessors ------------------------------------------------------------------ */

const char *segue_profile_name(const segue_profile *p) { return p ? p->name : NULL; }
const char *segue_profile_description(const segue_profile *p) { return p ? p->description : NULL; }
const char *segue_profile_extension(const segue_profile *p) { return p ? p->extension : NULL; }
size_t segue_profile_key_count(const segue_profile *p) { return p ? p->count : 0; }

const char *segue_profile_key_at(const segue_profile *p, size_t index, const char **value)
{
    if (!p || index >= p->count) {
        if (value)
            *value = NULL;
        return NULL;
    }
    if (value)
        *value = p->entries[index].value;
    return p->entries[index].key;
}

const char *segue_profile_get(const segue_profile *p, const char *key)
{
    return p && key ? entry_get(p, key, NULL) : NULL;
}

/* ---- apply ------------------------------------------------------------------------ */

/* seconds (exact microseconds) * rate, rounded half up (profile.h). Split
 * into whole seconds and microseconds so that neither product can
 * overflow: both stay below 1e6 * 2^32. */
static int64_t micros_to_frames(unsigned long long micros, uint32_t rate)
{
    unsigned long long whole = micros / 1000000u, frac = micros % 1000000u;
    unsigned long long frames = whole * rate + (frac * rate + 500000u) / 1000000u;
    return (int64_t)frames;
}

static int yes(const char *v) { return v && strcmp(v, "yes") == 0; }

segue_status segue_profile_apply(const segue_profile *p, uint32_t input_rate, segue_transcode_config *cfg)
{
    if (!p || !cfg || cfg->struct_size < sizeof *cfg)
        return SEGUE_ERR_INVALID_ARGUMENT;
    static const char *const timed[] = {"start", "duration", "fade_in", "fade_out"};
    for (size_t i = 0; i < 4; i++)
        if (entry_get(p, timed[i], NULL) && input_rate == 0)
            return SEGUE_ERR_INVALID_ARGUMENT; /* seconds need the input rate */

    /* Enumerated settings first: if one is unknown to the engine (a profile
     * newer than the engine), nothing has been changed yet. */
    const char *v;
    int normalize = -1, resample = -1, dither = -1;
    if ((v = entry_get(p, "normalize", NULL)) && (normalize = segue_normalize_mode_parse(v)) < 0)
        return SEGUE_ERR_UNSUPPORTED;
    if ((v = entry_get(p, "resample_quality", NULL)) && (resample = segue_resample_quality_parse(v)) < 0)
        return SEGUE_ERR_UNSUPPORTED;
    if ((v = entry_get(p, "dither", NULL)) && (dither = segue_dither_mode_parse(v)) < 0)
        return SEGUE_ERR_UNSUPPORTED;

    segue_encoder_config *enc = &cfg->encoder;
    enc->container = p->container;
    enc->codec = entry_get(p, "codec", NULL);
    unsigned long long u;
    if ((v = entry_get(p, "sample_rate", NULL)))
        enc->sample_rate = strcmp(v, "source") == 0 ? 0 : (uint32_t)strtoul(v, NULL, 10);
    if ((v = entry_get(p, "channels", NULL)))
        enc->channels = strcmp(v, "source") == 0 ? 0 : (uint32_t)strtoul(v, NULL, 10);
    if ((v = entry_get(p, "sample_format", NULL)))
        enc->sample_format = strcmp(v, "source") == 0 ? SEGUE_SAMPLE_NONE : segue_sample_format_parse(v);
    if ((v = entry_get(p, "rate_control", NULL)))
        enc->rate_control = strcmp(v, "cbr") == 0   ? SEGUE_RC_CBR
                            : strcmp(v, "abr") == 0 ? SEGUE_RC_ABR
                                                    : SEGUE_RC_VBR;
    if ((v = entry_get(p, "bitrate", NULL)))
        enc->bitrate = (uint32_t)strtoul(v, NULL, 10) * 1000u; /* kbps -> bit/s */
    if ((v = entry_get(p, "quality", NULL)))
        enc->quality = (float)strtod(v, NULL);
    if ((v = entry_get(p, "compression_level", NULL)))
        enc->compression_level = (int)strtol(v, NULL, 10);
    if ((v = entry_get(p, "stereo_mode", NULL)))
        enc->stereo_mode = strcmp(v, "joint") == 0   ? SEGUE_STEREO_JOINT
                           : strcmp(v, "plain") == 0 ? SEGUE_STEREO_PLAIN
                                                     : SEGUE_STEREO_MONO;
    if ((v = entry_get(p, "tags", NULL)) && strncmp(v, "id3v2.", 6) == 0)
        enc->id3v2_version = v[6] == '4' ? 4 : 3;
    if (v && strcmp(v, "none") == 0) {
        /* No tags: the encoder gets an empty set instead of the input's. */
        const segue_metadata *empty = empty_metadata();
        if (!empty)
            return SEGUE_ERR_NO_MEMORY;
        enc->metadata = empty;
    }

    if ((v = entry_get(p, "picture_max_width", NULL)))
        cfg->picture_max_width = (uint32_t)strtoul(v, NULL, 10);
    if ((v = entry_get(p, "picture_max_height", NULL)))
        cfg->picture_max_height = (uint32_t)strtoul(v, NULL, 10);
    if ((v = entry_get(p, "picture_max_bytes", NULL)))
        cfg->picture_max_bytes = (uint32_t)strtoul(v, NULL, 10);
    if ((v = entry_get(p, "picture_format", NULL)) && strcmp(v, "jpeg") == 0)
        cfg->picture_jpeg_only = 1;
    if (yes(entry_get(p, "picture_baseline", NULL)))
        cfg->picture_jpeg_only = 1;

    if ((v = entry_get(p, "start", NULL)) && parse_micros(v, &u))
        cfg->start_frame = micros_to_frames(u, input_rate);
    if ((v = entry_get(p, "duration", NULL)) && parse_micros(v, &u))
        cfg->duration_frames = micros_to_frames(u, input_rate);
    if ((v = entry_get(p, "fade_in", NULL)) && parse_micros(v, &u))
        cfg->fade_in_frames = micros_to_frames(u, input_rate);
    if ((v = entry_get(p, "fade_out", NULL)) && parse_micros(v, &u))
        cfg->fade_out_frames = micros_to_frames(u, input_rate);

    if (normalize >= 0)
        cfg->normalize = (segue_normalize_mode)normalize;
    if ((v = entry_get(p, "apply_gain", NULL)))
        cfg->apply_gain = yes(v);
    if ((v = entry_get(p, "limiter", NULL)))
        cfg->limiter = yes(v);
    if (resample >= 0)
        cfg->resample_quality = (segue_resample_quality)resample;
    if (dither >= 0)
        cfg->dither = (segue_dither_mode)dither;
    return SEGUE_OK;
}

/* ---- digest ------------------------------------------------------------------------ */

void segue_profile_digest(const segue_profile *p, char out[65])
{
    /* Canonical form (docs/profiles.md, "Digest"): a version line, then
     * every key in byte order as key NUL value NUL. Keys and values hold no
     * NUL, so the form is unambiguous, and file order, comments and
     * spacing do not change it. */
    segue_sha256 ctx;
    segue_sha256_init(&ctx);
    static const char version[] = "segue-profile-digest-1\n";
    segue_sha256_update(&ctx, version, sizeof version - 1);
    size_t order[PROFILE_MAX_KEYS];
    size_t n = p ? p->count : 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        while (k > 0 && strcmp(p->entries[order[k - 1]].key, p->entries[i].key) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const profile_entry *e = &p->entries[order[i]];
        segue_sha256_update(&ctx, e->key, strlen(e->key) + 1);
        segue_sha256_update(&ctx, e->value, strlen(e->value) + 1);
    }
    uint8_t digest[SEGUE_SHA256_DIGEST_BYTES];
    segue_sha256_final(&ctx, digest);
    segue_sha256_hex(digest, out);
}
