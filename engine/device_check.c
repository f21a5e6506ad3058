/*
 * engine/device_check.c - the device compatibility checker (device_check.h).
 *
 * References:
 *   [ISO3]  ISO/IEC 11172-3 / 13818-3 2.4.1.3: the MPEG audio frame header,
 *           parsed by codec/common/mpa_header.c; the version bits are what
 *           tells MPEG-1 from MPEG-2 LSF and MPEG-2.5.
 *   [ID3v2] id3.org "ID3 tag version 2.3.0" 3.1 and "2.4.0 Main Structure"
 *           3.1: "ID3", major version byte, revision byte, flags, syncsafe
 *           size; 3.4: the v2.4 footer "3DI" of an appended tag.
 *   [ID3v1] the 128-byte "TAG" block at the end of the file.
 *   [APE]   APEv2: the 32-byte "APETAGEX" footer at the end (or before ID3v1).
 *   [MP4]   ISO/IEC 14496-12 4.2 (box header: 32-bit size, 1 = 64-bit
 *           largesize), 8.5.2 (stsd), ISO/IEC 14496-14 5.6 (esds) and
 *           14496-1 7.2.6 (ES_Descriptor > DecoderConfigDescriptor >
 *           DecoderSpecificInfo); ISO/IEC 14496-3 1.6.2.1
 *           (AudioSpecificConfig: object type, and the 0x2B7 sync
 *           extension that signals SBR backward-compatibly), 1.A.2.2.1
 *           (the ADTS header's profile).
 *   [FAT]   Microsoft "FAT: General Overview of On-Disk Format" 1.03, long
 *           names: any character but " * / : < > ? \ | and 0x00-0x1F; and
 *           Win32 "Naming Files, Paths, and Namespaces": no trailing dot or
 *           space, and the reserved device names CON, PRN, AUX, NUL,
 *           COM1-COM9, LPT1-LPT9 (also with an extension).
 *
 * Decisions:
 *   - The decoder answers container, codec, rate, channels, bitrate, bit
 *     depth and pictures; the few facts it does not carry (MPEG version,
 *     tag versions) are read here from a handful of bytes at known places,
 *     through a second stream on the same file, so no rule depends on the
 *     demuxer's internals.
 *   - Only the first block of audio is decoded: enough to catch a file that
 *     opens but cannot be decoded, while a two-hour file still checks in
 *     milliseconds. Damage further in is not looked for (documented).
 *   - Tag and picture problems are warnings: the audio plays, only the
 *     title or cover does not show. Everything else is a failure.
 */
#include "engine/device_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/common/mpa_header.h"
#include "container/id3v2.h"
#include "core/alloc.h"
#include "core/reader.h"
#include "engine/cover_art.h"

/* Bytes searched for the first MPEG audio frame after the leading tags. */
#define FIRST_FRAME_SEARCH (64u * 1024u)
/* Leading ID3v2 tags skipped, at most (some files carry two). */
#define MAX_LEADING_TAGS 4
/* Audio frames decoded to prove the file decodes. */
#define DECODE_PROBE_FRAMES 4096u
/* The tail read for ID3v1, APE and appended-ID3v2 footers. */
#define TAIL_BYTES 160u

/* ---- small helpers ------------------------------------------------------- */

const char *segue_check_verdict_name(segue_check_verdict v)
{
    return v == SEGUE_CHECK_FAIL ? "fail" : "warn";
}

static int is_list_separator(char c)
{
    return c == ' ' || c == ',' || c == '\t';
}

/* 1 if the separated list `list` holds `word` (ASCII case-insensitive). */
static int list_has(const char *list, const char *word)
{
    size_t wlen = strlen(word);
    const char *p = list;
    while (*p) {
        while (*p && is_list_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_list_separator(*p))
            p++;
        size_t len = (size_t)(p - start);
        if (len == wlen && len > 0) {
            size_t i = 0;
            while (i < len) {
                char a = start[i], b = word[i];
                if (a >= 'A' && a <= 'Z')
                    a = (char)(a - 'A' + 'a');
                if (b >= 'A' && b <= 'Z')
                    b = (char)(b - 'A' + 'a');
                if (a != b)
                    break;
                i++;
            }
            if (i == len)
                return 1;
        }
    }
    return 0;
}

/* Writes `list` into out with ", " between entries ("32000, 44100, 48000"). */
static void list_render(const char *list, char *out, size_t out_size)
{
    size_t n = 0;
    const char *p = list;
    out[0] = '\0';
    while (*p) {
        while (*p && is_list_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_list_separator(*p))
            p++;
        if (p == start)
            break;
        int w = snprintf(out + n, out_size - n, "%s%.*s", n ? ", " : "", (int)(p - start), start);
        if (w < 0 || (size_t)w >= out_size - n)
            return; /* truncated: the message stays readable */
        n += (size_t)w;
    }
}

/* Each entry of `list` must satisfy accept(); returns the first that does not, or NULL. */
static const char *list_first_bad(const char *list, int (*accept)(const char *word, size_t len),
                                  size_t *bad_len)
{
    const char *p = list;
    while (*p) {
        while (*p && is_list_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_list_separator(*p))
            p++;
        if (p > start && !accept(start, (size_t)(p - start))) {
            *bad_len = (size_t)(p - start);
            return start;
        }
    }
    return NULL;
}

static int word_is(const char *word, size_t len, const char *what)
{
    return strlen(what) == len && memcmp(word, what, len) == 0;
}

static int accept_number(const char *word, size_t len)
{
    if (len == 0 || len > 9)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (word[i] < '0' || word[i] > '9')
            return 0;
    return 1;
}

static int accept_mpeg_version(const char *word, size_t len)
{
    return word_is(word, len, "1") || word_is(word, len, "2") || word_is(word, len, "2.5");
}

static int accept_tag(const char *word, size_t len)
{
    return word_is(word, len, "id3v1") || word_is(word, len, "id3v2.2") ||
           word_is(word, len, "id3v2.3") || word_is(word, len, "id3v2.4") ||
           word_is(word, len, "apev2");
}

static int accept_picture_format(const char *word, size_t len)
{
    return word_is(word, len, "jpeg-baseline") || word_is(word, len, "jpeg") ||
           word_is(word, len, "png");
}

static int accept_aac_profile(const char *word, size_t len)
{
    return word_is(word, len, "main") || word_is(word, len, "lc") || word_is(word, len, "ssr") ||
           word_is(word, len, "ltp") || word_is(word, len, "he") || word_is(word, len, "hev2");
}

static int accept_box_type(const char *word, size_t len)
{
    (void)word;
    return len == 4;
}

/* Parses a whole decimal number up to 999,999,999. */
static int parse_u32(const char *s, uint32_t *out)
{
    size_t len = strlen(s);
    while (len && s[len - 1] == ' ')
        len--;
    if (!accept_number(s, len))
        return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10u + (uint32_t)(s[i] - '0');
    *out = v;
    return 1;
}

/* ---- rules from profiles ------------------------------------------------- */

/* The first profile that has `key`, with the profile it came from. */
static const char *rules_get(const segue_device_rules *r, const char *key, const segue_profile **from)
{
    for (size_t i = 0; i < r->profile_count; i++) {
        const char *v = segue_profile_get(r->profiles[i], key);
        if (v) {
            if (from)
                *from = r->profiles[i];
            return v;
        }
    }
    return NULL;
}

/* "<key>.source" of the profile that supplied `key`. */
static const char *rules_source(const segue_device_rules *r, const char *key)
{
    const segue_profile *from = NULL;
    if (!rules_get(r, key, &from))
        return NULL;
    char source_key[96];
    snprintf(source_key, sizeof source_key, "%s.source", key);
    return segue_profile_get(from, source_key);
}

/* The profile named after the device (psp for "psp") comes first: it is the
 * one that states the whole device, and the others' device keys only fill
 * in what it leaves out. The rest keep the built-in (file name) order. */
size_t segue_device_find_builtin(const char *name, const segue_profile **out, size_t capacity)
{
    size_t found = 0;
    if (!name)
        return 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < segue_profile_count(); i++) {
            const segue_profile *p = segue_profile_at(i);
            const char *dev = p ? segue_profile_get(p, "device") : NULL;
            if (!dev || strcmp(dev, name) != 0 || (strcmp(segue_profile_name(p), name) == 0) != !pass)
                continue;
            if (out && found < capacity)
                out[found] = p;
            found++;
        }
    return found;
}

static segue_status load_list(segue_device_rules *r, const char *key, const char **field,
                              int (*accept)(const char *, size_t), const char *expected,
                              segue_error *err)
{
    const segue_profile *from = NULL;
    const char *v = rules_get(r, key, &from);
    *field = NULL;
    if (!v)
        return SEGUE_OK;
    size_t bad_len = 0;
    const char *bad = accept ? list_first_bad(v, accept, &bad_len) : NULL;
    if (bad)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "%s: %s has '%.*s'; expected %s",
                               segue_profile_name(from), key, (int)bad_len, bad, expected);
    *field = v;
    return SEGUE_OK;
}

static segue_status load_number(segue_device_rules *r, const char *key, uint32_t *field,
                                segue_error *err)
{
    const segue_profile *from = NULL;
    const char *v = rules_get(r, key, &from);
    *field = 0;
    if (!v)
        return SEGUE_OK;
    if (!parse_u32(v, field))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "%s: %s '%s' is not a whole number",
                               segue_profile_name(from), key, v);
    return SEGUE_OK;
}

segue_status segue_device_load(segue_device_rules *r, const char *name,
                               const segue_profile *const *profiles, size_t count, segue_error *err)
{
    if (!r || !name || !profiles)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "device check: NULL argument");
    memset(r, 0, sizeof *r);
    if (count == 0 || count > SEGUE_DEVICE_MAX_PROFILES)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "device %s: %zu profiles (need 1 to %d)", name, count,
                               SEGUE_DEVICE_MAX_PROFILES);
    for (size_t i = 0; i < count; i++) {
        const char *dev = profiles[i] ? segue_profile_get(profiles[i], "device") : NULL;
        if (!dev || strcmp(dev, name) != 0)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "%s: device is '%s', not '%s'",
                                   profiles[i] ? segue_profile_name(profiles[i]) : "(null)",
                                   dev ? dev : "", name);
        r->profiles[i] = profiles[i];
    }
    r->profile_count = count;
    r->name = segue_profile_get(profiles[0], "device");
    r->description = rules_get(r, "device.description", NULL);
    if (!r->description)
        r->description = "";
    r->fix_profile = rules_get(r, "device.fix_profile", NULL);
    if (!r->fix_profile)
        r->fix_profile = segue_profile_name(profiles[0]);

    segue_status st;
    if ((st = load_list(r, "device.containers", &r->containers, NULL, "", err)) < 0 ||
        (st = load_list(r, "device.codecs", &r->codecs, NULL, "", err)) < 0 ||
        (st = load_list(r, "device.mpeg_versions", &r->mpeg_versions, accept_mpeg_version,
                        "1, 2 or 2.5", err)) < 0 ||
        (st = load_list(r, "device.sample_rates", &r->sample_rates, accept_number, "rates in Hz",
                        err)) < 0 ||
        (st = load_list(r, "device.pcm_bits", &r->pcm_bits, accept_number, "bit depths", err)) < 0 ||
        (st = load_list(r, "device.tags", &r->tags, accept_tag,
                        "id3v1, id3v2.2, id3v2.3, id3v2.4 or apev2", err)) < 0 ||
        (st = load_list(r, "device.picture_formats", &r->picture_formats, accept_picture_format,
                        "jpeg-baseline, jpeg or png", err)) < 0 ||
        (st = load_list(r, "device.aac_profiles", &r->aac_profiles, accept_aac_profile,
                        "main, lc, ssr, ltp, he or hev2", err)) < 0 ||
        (st = load_list(r, "device.aac_sample_rates", &r->aac_sample_rates, accept_number,
                        "rates in Hz", err)) < 0 ||
        (st = load_list(r, "device.mp4_boxes", &r->mp4_boxes, accept_box_type,
                        "four-character box types", err)) < 0 ||
        (st = load_number(r, "device.channels_max", &r->channels_max, err)) < 0 ||
        (st = load_number(r, "device.bitrate_min_kbps", &r->bitrate_min_kbps, err)) < 0 ||
        (st = load_number(r, "device.bitrate_max_kbps", &r->bitrate_max_kbps, err)) < 0 ||
        (st = load_number(r, "device.picture_max_width", &r->picture_max_width, err)) < 0 ||
        (st = load_number(r, "device.picture_max_height", &r->picture_max_height, err)) < 0 ||
        (st = load_number(r, "device.filename_max_bytes", &r->filename_max_bytes, err)) < 0)
        return st;
    const segue_profile *from = NULL;
    r->filename_charset = rules_get(r, "device.filename_charset", &from);
    /* "posix" (any byte but '/' and NUL) adds no rule beyond the length. */
    if (r->filename_charset && strcmp(r->filename_charset, "fat") != 0 &&
        strcmp(r->filename_charset, "posix") != 0)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "%s: device.filename_charset '%s': expected fat or posix",
                               segue_profile_name(from), r->filename_charset);
    return SEGUE_OK;
}

/* ---- findings ------------------------------------------------------------ */

static void add_finding(segue_check_report *rep, const segue_device_rules *r, const char *rule,
                        segue_check_verdict verdict, segue_check_remedy remedy,
                        const char *limit_key, const char *fmt, ...) SEGUE_PRINTF(7, 8);

static void add_finding(segue_check_report *rep, const segue_device_rules *r, const char *rule,
                        segue_check_verdict verdict, segue_check_remedy remedy,
                        const char *limit_key, const char *fmt, ...)
{
    if (verdict == SEGUE_CHECK_FAIL)
        rep->plays = 0;
    if (rep->count >= SEGUE_CHECK_MAX_FINDINGS) {
        rep->dropped++;
        return;
    }
    segue_check_finding *f = &rep->findings[rep->count++];
    f->rule = rule;
    f->verdict = verdict;
    f->remedy = remedy;
    f->limit_source = limit_key ? rules_source(r, limit_key) : NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* ---- raw reads ----------------------------------------------------------- */

typedef struct raw_file {
    segue_io io;
    int64_t size;
} raw_file;

/* Reads exactly n bytes at off; 0 or -1. */
static int raw_read_at(raw_file *f, int64_t off, uint8_t *buf, size_t n)
{
    if (off < 0 || f->io.seek(f->io.user, off, SEGUE_SEEK_SET) != 0)
        return -1;
    size_t got = 0;
    while (got < n) {
        long k = f->io.read(f->io.user, buf + got, n - got);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* ---- file name [FAT] ----------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* 1 if s[0..len) is valid UTF-8 (RFC 3629: no overlongs, surrogates or
 * values past U+10FFFF), which a FAT long name (UTF-16) can hold. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || c == 0xc0 || c == 0xc1 || c > 0xf4 || i + n > len)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
        if (n > 1 && ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xf0 && s[i + 1] < 0x90) ||
                      (c == 0xf4 && s[i + 1] > 0x8f) || (c == 0xed && s[i + 1] > 0x9f)))
            return 0;
        i += n;
    }
    return 1;
}

static int reserved_device_name(const char *name)
{
    static const char *const reserved[] = {"CON", "PRN", "AUX", "NUL"};
    size_t stem = strcspn(name, ".");
    char up[8];
    if (stem == 0 || stem >= sizeof up)
        return 0;
    for (size_t i = 0; i < stem; i++) {
        char c = name[i];
        up[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    up[stem] = '\0';
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(up, reserved[i]) == 0)
            return 1;
    return stem == 4 && (memcmp(up, "COM", 3) == 0 || memcmp(up, "LPT", 3) == 0) && up[3] >= '1' &&
           up[3] <= '9';
}

static void check_filename(const char *path, const segue_device_rules *r, segue_check_report *rep)
{
    const char *name = base_name(path);
    size_t len = strlen(name);
    if (r->filename_max_bytes && len > r->filename_max_bytes)
        add_finding(rep, r, "filename_length", SEGUE_CHECK_FAIL, SEGUE_REMEDY_RENAME,
                    "device.filename_max_bytes", "file name is %zu bytes: %s takes at most %u",
                    len, r->name, r->filename_max_bytes);
    if (!r->filename_charset || strcmp(r->filename_charset, "fat") != 0)
        return;
    /* [FAT] long-name characters: collect each illegal one once. */
    char bad[64];
    size_t nbad = 0;
    bad[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        char shown[8];
        if (c < 0x20)
            snprintf(shown, sizeof shown, "\\x%02x", c);
        else if (strchr("\"*:<>?\\|", (int)c))
            snprintf(shown, sizeof shown, "%c", (char)c);
        else
            continue;
        if (strstr(bad, shown))
            continue;
        int w = snprintf(bad + nbad, sizeof bad - nbad, "%s'%s'", nbad ? " " : "", shown);
        if (w > 0 && (size_t)w < sizeof bad - nbad)
            nbad += (size_t)w;
    }
    if (nbad)
        add_finding(rep, r, "filename_chars", SEGUE_CHECK_FAIL, SEGUE_REMEDY_RENAME,
                    "device.filename_charset",
                    "file name '%.80s' has %s: FAT file names cannot hold \" * : < > ? \\ | or "
                    "control characters",
                    name, bad);
    else if (!valid_utf8((const unsigned char *)name, len))
        add_finding(rep, r, "filename_chars", SEGUE_CHECK_FAIL, SEGUE_REMEDY_RENAME,
                    "device.filename_charset",
                    "file name is not valid UTF-8: FAT long names are Unicode text");
    if (len && (name[len - 1] == '.' || name[len - 1] == ' '))
        add_finding(rep, r, "filename_trailing", SEGUE_CHECK_FAIL, SEGUE_REMEDY_RENAME,
                    "device.filename_charset",
                    "file name '%.80s' ends in a %s: FAT drops it, so the copy gets another name",
                    name, name[len - 1] == '.' ? "dot" : "space");
    if (reserved_device_name(name))
        add_finding(rep, r, "filename_reserved", SEGUE_CHECK_FAIL, SEGUE_REMEDY_RENAME,
                    "device.filename_charset",
                    "file name '%.80s' is a reserved device name (CON, PRN, AUX, NUL, COM1-9, "
                    "LPT1-9) that FAT volumes written from Windows refuse",
                    name);
}

/* ---- tags [ID3v2] [ID3v1] [APE] ------------------------------------------ */

/* The tags found in a file, as device.tags tokens, in file order. */
typedef struct tag_scan {
    int64_t audio_start; /* offset after the leading ID3v2 tags */
    size_t count;
    char token[MAX_LEADING_TAGS + 3][16];
    char shown[MAX_LEADING_TAGS + 3][24];
} tag_scan;

static void tag_scan_add(tag_scan *t, const char *token, const char *shown)
{
    if (t->count < sizeof t->token / sizeof t->token[0]) {
        snprintf(t->token[t->count], sizeof t->token[0], "%s", token);
        snprintf(t->shown[t->count], sizeof t->shown[0], "%s", shown);
        t->count++;
    }
}

/* Reads the leading ID3v2 headers and the end of the file. */
static void scan_tags(raw_file *f, tag_scan *t)
{
    int64_t off = 0;
    uint8_t h[SEGUE_ID3V2_HEADER_BYTES];
    memset(t, 0, sizeof *t);
    for (int n = 0; n < MAX_LEADING_TAGS; n++) {
        if (off + SEGUE_ID3V2_HEADER_BYTES > f->size || raw_read_at(f, off, h, sizeof h) != 0)
            break;
        uint64_t tag = memcmp(h, "ID3", 3) == 0 ? segue_id3v2_tag_size(h, sizeof h) : 0;
        if (tag == 0)
            break;
        /* [ID3v2] 3.1: byte 3 is the major version, byte 4 the revision. */
        char token[16], shown[24];
        snprintf(token, sizeof token, "id3v2.%u", (unsigned)h[3]);
        snprintf(shown, sizeof shown, "ID3v2.%u", (unsigned)h[3]);
        tag_scan_add(t, token, shown);
        off += (int64_t)tag;
    }
    t->audio_start = off;

    uint8_t tail[TAIL_BYTES];
    size_t tail_len = f->size < (int64_t)TAIL_BYTES ? (size_t)f->size : TAIL_BYTES;
    if (tail_len < 10 || raw_read_at(f, f->size - (int64_t)tail_len, tail, tail_len) != 0)
        return;
    size_t end = tail_len;
    if (end >= 128 && memcmp(tail + end - 128, "TAG", 3) == 0) {
        tag_scan_add(t, "id3v1", "ID3v1");
        end -= 128;
    }
    /* [APE] footer, else [ID3v2] 3.4 footer of an appended tag. */
    if (end >= 32 && memcmp(tail + end - 32, "APETAGEX", 8) == 0)
        tag_scan_add(t, "apev2", "APEv2");
    else if (end >= 10 && memcmp(tail + end - 10, "3DI", 3) == 0)
        tag_scan_add(t, "id3v2.4", "appended ID3v2.4");
}

static void check_tags(const tag_scan *t, const segue_device_rules *r, segue_check_report *rep)
{
    if (!r->tags)
        return;
    char allowed[128];
    list_render(r->tags, allowed, sizeof allowed);
    for (size_t i = 0; i < t->count; i++)
        if (!list_has(r->tags, t->token[i]))
            add_finding(rep, r, "tag_version", SEGUE_CHECK_WARN, SEGUE_REMEDY_CONVERT, "device.tags",
                        "%s tag: %s reads only %s tags, so title and artist will not show",
                        t->shown[i], r->name, allowed);
}

/* ---- MPEG audio [ISO3] --------------------------------------------------- */

/* Finds the first frame header whose successor also parses with the same
 * version, layer and rate (or that is free format), from `start`. Returns 0
 * and fills *h, or -1. */
static int first_mpeg_frame(raw_file *f, int64_t start, const segue_allocator *a,
                            segue_mpa_header *h)
{
    if (start >= f->size)
        return -1;
    int64_t avail = f->size - start;
    size_t n = avail < (int64_t)FIRST_FRAME_SEARCH ? (size_t)avail : FIRST_FRAME_SEARCH;
    uint8_t *buf = segue_mem_alloc(a, n);
    if (!buf || raw_read_at(f, start, buf, n) != 0) {
        segue_mem_free(a, buf);
        return -1;
    }
    int found = -1;
    for (size_t i = 0; i + 4 <= n && found < 0; i++) {
        if (buf[i] != 0xff || segue_mpa_header_parse(buf + i, h) != 0)
            continue;
        if (h->frame_bytes == 0) {
            found = 0;
            break;
        }
        size_t next = i + h->frame_bytes;
        segue_mpa_header h2;
        if (next + 4 > n) {
            found = next >= n ? 0 : -1; /* the last frame in the search window */
            continue;
        }
        if (segue_mpa_header_parse(buf + next, &h2) == 0 && h2.version == h->version &&
            h2.layer == h->layer && h2.sample_rate == h->sample_rate)
            found = 0;
    }
    segue_mem_free(a, buf);
    return found;
}

static const char *mpeg_version_token(int version)
{
    return version == 1 ? "1" : version == 2 ? "2" : "2.5";
}

/* ---- AAC in MP4 or ADTS [MP4] --------------------------------------------- */

/* The moov read to find the AudioSpecificConfig, at most (covers included). */
#define MP4_MOOV_MAX (64u * 1024u * 1024u)
/* Distinct top-level box types remembered (a real file has four or five). */
#define MP4_MAX_TOP_TYPES 16
/* Top-level boxes walked, at most: a file with more is not one to play. */
#define MP4_MAX_TOP_BOXES 4096

typedef struct aac_scan {
    int is_mp4;  /* the file starts with an 'ftyp' box */
    size_t type_count;
    char types[MP4_MAX_TOP_TYPES][5]; /* top-level box types, each once, file order */
    int aot;     /* audio object type, SBR/PS promoted to 5/29; 0 if not found */
} aac_scan;

typedef struct bit_span {
    const uint8_t *p;
    size_t n, pos; /* in bits */
} bit_span;

static uint32_t bits_get(bit_span *b, unsigned k)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < k; i++, b->pos++)
        v = v << 1 | (b->pos < b->n ? (uint32_t)(b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1u : 0u);
    return v;
}

static size_t bits_left(const bit_span *b) { return b->pos < b->n ? b->n - b->pos : 0; }

static unsigned asc_object_type(bit_span *b)
{
    unsigned aot = bits_get(b, 5);
    return aot == 31 ? 32 + bits_get(b, 6) : aot;
}

static void asc_skip_rate(bit_span *b)
{
    if (bits_get(b, 4) == 15)
        bits_get(b, 24);
}

/* The object type an AudioSpecificConfig (14496-3 1.6.2.1) describes, with
 * SBR (5) and PS (29) reported whether signalled explicitly (object type 5
 * or 29 first) or backward-compatibly (the 0x2B7 / 0x548 sync extensions
 * after an AAC-LC GASpecificConfig, 1.6.5.2 and 1.6.6). */
static int asc_profile(const uint8_t *p, size_t n)
{
    bit_span b = {p, n * 8, 0};
    unsigned aot = asc_object_type(&b);
    if (aot == 5 || aot == 29)
        return (int)aot;
    asc_skip_rate(&b);
    unsigned chan = bits_get(&b, 4);
    if (aot < 1 || aot > 4 || chan == 0)
        return (int)aot; /* no GASpecificConfig to step over here */
    bits_get(&b, 1);          /* frameLengthFlag */
    if (bits_get(&b, 1))      /* dependsOnCoreCoder */
        bits_get(&b, 14);
    bits_get(&b, 1);          /* extensionFlag (0 for object types 1-4) */
    if (bits_left(&b) >= 16 && bits_get(&b, 11) == 0x2B7 && asc_object_type(&b) == 5 &&
        bits_get(&b, 1)) {
        asc_skip_rate(&b);
        if (bits_left(&b) >= 12 && bits_get(&b, 11) == 0x548 && bits_get(&b, 1))
            return 29;
        return 5;
    }
    return (int)aot;
}

/* Reads a box header at `off` inside [off, end): type and total size. */
static int box_at(const uint8_t *p, size_t off, size_t end, char type[5], size_t *size, size_t *hdr)
{
    if (end - off < 8)
        return 0;
    uint64_t sz = (uint64_t)p[off] << 24 | (uint64_t)p[off + 1] << 16 | (uint64_t)p[off + 2] << 8 | p[off + 3];
    *hdr = 8;
    if (sz == 1) {
        if (end - off < 16)
            return 0;
        sz = 0;
        for (size_t i = 0; i < 8; i++)
            sz = sz << 8 | p[off + 8 + i];
        *hdr = 16;
    } else if (sz == 0) {
        sz = end - off;
    }
    if (sz < *hdr || sz > end - off)
        return 0;
    memcpy(type, p + off + 4, 4);
    type[4] = '\0';
    *size = (size_t)sz;
    return 1;
}

/* The body [*start, *end) of the first child `type` of [start, end). */
static int child(const uint8_t *p, size_t *start, size_t *end, const char *type)
{
    size_t off = *start;
    char t[5];
    size_t size, hdr;
    while (off < *end && box_at(p, off, *end, t, &size, &hdr)) {
        if (memcmp(t, type, 4) == 0) {
            *start = off + hdr;
            *end = off + size;
            return 1;
        }
        off += size;
    }
    return 0;
}

/* An MPEG-4 descriptor header (14496-1 8.3.3): tag, 1-4 size bytes. */
static int descriptor(const uint8_t *p, size_t *off, size_t end, unsigned tag, size_t *len)
{
    if (*off >= end || p[*off] != tag)
        return 0;
    size_t o = *off + 1, n = 0;
    for (int i = 0; i < 4; i++) {
        if (o >= end)
            return 0;
        uint8_t c = p[o++];
        n = n << 7 | (c & 0x7Fu);
        if (!(c & 0x80))
            break;
    }
    if (n > end - o)
        return 0;
    *off = o;
    *len = n;
    return 1;
}

/* The AudioSpecificConfig of the first 'mp4a' track in a moov. */
static int moov_profile(const uint8_t *p, size_t n)
{
    size_t off = 0;
    char t[5];
    size_t size, hdr;
    while (off < n && box_at(p, off, n, t, &size, &hdr)) {
        size_t s = off + hdr, e = off + size;
        off += size;
        if (memcmp(t, "trak", 4) != 0 || !child(p, &s, &e, "mdia") || !child(p, &s, &e, "minf") ||
            !child(p, &s, &e, "stbl") || !child(p, &s, &e, "stsd") || e - s < 8)
            continue;
        s += 8; /* version/flags, entry_count */
        size_t es, eh;
        if (!box_at(p, s, e, t, &es, &eh) || memcmp(t, "mp4a", 4) != 0)
            continue;
        /* AudioSampleEntry: 28 bytes after the header; QuickTime sound
         * description versions 1 and 2 add 16 and 36. */
        size_t body = s + eh, stop = s + es;
        if (stop - body < 28)
            continue;
        unsigned version = (unsigned)p[body + 8] << 8 | p[body + 9];
        body += 28 + (version == 1 ? 16u : version == 2 ? 36u : 0u);
        if (body > stop || !child(p, &body, &stop, "esds") || stop - body < 4)
            continue;
        size_t d = body + 4, len;
        if (!descriptor(p, &d, stop, 0x03, &len) || len < 3)
            continue;
        size_t dend = d + len;
        uint8_t flags = p[d + 2];
        d += 3 + (flags & 0x80 ? 2u : 0u);
        if ((flags & 0x40) && d < dend)
            d += 1u + p[d];
        d += flags & 0x20 ? 2u : 0u;
        if (d > dend || !descriptor(p, &d, dend, 0x04, &len) || len < 13)
            continue;
        dend = d + len;
        d += 13;
        if (!descriptor(p, &d, dend, 0x05, &len) || len < 2)
            continue;
        return asc_profile(p + d, len);
    }
    return 0;
}

/* Top-level boxes and the AAC object type of an MP4 file, or the profile of
 * an ADTS stream's first header. Reads a few bytes and the moov. */
static void scan_aac(raw_file *f, int64_t audio_start, const segue_allocator *a, aac_scan *s)
{
    memset(s, 0, sizeof s[0]);
    uint8_t h[16];
    if (f->size >= 8 && raw_read_at(f, 0, h, 8) == 0 && memcmp(h + 4, "ftyp", 4) == 0) {
        s->is_mp4 = 1;
    } else {
        /* 1.A.2.2.1: sync 0xFFF, layer 00; profile_ObjectType = object type - 1. */
        if (audio_start + 7 <= f->size && raw_read_at(f, audio_start, h, 7) == 0 && h[0] == 0xFF &&
            (h[1] & 0xF6) == 0xF0)
            s->aot = (h[2] >> 6) + 1;
        return;
    }
    int64_t off = 0, moov_at = -1;
    uint64_t moov_size = 0;
    for (int n = 0; n < MP4_MAX_TOP_BOXES && off + 8 <= f->size; n++) {
        if (raw_read_at(f, off, h, off + 16 <= f->size ? 16 : 8) != 0)
            break;
        uint64_t size = segue_rb32(h), hdr = 8;
        if (size == 1) {
            if (off + 16 > f->size)
                break;
            size = (uint64_t)segue_rb32(h + 8) << 32 | segue_rb32(h + 12);
            hdr = 16;
        } else if (size == 0) {
            size = (uint64_t)(f->size - off);
        }
        if (size < hdr || size > (uint64_t)(f->size - off))
            break;
        char t[5];
        memcpy(t, h + 4, 4);
        t[4] = '\0';
        size_t k = 0;
        while (k < s->type_count && strcmp(s->types[k], t) != 0)
            k++;
        if (k == s->type_count && k < MP4_MAX_TOP_TYPES)
            memcpy(s->types[s->type_count++], t, 5);
        if (memcmp(t, "moov", 4) == 0 && moov_at < 0) {
            moov_at = off + (int64_t)hdr;
            moov_size = size - hdr;
        }
        off += (int64_t)size;
    }
    if (moov_at < 0 || moov_size == 0 || moov_size > MP4_MOOV_MAX)
        return;
    uint8_t *moov = segue_mem_alloc(a, (size_t)moov_size);
    if (!moov)
        return;
    if (raw_read_at(f, moov_at, moov, (size_t)moov_size) == 0)
        s->aot = moov_profile(moov, (size_t)moov_size);
    segue_mem_free(a, moov);
}

static const char *aac_profile_token(int aot)
{
    switch (aot) {
    case 1: return "main";
    case 2: return "lc";
    case 3: return "ssr";
    case 4: return "ltp";
    case 5: return "he";
    case 29: return "hev2";
    default: return NULL;
    }
}

static const char *aac_profile_shown(int aot)
{
    switch (aot) {
    case 1: return "AAC Main";
    case 2: return "AAC-LC";
    case 3: return "AAC SSR";
    case 4: return "AAC LTP";
    case 5: return "HE-AAC (SBR)";
    case 29: return "HE-AAC v2 (SBR + PS)";
    default: return "MPEG-4 audio";
    }
}

/* The AAC object type and the MP4 box rules; `aac` when the stream is AAC
 * (or the decoder refused an MP4/ADTS stream whose object type is known). */
static void check_aac(const aac_scan *s, int aac, int decodable, const segue_device_rules *r,
                      segue_check_report *rep)
{
    char allowed[160];
    if (aac && s->aot && r->aac_profiles) {
        const char *token = aac_profile_token(s->aot);
        if (!token || !list_has(r->aac_profiles, token)) {
            list_render(r->aac_profiles, allowed, sizeof allowed);
            /* A stream segue cannot decode cannot be converted either. */
            add_finding(rep, r, "aac_profile", SEGUE_CHECK_FAIL,
                        decodable ? SEGUE_REMEDY_CONVERT : SEGUE_REMEDY_NONE, "device.aac_profiles",
                        "%s audio (object type %d): %s plays AAC %s only%s",
                        aac_profile_shown(s->aot), s->aot, r->name, allowed,
                        decodable ? "" : " (and segue cannot decode it to convert it)");
        }
    }
    if (!s->is_mp4 || !r->mp4_boxes)
        return;
    list_render(r->mp4_boxes, allowed, sizeof allowed);
    for (size_t i = 0; i < s->type_count; i++) {
        if (list_has(r->mp4_boxes, s->types[i]))
            continue;
        char shown[8];
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s->types[i][k];
            shown[k] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        }
        shown[4] = '\0';
        add_finding(rep, r, "mp4_boxes", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT, "device.mp4_boxes",
                    "MP4 box '%s' at the top level%s: %s reads files of %s boxes only", shown,
                    strcmp(shown, "moof") == 0 ? " (a fragmented file)" : "", r->name, allowed);
    }
}

/* ---- pictures ------------------------------------------------------------ */

static void check_pictures(const segue_metadata *m, const segue_device_rules *r,
                           segue_check_report *rep)
{
    size_t np = segue_metadata_picture_count(m);
    for (size_t i = 0; i < np; i++) {
        segue_picture pic;
        if (segue_metadata_picture_at(m, i, &pic) != SEGUE_OK)
            continue;
        segue_picture_facts facts;
        memset(&facts, 0, sizeof facts);
        segue_status st = segue_picture_inspect(pic.data, pic.size, &facts);
        if (st < 0) {
            if (r->picture_formats)
                add_finding(rep, r, "picture_format", SEGUE_CHECK_WARN, SEGUE_REMEDY_CONVERT,
                            "device.picture_formats",
                            "picture %zu (%.40s, %zu bytes) is neither a readable JPEG nor PNG: "
                            "%s will not show it",
                            i + 1, pic.mime ? pic.mime : "?", pic.size, r->name);
            continue;
        }
        const char *format = facts.is_png ? "png" : facts.progressive ? "jpeg-progressive" : "jpeg-baseline";
        const char *shown = facts.is_png ? "PNG" : facts.progressive ? "progressive JPEG" : "baseline JPEG";
        int format_ok = !r->picture_formats || list_has(r->picture_formats, format) ||
                        (facts.is_jpeg && list_has(r->picture_formats, "jpeg"));
        if (!format_ok) {
            char allowed[96];
            list_render(r->picture_formats, allowed, sizeof allowed);
            add_finding(rep, r, "picture_format", SEGUE_CHECK_WARN, SEGUE_REMEDY_CONVERT,
                        "device.picture_formats", "picture %zu is a %s: %s shows only %s", i + 1,
                        shown, r->name, allowed);
        }
        if ((r->picture_max_width && facts.width > r->picture_max_width) ||
            (r->picture_max_height && facts.height > r->picture_max_height))
            add_finding(rep, r, "picture_size", SEGUE_CHECK_WARN, SEGUE_REMEDY_CONVERT,
                        "device.picture_max_width", "picture %zu is %ux%u pixels: %s shows at most %ux%u",
                        i + 1, facts.width, facts.height, r->name, r->picture_max_width,
                        r->picture_max_height);
    }
}

/* ---- the stream ---------------------------------------------------------- */

static void check_stream(const segue_stream_info *in, raw_file *f, int64_t audio_start,
                         const segue_device_rules *r, const segue_allocator *a,
                         segue_check_report *rep)
{
    char allowed[160];
    const char *container = in->container ? in->container : "unknown";
    const char *codec = in->codec ? in->codec : "unknown";
    /* The MP4 demuxer names its container "mp4"; profiles and the muxer
     * call the audio-only file "m4a": either name in the list admits it. */
    int mp4_alias = strcmp(container, "mp4") == 0 && r->containers && list_has(r->containers, "m4a");
    if (r->containers && !list_has(r->containers, container) && !mp4_alias) {
        list_render(r->containers, allowed, sizeof allowed);
        add_finding(rep, r, "container", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT, "device.containers",
                    "container %s: %s plays %s files", container, r->name, allowed);
    }
    if (r->codecs && !list_has(r->codecs, codec)) {
        list_render(r->codecs, allowed, sizeof allowed);
        add_finding(rep, r, "codec", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT, "device.codecs",
                    "codec %s: %s plays %s", codec, r->name, allowed);
    }
    int is_mpeg = strcmp(codec, "mp3") == 0 || strcmp(codec, "mp2") == 0 || strcmp(codec, "mp1") == 0;
    if (is_mpeg && r->mpeg_versions) {
        segue_mpa_header h;
        if (first_mpeg_frame(f, audio_start, a, &h) == 0 &&
            !list_has(r->mpeg_versions, mpeg_version_token(h.version))) {
            list_render(r->mpeg_versions, allowed, sizeof allowed);
            int several = strchr(allowed, ',') != NULL;
            add_finding(rep, r, "mpeg_version", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT,
                        "device.mpeg_versions", "MPEG-%s layer %d audio: %s plays %s%s%s",
                        mpeg_version_token(h.version), h.layer, r->name,
                        several ? "MPEG versions " : "MPEG-", allowed, several ? "" : " only");
        }
    }
    char rate[16];
    snprintf(rate, sizeof rate, "%u", in->sample_rate);
    int aac_rates = strcmp(codec, "aac") == 0 && r->aac_sample_rates;
    const char *rates = aac_rates ? r->aac_sample_rates : r->sample_rates;
    if (rates && !list_has(rates, rate)) {
        list_render(rates, allowed, sizeof allowed);
        add_finding(rep, r, "sample_rate", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT,
                    aac_rates ? "device.aac_sample_rates" : "device.sample_rates",
                    "sample rate %u Hz: %s plays %s%s Hz", in->sample_rate, r->name,
                    aac_rates ? "AAC at " : "", allowed);
    }
    if (r->channels_max && in->channels > r->channels_max)
        add_finding(rep, r, "channels", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT, "device.channels_max",
                    "%u channels: %s plays at most %u", in->channels, r->name, r->channels_max);
    /* A lossy stream's bitrate; PCM and FLAC rates follow from rate and depth. */
    int lossy = strcmp(codec, "pcm") != 0 && strcmp(codec, "flac") != 0;
    uint32_t kbps = (in->bitrate + 500u) / 1000u;
    if (lossy && in->bitrate &&
        ((r->bitrate_min_kbps && kbps < r->bitrate_min_kbps) ||
         (r->bitrate_max_kbps && kbps > r->bitrate_max_kbps)))
        add_finding(rep, r, "bitrate", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT,
                    kbps < r->bitrate_min_kbps ? "device.bitrate_min_kbps" : "device.bitrate_max_kbps",
                    "bitrate %u kbit/s: %s plays %u to %u kbit/s", kbps, r->name,
                    r->bitrate_min_kbps, r->bitrate_max_kbps);
    if (strcmp(codec, "pcm") == 0 && r->pcm_bits) {
        unsigned bits = segue_sample_format_bits(in->source_format);
        char depth[16];
        snprintf(depth, sizeof depth, "%u", bits);
        int is_float = in->source_format == SEGUE_SAMPLE_F32 || in->source_format == SEGUE_SAMPLE_F64;
        if (is_float || !list_has(r->pcm_bits, depth)) {
            list_render(r->pcm_bits, allowed, sizeof allowed);
            add_finding(rep, r, "pcm_bits", SEGUE_CHECK_FAIL, SEGUE_REMEDY_CONVERT, "device.pcm_bits",
                        "%u-bit %s PCM: %s plays %s-bit integer PCM", bits,
                        is_float ? "float" : "integer", r->name, allowed);
        }
    }
}

/* The decoder refused the stream: if it is AAC of an object type the scan
 * can name (HE-AAC in MP4 or ADTS), report the AAC and box rules instead
 * of "unreadable". Returns 1 when it did. */
static int refused_aac(raw_file *f, const segue_allocator *a, const segue_device_rules *r,
                       segue_check_report *rep)
{
    aac_scan s;
    scan_aac(f, 0, a, &s);
    if (!s.aot || s.aot == 2)
        return 0;
    size_t before = rep->count;
    check_aac(&s, 1, 0, r, rep);
    return rep->count > before;
}

segue_status segue_device_check_path(const char *path, const segue_device_rules *r,
                                     const segue_allocator *allocator, segue_check_report *rep,
                                     segue_error *err)
{
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->plays = 1;
    }
    if (!path || !r || !rep || !r->name)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "device check: NULL argument");
    if (strcmp(path, "-") == 0)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                               "device check needs a file name, not standard input");
    check_filename(path, r, rep);

    raw_file f;
    memset(&f, 0, sizeof f);
    errno = 0;
    if (segue_io_from_path(&f.io, path) != SEGUE_OK || !f.io.seek || !f.io.tell) {
        int e = errno;
        if (f.io.close)
            f.io.close(f.io.user);
        add_finding(rep, r, "readable", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL,
                    "cannot open the file: %s", e ? strerror(e) : "not a regular file");
        return SEGUE_OK;
    }
    if (f.io.seek(f.io.user, 0, SEGUE_SEEK_END) != 0 || (f.size = f.io.tell(f.io.user)) < 0) {
        f.io.close(f.io.user);
        add_finding(rep, r, "readable", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL,
                    "cannot read the file's length");
        return SEGUE_OK;
    }
    if (f.size == 0) {
        f.io.close(f.io.user);
        add_finding(rep, r, "readable", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL,
                    "the file is empty (0 bytes): there is nothing to play");
        return SEGUE_OK;
    }

    segue_io dio;
    segue_status st = segue_io_from_path(&dio, path);
    segue_decoder *d = NULL;
    if (st == SEGUE_OK) {
        segue_decoder_config cfg;
        segue_decoder_config_default(&cfg);
        cfg.allocator = allocator;
        st = segue_decoder_open(&d, &dio, &cfg);
    }
    if (st == SEGUE_ERR_NO_MEMORY) {
        segue_decoder_destroy(d);
        f.io.close(f.io.user);
        return segue_error_set(err, st, "device check: out of memory opening %s", path);
    }
    if (st == SEGUE_OK) {
        /* Decode the first block: a file that opens but will not decode
         * fails here rather than on the device. */
        const segue_stream_info *in = segue_decoder_info(d);
        float *pcm = in->channels ? segue_mem_calloc(allocator, (size_t)DECODE_PROBE_FRAMES * in->channels,
                                                     sizeof *pcm)
                                  : NULL;
        if (in->channels && !pcm) {
            segue_decoder_destroy(d);
            f.io.close(f.io.user);
            return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "device check: out of memory");
        }
        size_t got = 0;
        segue_status rd = pcm ? segue_decoder_read_f32(d, pcm, DECODE_PROBE_FRAMES, &got) : SEGUE_OK;
        segue_mem_free(allocator, pcm);
        if (rd < 0) {
            add_finding(rep, r, "readable", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL,
                        "the audio is damaged: %s", segue_decoder_last_error(d));
        } else {
            tag_scan tags;
            scan_tags(&f, &tags);
            check_stream(in, &f, tags.audio_start, r, allocator, rep);
            aac_scan aac;
            scan_aac(&f, tags.audio_start, allocator, &aac);
            check_aac(&aac, in->codec && strcmp(in->codec, "aac") == 0, 1, r, rep);
            check_tags(&tags, r, rep);
            check_pictures(segue_decoder_metadata(d), r, rep);
        }
    } else if (st == SEGUE_ERR_DRM) {
        add_finding(rep, r, "drm", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL,
                    "the file is DRM-protected (%s): segue cannot check or convert it",
                    segue_decoder_last_error(d));
    } else if (st == SEGUE_ERR_UNSUPPORTED && refused_aac(&f, allocator, r, rep)) {
        /* An AAC profile segue does not decode (HE-AAC): said as the
         * device rule it breaks, which conversion fixes. */
    } else {
        const char *detail = d ? segue_decoder_last_error(d) : "";
        add_finding(rep, r, "readable", SEGUE_CHECK_FAIL, SEGUE_REMEDY_NONE, NULL, "%s%s%s",
                    st == SEGUE_ERR_UNKNOWN_FORMAT ? "not an audio file segue recognises"
                    : st == SEGUE_ERR_CORRUPT      ? "the file is damaged"
                    : st == SEGUE_ERR_UNSUPPORTED  ? "a format or feature segue cannot read"
                                                   : segue_status_str(st),
                    *detail ? ": " : "", detail);
    }
    segue_decoder_destroy(d);
    f.io.close(f.io.user);
    return SEGUE_OK;
}
