/*
 * engine/batch.c - the batch runner (engine/batch.h; docs/batch.md).
 *
 * Flow of segue_batch_run():
 *   1. lock DST (fcntl lock on DST/.segue-lock: one run per destination),
 *      remove stale temp files of earlier runs, load the manifest;
 *   2. walk SRC in byte order, deciding each output name (name mapping and
 *      collision numbering are deterministic because the walk is sorted);
 *   3. workers take files one at a time: up-to-date check (the record's
 *      size and mtime against a stat), else hash and convert into a
 *      hidden temp file, fsync, rename, fsync the folder;
 *   4. the calling thread collects results, appends each new record to the
 *      manifest (fsync'd, so a killed run keeps its finished work), calls
 *      the callbacks, and at the end rewrites the manifest compactly.
 */
#include "engine/batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <segue/segue.h>

#include "core/alloc.h"
#include "engine/sha256.h"

#define MANIFEST_MAX_BYTES ((size_t)1 << 30) /* beyond this: not ours, ignore */
#define WALK_MAX_DEPTH 256
#define HASH_CHUNK 65536

/* ---- small helpers ------------------------------------------------------- */

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* strerror() is not thread-safe; the XSI strerror_r is. */
static void errno_text(int errnum, char *buf, size_t size)
{
    if (strerror_r(errnum, buf, size) != 0)
        snprintf(buf, size, "error %d", errnum);
}

static char *path_join(const char *a, const char *b)
{
    if (!a || !*a)
        return segue_mem_strdup(NULL, b);
    if (!b || !*b)
        return segue_mem_strdup(NULL, a);
    size_t la = strlen(a), lb = strlen(b);
    char *p = segue_mem_alloc(NULL, la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* Growable byte buffer. */
static segue_status buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 256;
        while (want < *len + n + 1)
            want *= 2;
        char *grown = segue_mem_realloc(NULL, *buf, *cap, want);
        if (!grown)
            return SEGUE_ERR_NO_MEMORY;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return SEGUE_OK;
}

static segue_status buf_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    SEGUE_PRINTF(4, 5);
static segue_status buf_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return SEGUE_ERR_INTERNAL;
    return buf_append(buf, len, cap, tmp, (size_t)n);
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

const char *segue_batch_status_name(segue_batch_status status)
{
    switch (status) {
    case SEGUE_BATCH_CONVERTED: return "converted";
    case SEGUE_BATCH_UP_TO_DATE: return "up-to-date";
    case SEGUE_BATCH_IGNORED: return "ignored";
    case SEGUE_BATCH_FAILED: return "failed";
    case SEGUE_BATCH_WOULD_CONVERT: return "would-convert";
    case SEGUE_BATCH_CANCELLED: return "cancelled";
    case SEGUE_BATCH_DELETED: return "deleted";
    case SEGUE_BATCH_WOULD_DELETE: return "would-delete";
    }
    return "unknown";
}

/* ---- ignored names ------------------------------------------------------- */

/* Extensions that are clearly not audio: cover art, text, playlists, cue
 * sheets, rip logs, documents and OS clutter. docs/batch.md repeats this
 * list; keep the two in step. Anything else is attempted. */
static const char *const ignored_extensions[] = {
    "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "ico", "heic",
    "txt", "nfo", "md", "rtf", "doc", "docx", "pdf", "htm", "html", "xml", "json",
    "cue", "log", "accurip", "sfv", "md5", "sha1", "sha256", "ffp", "par2",
    "m3u", "m3u8", "pls", "xspf", "wpl",
    "db", "ini", "lnk", "url", "torrent", "nzb", "zip", "rar", "7z",
};

int segue_batch_is_ignored_name(const char *name, const char **why)
{
    /* Finder and Windows clutter, whole names. */
    static const char *const ignored_names[] = {".DS_Store", "Thumbs.db", "desktop.ini", ".directory"};
    for (size_t i = 0; i < sizeof ignored_names / sizeof ignored_names[0]; i++)
        if (ascii_casecmp(name, ignored_names[i]) == 0) {
            *why = "operating system file";
            return 1;
        }
    /* "._name": AppleDouble resource forks copied from a Mac. */
    if (name[0] == '.' && name[1] == '_') {
        *why = "AppleDouble resource fork";
        return 1;
    }
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return 0;
    for (size_t i = 0; i < sizeof ignored_extensions / sizeof ignored_extensions[0]; i++)
        if (ascii_casecmp(dot + 1, ignored_extensions[i]) == 0) {
            *why = "not audio (by extension)";
            return 1;
        }
    return 0;
}

/* ---- name mapping -------------------------------------------------------- */

segue_status segue_batch_naming_from_profile(const segue_profile *profile, segue_batch_naming *naming,
                                             segue_error *err)
{
    naming->fat = 0;
    naming->max_component_bytes = 255;
    naming->max_path_bytes = 0;
    if (!profile)
        return SEGUE_OK;
    const char *charset = segue_profile_get(profile, "filename_charset");
    if (charset) {
        if (strcmp(charset, "fat") == 0)
            naming->fat = 1;
        else if (strcmp(charset, "utf-8") != 0 && strcmp(charset, "utf8") != 0 &&
                 strcmp(charset, "posix") != 0)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "profile: filename_charset '%s' is not fat, utf-8 or posix", charset);
    }
    const char *keys[2] = {"filename_max_bytes", "path_max_bytes"};
    size_t *dest[2] = {&naming->max_component_bytes, &naming->max_path_bytes};
    for (int k = 0; k < 2; k++) {
        const char *v = segue_profile_get(profile, keys[k]);
        if (!v)
            continue;
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        /* A component must hold at least "a (99).ext"-sized names. */
        if (errno || end == v || *end || v[0] == '-' || x < 16 || x > 65535)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "profile: %s '%s' is not a number in 16..65535", keys[k], v);
        *dest[k] = (size_t)x;
    }
    return SEGUE_OK;
}

/* The largest length <= max that does not cut a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

/* FAT/VFAT: these characters and controls are not allowed in names. */
static int fat_illegal(unsigned char c)
{
    return c < 0x20 || c == 0x7F || strchr("<>:\"/\\|?*", c) != NULL;
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9: reserved as the part before the first
 * dot, whatever the case ("con.mp3" is as reserved as "CON"). */
static int fat_reserved(const char *name, size_t len)
{
    size_t base = 0;
    while (base < len && name[base] != '.')
        base++;
    static const char *const three[] = {"con", "prn", "aux", "nul"};
    char lower[5] = {0};
    if (base != 3 && base != 4)
        return 0;
    for (size_t i = 0; i < base; i++)
        lower[i] = (char)ascii_lower((unsigned char)name[i]);
    if (base == 3) {
        for (int i = 0; i < 4; i++)
            if (memcmp(lower, three[i], 3) == 0)
                return 1;
        return 0;
    }
    return (memcmp(lower, "com", 3) == 0 || memcmp(lower, "lpt", 3) == 0) && lower[3] >= '1' &&
           lower[3] <= '9';
}

static size_t strip_trailing_dots_spaces(char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '.' || s[len - 1] == ' '))
        len--;
    return len;
}

segue_status segue_batch_map_name(const segue_batch_naming *naming, const char *name,
                                  const char *new_extension, unsigned collision, char *out,
                                  size_t out_size)
{
    size_t max = naming->max_component_bytes;
    if (max == 0 || out_size < max + 1)
        return SEGUE_ERR_INVALID_ARGUMENT;
    /* Stem: the name without its extension when one is replaced. A leading
     * dot starts a hidden name, not an extension. */
    size_t stem_len = strlen(name);
    if (new_extension) {
        const char *dot = strrchr(name, '.');
        if (dot && dot != name)
            stem_len = (size_t)(dot - name);
    }
    char suffix[32] = "";
    if (collision >= 2)
        snprintf(suffix, sizeof suffix, " (%u)", collision);
    char ext[80] = "";
    if (new_extension) {
        int n = snprintf(ext, sizeof ext, ".%s", new_extension);
        if (n < 0 || (size_t)n >= sizeof ext)
            return SEGUE_ERR_INVALID_ARGUMENT;
    }
    size_t tail_len = strlen(suffix) + strlen(ext);
    if (tail_len + 1 > max)
        return SEGUE_ERR_INVALID_ARGUMENT;

    /* Copy the stem, replacing what FAT refuses by '_' (one per byte). */
    size_t keep = utf8_cut(name, stem_len, max - tail_len);
    size_t len = 0;
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)name[i];
        out[len++] = naming->fat && fat_illegal(c) ? '_' : (char)c;
    }
    if (naming->fat) {
        /* Windows drops trailing dots and spaces of a name; a stem ending
         * in them would collide or vanish. */
        len = strip_trailing_dots_spaces(out, len);
        if (fat_reserved(out, len) && len + 1 + tail_len <= max) {
            /* "CON" -> "CON_": no longer a device name. */
            size_t base = 0;
            while (base < len && out[base] != '.')
                base++;
            memmove(out + base + 1, out + base, len - base);
            out[base] = '_';
            len++;
        }
    }
    if (len == 0)
        out[len++] = '_';
    memcpy(out + len, suffix, strlen(suffix));
    len += strlen(suffix);
    memcpy(out + len, ext, strlen(ext));
    len += strlen(ext);
    out[len] = '\0';
    if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        out[0] = '_';
    return SEGUE_OK;
}

/* ---- manifest ------------------------------------------------------------ */
/*
 * Text, UTF-8, one record a line (docs/batch.md "Manifest"):
 *   segue-manifest 1
 *   OUTPUT \t INPUT \t SIZE \t MTIME_NS \t SHA256 \t PROFILE_DIGEST \t VERSION \t OUTPUT_SIZE \t CHECK
 * Paths escape '\\', tab, CR, LF and other control bytes as \\, \t, \r, \n
 * and \xHH. CHECK is the first 8 hex digits of the SHA-256 of the line up
 * to (not including) its last tab: a flipped byte makes the line, and so
 * the manifest, untrusted.
 */

static const char manifest_header[] = "segue-manifest 1\n";

const char *segue_batch_manifest_header(void)
{
    return manifest_header;
}

static segue_status append_escaped(char **buf, size_t *len, size_t *cap, const char *s)
{
    segue_status st = SEGUE_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && st == SEGUE_OK; p++) {
        char esc[5];
        if (*p == '\\')
            st = buf_append(buf, len, cap, "\\\\", 2);
        else if (*p == '\t')
            st = buf_append(buf, len, cap, "\\t", 2);
        else if (*p == '\n')
            st = buf_append(buf, len, cap, "\\n", 2);
        else if (*p == '\r')
            st = buf_append(buf, len, cap, "\\r", 2);
        else if (*p < 0x20 || *p == 0x7F) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
            st = buf_append(buf, len, cap, esc, 4);
        } else
            st = buf_append(buf, len, cap, (const char *)p, 1);
    }
    return st;
}

segue_status segue_batch_manifest_format_record(const segue_batch_record *r, char **buf, size_t *len,
                                                size_t *cap)
{
    size_t start = *len;
    segue_status st = append_escaped(buf, len, cap, r->output);
    if (st == SEGUE_OK)
        st = buf_append(buf, len, cap, "\t", 1);
    if (st == SEGUE_OK)
        st = append_escaped(buf, len, cap, r->input);
    if (st == SEGUE_OK)
        st = buf_printf(buf, len, cap, "\t%" PRIu64 "\t%" PRId64 "\t%s\t%s\t%s\t%" PRIu64, r->input_size,
                        r->input_mtime_ns, r->input_sha256, r->profile_digest, r->version,
                        r->output_size);
    if (st != SEGUE_OK)
        return st;
    uint8_t digest[32];
    char hex[65];
    segue_sha256_oneshot(*buf + start, *len - start, digest);
    segue_sha256_hex(digest, hex);
    return buf_printf(buf, len, cap, "\t%.8s\n", hex);
}

static int record_cmp_key(const segue_batch_manifest *m, size_t i, const char *output)
{
    return strcmp(m->records[i].output, output);
}

/* Index of `output`, or of where it would go (*found = 0). */
static size_t manifest_search(const segue_batch_manifest *m, const char *output, int *found)
{
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = record_cmp_key(m, mid, output);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

const segue_batch_record *segue_batch_manifest_find(const segue_batch_manifest *m, const char *output)
{
    int found;
    size_t i = manifest_search(m, output, &found);
    return found ? &m->records[i] : NULL;
}

static void record_free(segue_batch_record *r)
{
    segue_mem_free(NULL, r->output);
    segue_mem_free(NULL, r->input);
    r->output = r->input = NULL;
}

segue_status segue_batch_manifest_put(segue_batch_manifest *m, const segue_batch_record *r)
{
    segue_batch_record copy = *r;
    copy.output = segue_mem_strdup(NULL, r->output);
    copy.input = segue_mem_strdup(NULL, r->input);
    if (!copy.output || !copy.input) {
        record_free(&copy);
        return SEGUE_ERR_NO_MEMORY;
    }
    int found;
    size_t at = manifest_search(m, r->output, &found);
    if (found) {
        record_free(&m->records[at]);
        m->records[at] = copy;
        return SEGUE_OK;
    }
    if (m->count == m->capacity) {
        size_t cap = m->capacity ? m->capacity * 2 : 64;
        segue_batch_record *grown = segue_mem_realloc(NULL, m->records, m->capacity * sizeof *grown,
                                                      cap * sizeof *grown);
        if (!grown) {
            record_free(&copy);
            return SEGUE_ERR_NO_MEMORY;
        }
        m->records = grown;
        m->capacity = cap;
    }
    memmove(&m->records[at + 1], &m->records[at], (m->count - at) * sizeof *m->records);
    m->records[at] = copy;
    m->count++;
    return SEGUE_OK;
}

void segue_batch_manifest_remove(segue_batch_manifest *m, const char *output)
{
    int found;
    size_t at = manifest_search(m, output, &found);
    if (!found)
        return;
    record_free(&m->records[at]);
    memmove(&m->records[at], &m->records[at + 1], (m->count - at - 1) * sizeof *m->records);
    m->count--;
}

void segue_batch_manifest_free(segue_batch_manifest *m)
{
    for (size_t i = 0; i < m->count; i++)
        record_free(&m->records[i]);
    segue_mem_free(NULL, m->records);
    memset(m, 0, sizeof *m);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes an escaped path field in place; rejects what a path we wrote can
 * never be: empty, absolute, "." or ".." components, empty components, NUL,
 * bad escapes. Returns a static reason or NULL. */
static const char *unescape_path(char *s, size_t *len_io)
{
    size_t len = *len_io, w = 0;
    for (size_t r = 0; r < len; r++) {
        char c = s[r];
        if (c != '\\') {
            s[w++] = c;
            continue;
        }
        if (++r >= len)
            return "dangling escape";
        switch (s[r]) {
        case '\\': s[w++] = '\\'; break;
        case 't': s[w++] = '\t'; break;
        case 'n': s[w++] = '\n'; break;
        case 'r': s[w++] = '\r'; break;
        case 'x': {
            if (r + 2 >= len)
                return "short \\x escape";
            int hi = hex_value(s[r + 1]), lo = hex_value(s[r + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return "bad \\x escape";
            s[w++] = (char)(hi * 16 + lo);
            r += 2;
            break;
        }
        default: return "unknown escape";
        }
    }
    s[w] = '\0';
    *len_io = w;
    if (w == 0)
        return "empty path";
    if (s[0] == '/')
        return "absolute path";
    /* Every component non-empty and not "." or "..". */
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return "bad path component";
        p += n;
        if (*p == '/')
            p++;
        if (*p == '\0' && p[-1] == '/')
            return "trailing slash";
    }
    return NULL;
}

static const char *parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return "bad number";
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return "bad number";
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return "number out of range";
        v = v * 10 + d;
    }
    *out = v;
    return NULL;
}

static const char *parse_hex_field(const char *s, size_t len, size_t want, char *out)
{
    if (len != want)
        return "bad digest length";
    for (size_t i = 0; i < len; i++)
        if (hex_value(s[i]) < 0)
            return "bad digest";
    memcpy(out, s, len);
    out[len] = '\0';
    return NULL;
}

/* One record line (without its newline) into *r; the paths are fresh
 * allocations on success. Returns a static reason or NULL. */
static const char *parse_record_line(char *line, size_t len, segue_batch_record *r)
{
    char *field[9];
    size_t flen[9];
    size_t n = 0;
    char *p = line, *end = line + len;
    while (n < 9) {
        char *tab = memchr(p, '\t', (size_t)(end - p));
        field[n] = p;
        flen[n] = (size_t)((tab ? tab : end) - p);
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    if (n != 9 || memchr(field[8], '\t', flen[8]))
        return "wrong number of fields";
    /* The check digits cover everything before the last tab. */
    uint8_t digest[32];
    char hex[65];
    segue_sha256_oneshot(line, (size_t)(field[8] - 1 - line), digest);
    segue_sha256_hex(digest, hex);
    if (flen[8] != 8 || memcmp(field[8], hex, 8) != 0)
        return "check digits do not match";
    if (memchr(line, '\0', len))
        return "NUL byte";
    const char *why;
    memset(r, 0, sizeof *r);
    uint64_t mtime;
    int negative_mtime = flen[3] > 0 && field[3][0] == '-';
    if ((why = parse_u64(field[2], flen[2], &r->input_size)) ||
        (why = parse_u64(field[3] + negative_mtime, flen[3] - (size_t)negative_mtime, &mtime)) ||
        (why = parse_u64(field[7], flen[7], &r->output_size)) ||
        (why = parse_hex_field(field[4], flen[4], 64, r->input_sha256)) ||
        (why = parse_hex_field(field[5], flen[5], 64, r->profile_digest)))
        return why;
    if (mtime > (uint64_t)INT64_MAX)
        return "mtime out of range";
    r->input_mtime_ns = negative_mtime ? -(int64_t)mtime : (int64_t)mtime;
    if (flen[6] == 0 || flen[6] >= sizeof r->version)
        return "bad version";
    for (size_t i = 0; i < flen[6]; i++)
        if ((unsigned char)field[6][i] <= 0x20 || (unsigned char)field[6][i] >= 0x7F)
            return "bad version";
    memcpy(r->version, field[6], flen[6]);
    r->version[flen[6]] = '\0';
    if ((why = unescape_path(field[0], &flen[0])) || (why = unescape_path(field[1], &flen[1])))
        return why;
    r->output = segue_mem_strndup(NULL, field[0], flen[0]);
    r->input = segue_mem_strndup(NULL, field[1], flen[1]);
    if (!r->output || !r->input) {
        record_free(r);
        return "out of memory";
    }
    return NULL;
}

segue_status segue_batch_manifest_parse(segue_batch_manifest *m, const char *text, size_t size,
                                        segue_error *err)
{
    memset(m, 0, sizeof *m);
    size_t header_len = sizeof manifest_header - 1;
    if (size < header_len || memcmp(text, manifest_header, header_len) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "line 1: not a segue manifest (version 1)");
    /* A private copy: fields are unescaped in place. */
    char *copy = segue_mem_strndup(NULL, text, size);
    if (!copy)
        return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "out of memory");
    segue_status st = SEGUE_OK;
    size_t pos = header_len;
    unsigned line_no = 1;
    while (pos < size) {
        line_no++;
        char *nl = memchr(copy + pos, '\n', size - pos);
        if (!nl)
            break; /* a torn final append: drop it (the file it names is redone) */
        size_t len = (size_t)(nl - (copy + pos));
        segue_batch_record r;
        const char *why = parse_record_line(copy + pos, len, &r);
        if (why) {
            st = segue_error_set(err, SEGUE_ERR_CORRUPT, "line %u: %s", line_no, why);
            break;
        }
        st = segue_batch_manifest_put(m, &r);
        record_free(&r);
        if (st < 0) {
            segue_error_set(err, st, "out of memory");
            break;
        }
        pos += len + 1;
    }
    segue_mem_free(NULL, copy);
    if (st < 0)
        segue_batch_manifest_free(m);
    return st;
}

/* ---- the run ------------------------------------------------------------- */

typedef struct batch_job {
    char *input;               /* relative to SRC */
    char *output;              /* relative to DST; NULL when ignored */
    const char *ignore_reason; /* static; set when ignored */
    const char *walk_error;    /* static; set when the walk already failed it */
} batch_job;

typedef struct batch_result {
    struct batch_result *next;
    segue_batch_item item;
    char *error;
    char **warnings;
    size_t warning_count;
    char **unmapped_what, **unmapped_why;
    size_t unmapped_count;
    char codec[32], input_codec[32];
    int has_record;            /* `record` is new or changed */
    segue_batch_record record;
} batch_result;

typedef struct batch_run {
    const segue_batch_options *opt;
    segue_batch_naming naming;
    const char *extension;
    char digest[65];
    const char *version;
    pid_t pid;
    atomic_int no_stop;
    atomic_int *stop;
    batch_job *jobs;
    size_t job_count, job_capacity;
    segue_batch_manifest manifest; /* as loaded; read-only while workers run */
    int have_dst_id;
    dev_t dst_dev;
    ino_t dst_ino;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t next_job, running, done, workers_alive;
    unsigned long temp_counter;
    batch_result *queue_head, *queue_tail;
    double audio_seconds_done;
    segue_error *err;
    /* segue_batch_convert_file(): the caller's cancel poll, or NULL. */
    int (*cancel)(void *user);
    void *cancel_user;
} batch_run;

static int stop_requested(const batch_run *run)
{
    return atomic_load(run->stop) != 0;
}

static void result_free(batch_result *r)
{
    if (!r)
        return;
    segue_mem_free(NULL, r->error);
    for (size_t i = 0; i < r->warning_count; i++)
        segue_mem_free(NULL, r->warnings[i]);
    segue_mem_free(NULL, r->warnings);
    for (size_t i = 0; i < r->unmapped_count; i++) {
        segue_mem_free(NULL, r->unmapped_what[i]);
        segue_mem_free(NULL, r->unmapped_why[i]);
    }
    segue_mem_free(NULL, r->unmapped_what);
    segue_mem_free(NULL, r->unmapped_why);
    record_free(&r->record);
    segue_mem_free(NULL, r);
}

static void result_fail(batch_result *r, segue_batch_status status, const char *fmt, ...)
    SEGUE_PRINTF(3, 4);
static void result_fail(batch_result *r, segue_batch_status status, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->item.status = status;
    segue_mem_free(NULL, r->error);
    r->error = segue_mem_strdup(NULL, text);
    r->has_record = 0;
}

static void result_warn(batch_result *r, const char *text)
{
    char **grown = segue_mem_realloc(NULL, r->warnings, r->warning_count * sizeof *grown,
                                     (r->warning_count + 1) * sizeof *grown);
    if (!grown)
        return;
    r->warnings = grown;
    char *copy = segue_mem_strdup(NULL, text);
    if (copy)
        r->warnings[r->warning_count++] = copy;
}

static void result_unmapped(batch_result *r, const char *what, const char *why)
{
    size_t n = r->unmapped_count;
    char **w = segue_mem_realloc(NULL, r->unmapped_what, n * sizeof *w, (n + 1) * sizeof *w);
    if (!w)
        return;
    r->unmapped_what = w;
    char **y = segue_mem_realloc(NULL, r->unmapped_why, n * sizeof *y, (n + 1) * sizeof *y);
    if (!y)
        return;
    r->unmapped_why = y;
    char *a = segue_mem_strdup(NULL, what), *b = segue_mem_strdup(NULL, why);
    if (!a || !b) {
        segue_mem_free(NULL, a);
        segue_mem_free(NULL, b);
        return;
    }
    r->unmapped_what[n] = a;
    r->unmapped_why[n] = b;
    r->unmapped_count = n + 1;
}

/* mkdir -p; 0 or an errno value. */
static int make_dirs(const char *path)
{
    char *p = segue_mem_strdup(NULL, path);
    if (!p)
        return ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = errno;
            break;
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) != 0)
            rc = errno;
        else if (!S_ISDIR(st.st_mode))
            rc = ENOTDIR;
    }
    segue_mem_free(NULL, p);
    return rc;
}

/* fsync of a folder makes a rename in it durable (POSIX leaves it to the
 * file system; Linux needs it). */
static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + (int64_t)st->st_mtim.tv_nsec;
}

/* SHA-256 of a file's bytes as hex; 0 or an errno value. */
static int hash_file(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    uint8_t *chunk = segue_mem_alloc(NULL, HASH_CHUNK);
    if (!chunk) {
        close(fd);
        return ENOMEM;
    }
    segue_sha256 ctx;
    segue_sha256_init(&ctx);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, HASH_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = errno;
            break;
        }
        if (n == 0)
            break;
        segue_sha256_update(&ctx, chunk, (size_t)n);
    }
    close(fd);
    segue_mem_free(NULL, chunk);
    uint8_t digest[32];
    segue_sha256_final(&ctx, digest);
    if (rc == 0)
        segue_sha256_hex(digest, hex);
    return rc;
}

/* ".<name>.segue-part-<pid>-<n>" beside `final_path`. The visible name is
 * shortened so the temp name stays within NAME_MAX. */
static char *temp_path_for(batch_run *run, const char *final_path)
{
    const char *slash = strrchr(final_path, '/');
    size_t dir_len = slash ? (size_t)(slash - final_path) + 1 : 0;
    const char *base = final_path + dir_len;
    size_t base_len = utf8_cut(base, strlen(base), 160);
    pthread_mutex_lock(&run->lock);
    unsigned long n = ++run->temp_counter;
    pthread_mutex_unlock(&run->lock);
    char tail[64];
    snprintf(tail, sizeof tail, "%s%ld-%lu", SEGUE_BATCH_PART_TAG, (long)run->pid, n);
    size_t total = dir_len + 1 + base_len + strlen(tail) + 1;
    char *p = segue_mem_alloc(NULL, total);
    if (!p)
        return NULL;
    memcpy(p, final_path, dir_len);
    p[dir_len] = '.';
    memcpy(p + dir_len + 1, base, base_len);
    memcpy(p + dir_len + 1 + base_len, tail, strlen(tail) + 1);
    return p;
}

/* If `name` is one of our temp files, its pid; else -1. */
static long temp_file_pid(const char *name)
{
    if (name[0] != '.')
        return -1;
    const char *tag = strstr(name, SEGUE_BATCH_PART_TAG);
    if (!tag)
        return -1;
    const char *tag2;
    while ((tag2 = strstr(tag + 1, SEGUE_BATCH_PART_TAG)) != NULL)
        tag = tag2;
    const char *p = tag + strlen(SEGUE_BATCH_PART_TAG);
    char *end;
    if (*p < '0' || *p > '9')
        return -1;
    long pid = strtol(p, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9')
        return -1;
    for (p = end + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return pid;
}

/* Removes temp files left by earlier runs anywhere under `dir` (we hold the
 * DST lock, so none belongs to a live run but ours). Symlinks are not
 * followed. Returns the count removed. */
static size_t remove_stale_temps(batch_run *run, const char *dir, int depth)
{
    if (depth > WALK_MAX_DEPTH)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char *path = path_join(dir, name);
        if (!path)
            break;
        struct stat st;
        if (lstat(path, &st) == 0) {
            long pid = temp_file_pid(name);
            if (S_ISDIR(st.st_mode))
                removed += remove_stale_temps(run, path, depth + 1);
            /* Every temp file is stale here, ours included by name: this
             * runs under the DST lock before the run creates any, and a
             * killed run may have had this process's pid (containers). */
            else if (pid >= 0 && S_ISREG(st.st_mode) && unlink(path) == 0)
                removed++;
        }
        segue_mem_free(NULL, path);
    }
    closedir(d);
    return removed;
}

/* ---- walking SRC --------------------------------------------------------- */

/* The output names taken in one output folder; compared ASCII-case-folded
 * under FAT rules (FAT matches names without regard to case). */
typedef struct name_set {
    char **slots;
    size_t capacity, count;
    int fold;
} name_set;

static uint64_t name_hash(const char *s, int fold)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (uint64_t)(unsigned char)(fold ? ascii_lower((unsigned char)*s) : *s);
        h *= 1099511628211u;
    }
    return h;
}

static int name_equal(const char *a, const char *b, int fold)
{
    return fold ? ascii_casecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static int name_set_has(const name_set *set, const char *name)
{
    if (!set->capacity)
        return 0;
    size_t mask = set->capacity - 1;
    for (size_t i = (size_t)name_hash(name, set->fold) & mask; set->slots[i]; i = (i + 1) & mask)
        if (name_equal(set->slots[i], name, set->fold))
            return 1;
    return 0;
}

static segue_status name_set_add(name_set *set, const char *name)
{
    if ((set->count + 1) * 2 > set->capacity) {
        size_t cap = set->capacity ? set->capacity * 2 : 64;
        char **slots = segue_mem_calloc(NULL, cap, sizeof *slots);
        if (!slots)
            return SEGUE_ERR_NO_MEMORY;
        for (size_t i = 0; i < set->capacity; i++) {
            if (!set->slots[i])
                continue;
            size_t j = (size_t)name_hash(set->slots[i], set->fold) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = set->slots[i];
        }
        segue_mem_free(NULL, set->slots);
        set->slots = slots;
        set->capacity = cap;
    }
    char *copy = segue_mem_strdup(NULL, name);
    if (!copy)
        return SEGUE_ERR_NO_MEMORY;
    size_t mask = set->capacity - 1;
    size_t i = (size_t)name_hash(name, set->fold) & mask;
    while (set->slots[i])
        i = (i + 1) & mask;
    set->slots[i] = copy;
    set->count++;
    return SEGUE_OK;
}

static void name_set_free(name_set *set)
{
    for (size_t i = 0; i < set->capacity; i++)
        segue_mem_free(NULL, set->slots[i]);
    segue_mem_free(NULL, set->slots);
}

static segue_status add_job(batch_run *run, const batch_job *job)
{
    if (run->job_count == run->job_capacity) {
        size_t cap = run->job_capacity ? run->job_capacity * 2 : 256;
        batch_job *grown = segue_mem_realloc(NULL, run->jobs, run->job_capacity * sizeof *grown,
                                             cap * sizeof *grown);
        if (!grown)
            return SEGUE_ERR_NO_MEMORY;
        run->jobs = grown;
        run->job_capacity = cap;
    }
    run->jobs[run->job_count++] = *job;
    return SEGUE_OK;
}

static int cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An unused output name for `name` in this output folder. */
static segue_status unique_name(batch_run *run, name_set *taken, const char *name, const char *ext,
                                char *out, size_t out_size)
{
    for (unsigned n = 1; n < 100000; n++) {
        segue_status st = segue_batch_map_name(&run->naming, name, ext, n, out, out_size);
        if (st < 0)
            return st;
        /* Names we keep for ourselves at the top of DST. */
        int reserved = strcmp(out, SEGUE_BATCH_MANIFEST_NAME) == 0 ||
                       strcmp(out, SEGUE_BATCH_LOCK_NAME) == 0 || temp_file_pid(out) >= 0;
        if (!reserved && !name_set_has(taken, out))
            return name_set_add(taken, out);
    }
    return SEGUE_ERR_TOO_LARGE;
}

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

static segue_status walk_dir(batch_run *run, const char *abs_dir, const char *src_rel,
                             const char *out_rel, dir_id *ancestors, int depth)
{
    DIR *d = opendir(abs_dir);
    if (!d) {
        char why[128];
        errno_text(errno, why, sizeof why);
        if (depth == 0)
            return segue_error_set(run->err, SEGUE_ERR_OPEN, "%s: %s", abs_dir, why);
        /* An unreadable subfolder fails as one item; the rest goes on. */
        batch_job job = {segue_mem_strdup(NULL, src_rel), NULL, NULL, "folder cannot be read"};
        if (!job.input)
            return SEGUE_ERR_NO_MEMORY;
        return add_job(run, &job);
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    segue_status st = SEGUE_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = segue_mem_realloc(NULL, names, cap * sizeof *grown, ncap * sizeof *grown);
            if (!grown) {
                st = SEGUE_ERR_NO_MEMORY;
                break;
            }
            names = grown;
            cap = ncap;
        }
        if (!(names[count] = segue_mem_strdup(NULL, e->d_name))) {
            st = SEGUE_ERR_NO_MEMORY;
            break;
        }
        count++;
    }
    closedir(d);
    /* Byte order: the same tree always gives the same names and the same
     * collision numbers. */
    if (count)
        qsort(names, count, sizeof *names, cmp_strings);

    name_set taken = {NULL, 0, 0, run->naming.fat};
    size_t max = run->naming.max_component_bytes;
    char *mapped = segue_mem_alloc(NULL, max + 1);
    if (!mapped)
        st = SEGUE_ERR_NO_MEMORY;
    for (size_t i = 0; i < count && st == SEGUE_OK; i++) {
        const char *name = names[i];
        char *abs = path_join(abs_dir, name);
        char *rel = path_join(src_rel, name);
        batch_job job = {rel, NULL, NULL, NULL};
        struct stat lst, st_target;
        int keep_rel = 0;
        if (!abs || !rel) {
            st = SEGUE_ERR_NO_MEMORY;
        } else if (lstat(abs, &lst) != 0) {
            job.walk_error = "vanished or unreadable during the walk";
            st = add_job(run, &job);
            keep_rel = st == SEGUE_OK;
        } else if (S_ISDIR(lst.st_mode)) {
            int skip = run->have_dst_id && lst.st_dev == run->dst_dev && lst.st_ino == run->dst_ino;
            /* ancestors[0..depth]: this folder and those above it. */
            for (int a = 0; a <= depth && !skip; a++)
                skip = ancestors[a].dev == lst.st_dev && ancestors[a].ino == lst.st_ino;
            if (!skip && depth + 1 >= WALK_MAX_DEPTH) {
                job.walk_error = "folders nested too deep";
                st = add_job(run, &job);
                keep_rel = st == SEGUE_OK;
            } else if (!skip) {
                st = unique_name(run, &taken, name, NULL, mapped, max + 1);
                char *out_dir = st == SEGUE_OK ? path_join(out_rel, mapped) : NULL;
                if (st == SEGUE_OK && !out_dir)
                    st = SEGUE_ERR_NO_MEMORY;
                if (st == SEGUE_OK) {
                    ancestors[depth + 1].dev = lst.st_dev;
                    ancestors[depth + 1].ino = lst.st_ino;
                    st = walk_dir(run, abs, rel, out_dir, ancestors, depth + 1);
                }
                segue_mem_free(NULL, out_dir);
            }
        } else {
            const char *why = NULL;
            int is_link = S_ISLNK(lst.st_mode);
            int target_ok = is_link ? stat(abs, &st_target) == 0 : 1;
            const struct stat *target = is_link ? &st_target : &lst;
            if (is_link && !target_ok)
                job.walk_error = "broken symbolic link";
            else if (S_ISDIR(target->st_mode))
                job.ignore_reason = "symbolic link to a folder (not followed)";
            else if (!S_ISREG(target->st_mode))
                job.ignore_reason = "not a regular file";
            else if (segue_batch_is_ignored_name(name, &why))
                job.ignore_reason = why;
            if (!job.ignore_reason && !job.walk_error) {
                st = unique_name(run, &taken, name, run->extension, mapped, max + 1);
                if (st == SEGUE_OK) {
                    job.output = path_join(out_rel, mapped);
                    if (!job.output)
                        st = SEGUE_ERR_NO_MEMORY;
                    else if (run->naming.max_path_bytes && strlen(job.output) > run->naming.max_path_bytes)
                        job.walk_error = "output path longer than the profile's path_max_bytes";
                } else if (st != SEGUE_ERR_NO_MEMORY) {
                    job.walk_error = "no usable output name";
                    st = SEGUE_OK;
                }
            }
            if (st == SEGUE_OK) {
                st = add_job(run, &job);
                keep_rel = st == SEGUE_OK;
            }
            if (!keep_rel)
                segue_mem_free(NULL, job.output);
        }
        if (!keep_rel)
            segue_mem_free(NULL, rel);
        segue_mem_free(NULL, abs);
    }
    segue_mem_free(NULL, mapped);
    name_set_free(&taken);
    for (size_t i = 0; i < count; i++)
        segue_mem_free(NULL, names[i]);
    segue_mem_free(NULL, names);
    if (st == SEGUE_ERR_NO_MEMORY)
        segue_error_set(run->err, st, "out of memory while walking %s", abs_dir);
    return st;
}

/* ---- one file ------------------------------------------------------------ */

static int progress_cancel(void *user, uint64_t done_frames, int64_t total_frames)
{
    (void)done_frames;
    (void)total_frames;
    const batch_run *run = user;
    if (run->cancel && run->cancel(run->cancel_user))
        return 1;
    return stop_requested(run);
}

static void status_text(segue_status st, const char *detail, char *out, size_t size)
{
    if (detail && *detail)
        snprintf(out, size, "%s: %s", segue_status_str(st), detail);
    else
        snprintf(out, size, "%s", segue_status_str(st));
}

/* Decodes the header of the finished temp file: a last check that what we
 * are about to rename into place is a stream we can read back, and the
 * source of the output's length and codec. Returns SEGUE_OK, or the error
 * that makes the output unacceptable. Formats this build cannot read back
 * are accepted unchecked. */
static segue_status inspect_output(const char *path, batch_result *res, double fallback_rate,
                                   uint64_t fallback_frames, char *why, size_t why_size)
{
    segue_io io;
    double rate = fallback_rate;
    double frames = (double)fallback_frames;
    if (segue_io_from_path(&io, path) < 0) {
        snprintf(why, why_size, "cannot reopen the output");
        return SEGUE_ERR_IO;
    }
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, &io, NULL);
    if (st >= 0) {
        const segue_stream_info *info = segue_decoder_info(d);
        snprintf(res->codec, sizeof res->codec, "%s", info->codec ? info->codec : "");
        if (info->sample_rate)
            rate = info->sample_rate;
        if (info->frames >= 0)
            frames = (double)info->frames;
    } else if (st != SEGUE_ERR_UNSUPPORTED && st != SEGUE_ERR_UNKNOWN_FORMAT) {
        status_text(st, segue_decoder_last_error(d), why, why_size);
        segue_decoder_destroy(d);
        return st;
    }
    segue_decoder_destroy(d);
    res->item.output_seconds = rate > 0 ? frames / rate : 0.0;
    return SEGUE_OK;
}

static void convert_file(batch_run *run, const batch_job *job, const char *src_path,
                         const char *out_path, batch_result *res)
{
    char why[512];
    char *temp = NULL;
    FILE *out_file = NULL;
    segue_decoder *d = NULL;
    segue_transcoder *t = NULL;

    /* The output folder (mapped names) first: mkdir -p is race-free across
     * workers because EEXIST counts as success. */
    const char *slash = strrchr(out_path, '/');
    if (slash) {
        char *dir = segue_mem_strndup(NULL, out_path, (size_t)(slash - out_path));
        int rc = dir ? make_dirs(dir) : ENOMEM;
        segue_mem_free(NULL, dir);
        if (rc) {
            errno_text(rc, why, sizeof why);
            result_fail(res, SEGUE_BATCH_FAILED, "cannot create the output folder: %s", why);
            return;
        }
    }

    FILE *in_file = fopen(src_path, "rb");
    if (!in_file) {
        errno_text(errno, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot open: %s", why);
        return;
    }
    segue_io src;
    if (segue_io_from_stdio(&src, in_file, 1, 1) < 0) {
        fclose(in_file);
        result_fail(res, SEGUE_BATCH_FAILED, "out of memory");
        return;
    }
    segue_status st = segue_decoder_open(&d, &src, NULL);
    if (st < 0) {
        status_text(st, segue_decoder_last_error(d), why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "%s", why);
        segue_decoder_destroy(d);
        return;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    snprintf(res->input_codec, sizeof res->input_codec, "%s", info->codec ? info->codec : "");
    double input_rate = info->sample_rate;
    int64_t declared_frames = info->frames;

    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    st = segue_profile_apply(run->opt->profile, info->sample_rate, &cfg);
    if (st < 0) {
        result_fail(res, SEGUE_BATCH_FAILED, "profile cannot be applied to this input: %s",
                    segue_status_str(st));
        segue_decoder_destroy(d);
        return;
    }
    snprintf(res->codec, sizeof res->codec, "%s",
             cfg.encoder.codec ? cfg.encoder.codec : cfg.encoder.container ? cfg.encoder.container : "");
    double output_rate = cfg.encoder.sample_rate ? cfg.encoder.sample_rate : input_rate;

    temp = temp_path_for(run, out_path);
    int fd = temp ? open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666) : -1;
    if (fd < 0) {
        errno_text(temp ? errno : ENOMEM, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot create the output: %s", why);
        segue_decoder_destroy(d);
        segue_mem_free(NULL, temp);
        return;
    }
    out_file = fdopen(fd, "wb");
    segue_io dst;
    if (!out_file || segue_io_from_stdio(&dst, out_file, 1, 0) < 0) {
        if (out_file)
            fclose(out_file);
        else
            close(fd);
        unlink(temp);
        segue_mem_free(NULL, temp);
        segue_decoder_destroy(d);
        result_fail(res, SEGUE_BATCH_FAILED, "out of memory");
        return;
    }
    /* From here the transcoder owns the decoder and the sink io (which only
     * flushes on close; the FILE stays ours). */
    st = segue_transcoder_open_decoder(&t, d, &dst, &cfg);
    if (st >= 0)
        st = segue_transcoder_run(t, progress_cancel, run);
    segue_transcode_stats stats;
    segue_transcoder_stats(t, &stats);
    if (st < 0) {
        if (st == SEGUE_ERR_CANCELLED)
            result_fail(res, SEGUE_BATCH_CANCELLED, "interrupted");
        else {
            status_text(st, segue_transcoder_last_error(t), why, sizeof why);
            result_fail(res, SEGUE_BATCH_FAILED, "%s", why);
        }
    } else {
        const segue_metadata *unmapped = segue_transcoder_unmapped(t);
        for (size_t i = 0; i < segue_metadata_unmapped_count(unmapped); i++) {
            const char *what, *reason;
            if (segue_metadata_unmapped_at(unmapped, i, &what, &reason) == SEGUE_OK)
                result_unmapped(res, what, reason);
        }
        if (stats.clipped_samples) {
            snprintf(why, sizeof why, "%" PRIu64 " samples clipped", stats.clipped_samples);
            result_warn(res, why);
        }
        res->item.input_seconds = input_rate > 0 ? (double)stats.input_frames / input_rate : 0.0;
        /* Decoders conceal a stream that ends early; a batch must not
         * deliver it as a good copy. When the input declares its length,
         * every frame the trims ask for must have arrived. */
        int64_t due = declared_frames >= 0 ? declared_frames - cfg.start_frame : -1;
        if (due >= 0 && cfg.duration_frames >= 0 && cfg.duration_frames < due)
            due = cfg.duration_frames; /* a trim inside the data asks for less */
        if (due > 0 && stats.input_frames < (uint64_t)due) {
            result_fail(res, SEGUE_BATCH_FAILED,
                        "input is truncated: %" PRIu64 " of %" PRId64 " frames decoded",
                        stats.input_frames, due);
            st = SEGUE_ERR_CORRUPT;
        }
    }
    segue_transcoder_destroy(t);

    /* Durable before it gets its name: data, then the rename, then the
     * folder entry. */
    int write_failed = 0;
    if (fflush(out_file) != 0 || fsync(fileno(out_file)) != 0)
        write_failed = errno ? errno : EIO;
    if (fclose(out_file) != 0 && !write_failed)
        write_failed = errno ? errno : EIO;
    if (st >= 0 && write_failed) {
        errno_text(write_failed, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot write the output: %s", why);
        st = SEGUE_ERR_IO;
    }
    if (st >= 0) {
        st = inspect_output(temp, res, output_rate, stats.output_frames, why, sizeof why);
        if (st < 0)
            result_fail(res, SEGUE_BATCH_FAILED, "the written output does not decode: %s", why);
    }
    struct stat ost;
    if (st >= 0 && stat(temp, &ost) != 0) {
        errno_text(errno, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "output vanished: %s", why);
        st = SEGUE_ERR_IO;
    }
    if (st >= 0 && rename(temp, out_path) != 0) {
        errno_text(errno, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot rename the output into place: %s", why);
        st = SEGUE_ERR_IO;
    }
    if (st < 0) {
        unlink(temp);
        segue_mem_free(NULL, temp);
        return;
    }
    segue_mem_free(NULL, temp);
    if (slash) {
        char *dir = segue_mem_strndup(NULL, out_path, (size_t)(slash - out_path));
        if (dir && fsync_dir(dir) != 0)
            result_warn(res, "could not fsync the output folder");
        segue_mem_free(NULL, dir);
    }
    res->item.status = SEGUE_BATCH_CONVERTED;
    res->item.output_bytes = (uint64_t)ost.st_size;
    res->record.output_size = (uint64_t)ost.st_size;
    res->has_record = 1;
    (void)job;
}

static void process_job(batch_run *run, const batch_job *job, batch_result *res)
{
    const segue_batch_options *opt = run->opt;
    char why[256];
    char *src_path = path_join(opt->src_dir, job->input);
    char *out_path = path_join(opt->dst_dir, job->output);
    res->record.input = segue_mem_strdup(NULL, job->input);
    res->record.output = segue_mem_strdup(NULL, job->output);
    if (!src_path || !out_path || !res->record.input || !res->record.output) {
        result_fail(res, SEGUE_BATCH_FAILED, "out of memory");
        goto done;
    }
    struct stat sst;
    if (stat(src_path, &sst) != 0) {
        errno_text(errno, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot stat: %s", why);
        goto done;
    }
    res->item.input_bytes = (uint64_t)sst.st_size;
    res->record.input_size = (uint64_t)sst.st_size;
    res->record.input_mtime_ns = mtime_ns(&sst);
    memcpy(res->record.profile_digest, run->digest, sizeof run->digest);
    snprintf(res->record.version, sizeof res->record.version, "%s", run->version);

    /* Up to date (docs/batch.md): the record names this source, the same
     * profile digest and version, the output is still the file we wrote,
     * and the source's size and mtime are the recorded ones (trusted
     * without reading, as make does: a `touch` re-converts). The content
     * hash keys the record; it is taken when the file is converted. */
    const segue_batch_record *rec = segue_batch_manifest_find(&run->manifest, job->output);
    struct stat ost;
    if (rec && strcmp(rec->input, job->input) == 0 && strcmp(rec->profile_digest, run->digest) == 0 &&
        strcmp(rec->version, run->version) == 0 && stat(out_path, &ost) == 0 && S_ISREG(ost.st_mode) &&
        (uint64_t)ost.st_size == rec->output_size && rec->input_size == res->record.input_size &&
        rec->input_mtime_ns == res->record.input_mtime_ns) {
        res->item.output_bytes = (uint64_t)ost.st_size;
        res->record.output_size = rec->output_size;
        memcpy(res->record.input_sha256, rec->input_sha256, sizeof rec->input_sha256);
        res->item.status = SEGUE_BATCH_UP_TO_DATE;
        goto done;
    }
    if (opt->dry_run) {
        res->item.status = SEGUE_BATCH_WOULD_CONVERT;
        goto done;
    }
    if (stop_requested(run)) {
        result_fail(res, SEGUE_BATCH_CANCELLED, "interrupted");
        goto done;
    }
    {
        int rc = hash_file(src_path, res->record.input_sha256);
        if (rc) {
            errno_text(rc, why, sizeof why);
            result_fail(res, SEGUE_BATCH_FAILED, "cannot read: %s", why);
            goto done;
        }
    }
    convert_file(run, job, src_path, out_path, res);
done:
    segue_mem_free(NULL, src_path);
    segue_mem_free(NULL, out_path);
}

/* ---- workers and the collecting thread ----------------------------------- */

static void *worker_main(void *arg)
{
    batch_run *run = arg;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        size_t index = run->next_job;
        while (index < run->job_count && run->jobs[index].ignore_reason)
            index++;
        if (index >= run->job_count || stop_requested(run)) {
            run->workers_alive--;
            pthread_cond_broadcast(&run->cond);
            pthread_mutex_unlock(&run->lock);
            return NULL;
        }
        run->next_job = index + 1;
        run->running++;
        pthread_mutex_unlock(&run->lock);

        const batch_job *job = &run->jobs[index];
        double started = monotonic_seconds();
        batch_result *res = segue_mem_calloc(NULL, 1, sizeof *res);
        if (res) {
            res->item.input = job->input;
            res->item.output = job->output;
            if (job->walk_error)
                result_fail(res, SEGUE_BATCH_FAILED, "%s", job->walk_error);
            else
                process_job(run, job, res);
            res->item.wall_seconds = monotonic_seconds() - started;
        }
        pthread_mutex_lock(&run->lock);
        if (res) {
            if (run->queue_tail)
                run->queue_tail->next = res;
            else
                run->queue_head = res;
            run->queue_tail = res;
        }
        run->running--;
        run->done++;
        pthread_cond_broadcast(&run->cond);
        pthread_mutex_unlock(&run->lock);
    }
}

/* Points the item's arrays at the result's storage and calls on_item. */
static void emit_item(batch_run *run, batch_result *r)
{
    r->item.error = r->error;
    r->item.warning_count = r->warning_count;
    r->item.warnings = (const char *const *)r->warnings;
    r->item.unmapped_count = r->unmapped_count;
    r->item.unmapped_what = (const char *const *)r->unmapped_what;
    r->item.unmapped_why = (const char *const *)r->unmapped_why;
    r->item.codec = r->codec[0] ? r->codec : NULL;
    r->item.input_codec = r->input_codec[0] ? r->input_codec : NULL;
    if (run->opt->on_item)
        run->opt->on_item(run->opt->user, &r->item);
}

static void count_item(segue_batch_summary *s, const segue_batch_item *item)
{
    switch (item->status) {
    case SEGUE_BATCH_CONVERTED: s->converted++; s->audio_seconds += item->input_seconds; break;
    case SEGUE_BATCH_UP_TO_DATE: s->up_to_date++; break;
    case SEGUE_BATCH_IGNORED: s->ignored++; break;
    case SEGUE_BATCH_FAILED: s->failed++; break;
    case SEGUE_BATCH_WOULD_CONVERT: s->would_convert++; break;
    case SEGUE_BATCH_CANCELLED: s->cancelled++; break;
    case SEGUE_BATCH_DELETED: s->deleted++; break;
    case SEGUE_BATCH_WOULD_DELETE: s->would_delete++; break;
    }
}

static void warn(batch_run *run, const char *fmt, ...) SEGUE_PRINTF(2, 3);
static void warn(batch_run *run, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (run->opt->on_warning)
        run->opt->on_warning(run->opt->user, text);
}

/* Writes all of `data`; 0 or an errno value. */
static int write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Replaces DST/.segue-manifest with `m`, compactly: temp file, fsync,
 * rename, fsync the folder. 0 or an errno value. */
static int manifest_write(batch_run *run, const segue_batch_manifest *m)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    segue_status st = buf_append(&buf, &len, &cap, manifest_header, sizeof manifest_header - 1);
    for (size_t i = 0; i < m->count && st == SEGUE_OK; i++)
        st = segue_batch_manifest_format_record(&m->records[i], &buf, &len, &cap);
    if (st != SEGUE_OK) {
        segue_mem_free(NULL, buf);
        return ENOMEM;
    }
    char *final_path = path_join(run->opt->dst_dir, SEGUE_BATCH_MANIFEST_NAME);
    char *temp = final_path ? temp_path_for(run, final_path) : NULL;
    int rc = 0;
    int fd = temp ? open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666) : -1;
    if (fd < 0)
        rc = temp ? errno : ENOMEM;
    if (!rc) {
        rc = write_all(fd, buf, len);
        if (!rc && fsync(fd) != 0)
            rc = errno;
        if (close(fd) != 0 && !rc)
            rc = errno;
        if (!rc && rename(temp, final_path) != 0)
            rc = errno;
        if (rc)
            unlink(temp);
        else
            fsync_dir(run->opt->dst_dir);
    }
    segue_mem_free(NULL, temp);
    segue_mem_free(NULL, final_path);
    segue_mem_free(NULL, buf);
    return rc;
}

/* Loads DST/.segue-manifest into run->manifest; a missing one is empty, a
 * corrupt or oversized one is ignored with a warning. */
static void manifest_load(batch_run *run)
{
    memset(&run->manifest, 0, sizeof run->manifest);
    char *path = path_join(run->opt->dst_dir, SEGUE_BATCH_MANIFEST_NAME);
    if (!path)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    segue_mem_free(NULL, path);
    if (fd < 0) {
        if (errno != ENOENT)
            warn(run, "cannot read the manifest (%s); every file is checked again", strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MANIFEST_MAX_BYTES) {
        warn(run, "the manifest is not a regular file of a sane size; ignoring it");
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    char *text = segue_mem_alloc(NULL, size + 1);
    size_t got = 0;
    while (text && got < size) {
        ssize_t n = read(fd, text + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!text) {
        warn(run, "out of memory reading the manifest; ignoring it");
        return;
    }
    segue_error perr;
    segue_error_clear(&perr);
    if (segue_batch_manifest_parse(&run->manifest, text, got, &perr) < 0)
        warn(run, "the manifest is corrupt (%s); ignoring it: every file is converted again",
             perr.detail);
    segue_mem_free(NULL, text);
}

static int job_output_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

static void tick(batch_run *run, double started)
{
    if (!run->opt->on_tick)
        return;
    segue_batch_progress p;
    memset(&p, 0, sizeof p);
    for (size_t i = 0; i < run->job_count; i++)
        p.files_total += run->jobs[i].ignore_reason == NULL;
    pthread_mutex_lock(&run->lock);
    p.files_done = run->done;
    p.files_running = run->running;
    pthread_mutex_unlock(&run->lock);
    p.audio_seconds_done = run->audio_seconds_done;
    p.elapsed_seconds = monotonic_seconds() - started;
    run->opt->on_tick(run->opt->user, &p);
}

/* --delete-orphans: records whose output no current source maps to. Only
 * files the manifest says we wrote, still the size we wrote, are removed. */
static void delete_orphans(batch_run *run, segue_batch_manifest *merged, segue_batch_summary *summary)
{
    /* A folder or entry the walk could not read hides the sources under
     * it: their outputs would look orphaned. Delete nothing then. */
    for (size_t i = 0; i < run->job_count; i++)
        if (run->jobs[i].walk_error) {
            warn(run, "orphans not deleted: %s: %s", run->jobs[i].input, run->jobs[i].walk_error);
            return;
        }
    size_t n = 0;
    const char **outputs = run->job_count ? segue_mem_calloc(NULL, run->job_count, sizeof *outputs) : NULL;
    if (run->job_count && !outputs) {
        warn(run, "out of memory: orphans not deleted");
        return;
    }
    for (size_t i = 0; i < run->job_count; i++)
        if (run->jobs[i].output)
            outputs[n++] = run->jobs[i].output;
    if (n)
        qsort(outputs, n, sizeof *outputs, job_output_cmp);
    for (size_t i = 0; i < merged->count;) {
        segue_batch_record *r = &merged->records[i];
        const char *key = r->output;
        if (n && bsearch(&key, outputs, n, sizeof *outputs, job_output_cmp)) {
            i++;
            continue;
        }
        char *path = path_join(run->opt->dst_dir, r->output);
        struct stat st;
        batch_result res;
        memset(&res, 0, sizeof res);
        res.item.input = r->input;
        res.item.output = r->output;
        int exists = path && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
        int ours = exists && (uint64_t)st.st_size == r->output_size;
        int keep_record = 0;
        if (exists && !ours) {
            warn(run, "%s: not deleted: changed since segue wrote it", r->output);
        } else if (ours) {
            res.item.output_bytes = (uint64_t)st.st_size;
            if (run->opt->dry_run) {
                res.item.status = SEGUE_BATCH_WOULD_DELETE;
                keep_record = 1;
            } else if (unlink(path) == 0) {
                res.item.status = SEGUE_BATCH_DELETED;
            } else {
                warn(run, "%s: cannot delete: %s", r->output, strerror(errno));
                keep_record = 1;
                exists = 0;
                ours = 0;
            }
            if (ours) {
                count_item(summary, &res.item);
                emit_item(run, &res);
            }
        }
        segue_mem_free(NULL, path);
        if (keep_record || run->opt->dry_run)
            i++;
        else
            segue_batch_manifest_remove(merged, key);
    }
    segue_mem_free(NULL, outputs);
}

static segue_status lock_dst(batch_run *run, int *lock_fd)
{
    char *path = path_join(run->opt->dst_dir, SEGUE_BATCH_LOCK_NAME);
    if (!path)
        return segue_error_set(run->err, SEGUE_ERR_NO_MEMORY, "out of memory");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    segue_mem_free(NULL, path);
    if (fd < 0)
        return segue_error_set(run->err, SEGUE_ERR_IO, "%s: cannot create %s: %s", run->opt->dst_dir,
                               SEGUE_BATCH_LOCK_NAME, strerror(errno));
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        close(fd);
        return segue_error_set(run->err, SEGUE_ERR_IO, "%s: another segue batch is writing here",
                               run->opt->dst_dir);
    }
    *lock_fd = fd;
    return SEGUE_OK;
}

static void free_jobs(batch_run *run)
{
    for (size_t i = 0; i < run->job_count; i++) {
        segue_mem_free(NULL, run->jobs[i].input);
        segue_mem_free(NULL, run->jobs[i].output);
    }
    segue_mem_free(NULL, run->jobs);
    run->jobs = NULL;
    run->job_count = 0;
}

/* Workers, the collecting loop, then the manifest. */
static segue_status run_workers(batch_run *run, segue_batch_summary *summary, int manifest_fd,
                                segue_batch_manifest *updates)
{
    const segue_batch_options *opt = run->opt;
    double started = monotonic_seconds();
    unsigned jobs = opt->jobs;
    pthread_t threads[SEGUE_BATCH_MAX_JOBS];
    unsigned started_threads = 0;

    /* Workers never take SIGINT/SIGTERM: the caller's handler then runs on
     * the collecting thread, and worker system calls are not interrupted. */
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    run->workers_alive = jobs;
    for (unsigned i = 0; i < jobs; i++) {
        if (pthread_create(&threads[i], NULL, worker_main, run) != 0)
            break;
        started_threads++;
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    pthread_mutex_lock(&run->lock);
    run->workers_alive -= jobs - started_threads;
    pthread_mutex_unlock(&run->lock);
    if (started_threads == 0)
        return segue_error_set(run->err, SEGUE_ERR_NO_MEMORY, "cannot start worker threads");

    int manifest_write_failed = 0;
    double last_tick = 0;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        if (!run->queue_head && run->workers_alive > 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 200000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&run->cond, &run->lock, &until);
        }
        batch_result *list = run->queue_head;
        run->queue_head = run->queue_tail = NULL;
        size_t alive = run->workers_alive;
        pthread_mutex_unlock(&run->lock);

        while (list) {
            batch_result *r = list;
            list = r->next;
            if (r->has_record && manifest_fd >= 0) {
                /* Appended and synced as each file completes: a killed run
                 * keeps its finished work. */
                char *line = NULL;
                size_t len = 0, cap = 0;
                int rc = segue_batch_manifest_format_record(&r->record, &line, &len, &cap) == SEGUE_OK
                             ? write_all(manifest_fd, line, len)
                             : ENOMEM;
                if (!rc && fdatasync(manifest_fd) != 0)
                    rc = errno;
                segue_mem_free(NULL, line);
                if (rc && !manifest_write_failed) {
                    manifest_write_failed = 1;
                    warn(run, "cannot append to the manifest: %s", strerror(rc));
                }
            }
            if (r->has_record && segue_batch_manifest_put(updates, &r->record) < 0)
                warn(run, "out of memory recording %s", r->record.output);
            if (r->item.status == SEGUE_BATCH_CONVERTED)
                run->audio_seconds_done += r->item.input_seconds;
            count_item(summary, &r->item);
            emit_item(run, r);
            result_free(r);
        }
        double now = monotonic_seconds();
        if (now - last_tick >= 0.2) {
            tick(run, started);
            last_tick = now;
        }
        if (alive == 0) {
            pthread_mutex_lock(&run->lock);
            int empty = run->queue_head == NULL;
            pthread_mutex_unlock(&run->lock);
            if (empty)
                break;
        }
    }
    for (unsigned i = 0; i < started_threads; i++)
        pthread_join(threads[i], NULL);
    tick(run, started);
    return SEGUE_OK;
}

segue_status segue_batch_run(const segue_batch_options *opt, segue_batch_summary *summary,
                             segue_error *err)
{
    if (!opt || !summary || !opt->src_dir || !opt->dst_dir || !opt->profile || opt->jobs == 0 ||
        opt->jobs > SEGUE_BATCH_MAX_JOBS)
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "batch: bad options");
    memset(summary, 0, sizeof *summary);
    double started = monotonic_seconds();

    batch_run run;
    memset(&run, 0, sizeof run);
    run.opt = opt;
    run.err = err;
    run.pid = getpid();
    atomic_init(&run.no_stop, 0);
    run.stop = opt->stop ? opt->stop : &run.no_stop;
    run.version = segue_version_string();
    run.extension = segue_profile_extension(opt->profile);
    if (!run.extension || !*run.extension || strchr(run.extension, '/'))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "profile has no usable extension");
    segue_profile_digest(opt->profile, run.digest);
    segue_status st = segue_batch_naming_from_profile(opt->profile, &run.naming, err);
    if (st < 0)
        return st;

    struct stat sst;
    if (stat(opt->src_dir, &sst) != 0 || !S_ISDIR(sst.st_mode))
        return segue_error_set(err, SEGUE_ERR_OPEN, "%s: %s", opt->src_dir,
                               errno == 0 || S_ISDIR(sst.st_mode) ? "not a folder" : strerror(errno));
    int lock_fd = -1, manifest_fd = -1;
    if (!opt->dry_run) {
        int rc = make_dirs(opt->dst_dir);
        if (rc)
            return segue_error_set(err, SEGUE_ERR_IO, "%s: cannot create: %s", opt->dst_dir, strerror(rc));
    }
    struct stat dst_st;
    if (stat(opt->dst_dir, &dst_st) == 0) {
        if (dst_st.st_dev == sst.st_dev && dst_st.st_ino == sst.st_ino)
            return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT,
                                   "the destination is the source folder; choose another");
        run.have_dst_id = 1;
        run.dst_dev = dst_st.st_dev;
        run.dst_ino = dst_st.st_ino;
    }
    if (!opt->dry_run) {
        if ((st = lock_dst(&run, &lock_fd)) < 0)
            return st;
    }
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    segue_batch_manifest updates;
    memset(&updates, 0, sizeof updates);

    if (!opt->dry_run) {
        size_t stale = remove_stale_temps(&run, opt->dst_dir, 0);
        if (stale)
            warn(&run, "removed %zu temporary file%s left by an interrupted run", stale,
                 stale == 1 ? "" : "s");
    }
    if (run.have_dst_id)
        manifest_load(&run);

    dir_id ancestors[WALK_MAX_DEPTH];
    ancestors[0].dev = sst.st_dev;
    ancestors[0].ino = sst.st_ino;
    st = walk_dir(&run, opt->src_dir, "", "", ancestors, 0);
    if (st >= 0 && !opt->dry_run) {
        /* Rewrite compactly before appending: a torn last line of a killed
         * run must not run into the first line we append. */
        int rc = manifest_write(&run, &run.manifest);
        char *path = rc ? NULL : path_join(opt->dst_dir, SEGUE_BATCH_MANIFEST_NAME);
        manifest_fd = path ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
        segue_mem_free(NULL, path);
        if (manifest_fd < 0)
            st = segue_error_set(err, SEGUE_ERR_IO, "%s: cannot write the manifest: %s", opt->dst_dir,
                                 strerror(rc ? rc : errno));
    }
    if (st >= 0) {
        /* Ignored files first: they need no worker. */
        for (size_t i = 0; i < run.job_count; i++) {
            if (!run.jobs[i].ignore_reason)
                continue;
            batch_result res;
            memset(&res, 0, sizeof res);
            res.item.input = run.jobs[i].input;
            res.item.status = SEGUE_BATCH_IGNORED;
            res.error = (char *)run.jobs[i].ignore_reason;
            count_item(summary, &res.item);
            emit_item(&run, &res);
        }
        st = run_workers(&run, summary, manifest_fd, &updates);
    }
    summary->stopped = stop_requested(&run);
    if (st >= 0) {
        segue_batch_manifest *merged = &run.manifest;
        for (size_t i = 0; i < updates.count && st >= 0; i++)
            st = segue_batch_manifest_put(merged, &updates.records[i]);
        if (st < 0)
            segue_error_set(err, st, "out of memory merging the manifest");
        if (st >= 0 && opt->delete_orphans && !summary->stopped)
            delete_orphans(&run, merged, summary);
        if (st >= 0 && !opt->dry_run) {
            int rc = manifest_write(&run, merged);
            if (rc)
                st = segue_error_set(err, SEGUE_ERR_IO, "%s: cannot rewrite the manifest: %s",
                                     opt->dst_dir, strerror(rc));
        }
    }
    if (manifest_fd >= 0)
        close(manifest_fd);
    if (lock_fd >= 0)
        close(lock_fd);
    segue_batch_manifest_free(&updates);
    segue_batch_manifest_free(&run.manifest);
    free_jobs(&run);
    pthread_cond_destroy(&run.cond);
    pthread_mutex_destroy(&run.lock);
    summary->wall_seconds = monotonic_seconds() - started;
    return st;
}

/* ==== the public API (<segue/batch.h>) ==================================== */
/*
 * Thin layers over the runner above, so the one-call run, the plan, the
 * per-file conversion and the coordinator's session share every rule
 * (names, up-to-date test, temp files, manifest lines) by sharing the code.
 */

static void error_out(const segue_error *e, segue_status st, char *err, size_t err_size)
{
    if (!err || err_size == 0)
        return;
    snprintf(err, err_size, "%s", e && e->detail[0] ? e->detail : st < 0 ? segue_status_str(st) : "");
}

static segue_status fail_out(segue_status st, char *err, size_t err_size, const char *text)
{
    if (err && err_size)
        snprintf(err, err_size, "%s", text);
    return st;
}

/* ---- the whole run ---- */

void segue_batch_config_default(segue_batch_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
}

typedef struct tree_bridge {
    const segue_batch_config *cfg;
    atomic_int stop;
} tree_bridge;

static void bridge_item(void *user, const segue_batch_item *item)
{
    tree_bridge *b = user;
    if (b->cfg->on_item)
        b->cfg->on_item(b->cfg->user, item);
}

/* The runner's ticks become on_progress polls; non-zero raises the stop
 * flag the workers and transcoders check. */
static void bridge_tick(void *user, const segue_batch_progress *p)
{
    tree_bridge *b = user;
    if (b->cfg->on_progress && b->cfg->on_progress(b->cfg->user, p))
        atomic_store(&b->stop, 1);
}

static void bridge_warning(void *user, const char *message)
{
    tree_bridge *b = user;
    if (b->cfg->on_warning)
        b->cfg->on_warning(b->cfg->user, message);
}

segue_status segue_batch_run_tree(const segue_batch_config *cfg, segue_batch_summary *summary,
                                  char *err, size_t err_size)
{
    if (!cfg || cfg->struct_size != sizeof *cfg || !summary || !cfg->profile || !cfg->src_dir ||
        !cfg->dst_dir || cfg->jobs > SEGUE_BATCH_MAX_JOBS)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size,
                        "batch: bad config (struct_size, src_dir, dst_dir, profile, jobs <= 64)");
    tree_bridge bridge;
    bridge.cfg = cfg;
    atomic_init(&bridge.stop, 0);
    unsigned jobs = cfg->jobs;
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n < 1 ? 1u : n > (long)SEGUE_BATCH_MAX_JOBS ? SEGUE_BATCH_MAX_JOBS : (unsigned)n;
    }
    segue_batch_options opt;
    memset(&opt, 0, sizeof opt);
    opt.src_dir = cfg->src_dir;
    opt.dst_dir = cfg->dst_dir;
    opt.profile = cfg->profile;
    opt.jobs = jobs;
    opt.dry_run = cfg->dry_run;
    opt.delete_orphans = cfg->delete_orphans;
    opt.stop = &bridge.stop;
    opt.on_item = bridge_item;
    opt.on_tick = bridge_tick;
    opt.on_warning = bridge_warning;
    opt.user = &bridge;
    segue_error e;
    segue_error_clear(&e);
    segue_status st = segue_batch_run(&opt, summary, &e);
    error_out(&e, st, err, err_size);
    return st;
}

/* ---- plans ---- */

struct segue_batch_plan {
    batch_job *jobs;
    size_t count;
};

/* The fields of a run that naming and walking need. */
static segue_status plan_run_init(batch_run *run, segue_batch_options *opt,
                                  const segue_profile *profile, segue_error *e)
{
    memset(run, 0, sizeof *run);
    memset(opt, 0, sizeof *opt);
    opt->profile = profile;
    opt->jobs = 1;
    run->opt = opt;
    run->err = e;
    run->pid = getpid();
    atomic_init(&run->no_stop, 0);
    run->stop = &run->no_stop;
    run->version = segue_version_string();
    run->extension = segue_profile_extension(profile);
    if (!run->extension || !*run->extension || strchr(run->extension, '/'))
        return segue_error_set(e, SEGUE_ERR_INVALID_ARGUMENT, "profile has no usable extension");
    segue_profile_digest(profile, run->digest);
    return segue_batch_naming_from_profile(profile, &run->naming, e);
}

static segue_status plan_take(batch_run *run, segue_batch_plan **out, segue_error *e)
{
    segue_batch_plan *plan = segue_mem_calloc(NULL, 1, sizeof *plan);
    if (!plan) {
        free_jobs(run);
        return segue_error_set(e, SEGUE_ERR_NO_MEMORY, "out of memory");
    }
    plan->jobs = run->jobs;
    plan->count = run->job_count;
    run->jobs = NULL;
    run->job_count = 0;
    *out = plan;
    return SEGUE_OK;
}

segue_status segue_batch_plan_tree(segue_batch_plan **out, const char *src_dir, const char *dst_dir,
                                   const segue_profile *profile, char *err, size_t err_size)
{
    if (out)
        *out = NULL;
    if (!out || !src_dir || !profile)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size, "batch plan: NULL argument");
    segue_error e;
    segue_error_clear(&e);
    batch_run run;
    segue_batch_options opt;
    segue_status st = plan_run_init(&run, &opt, profile, &e);
    opt.src_dir = src_dir;
    opt.dst_dir = dst_dir;
    struct stat sst, dst_st;
    if (st >= 0 && (stat(src_dir, &sst) != 0 || !S_ISDIR(sst.st_mode)))
        st = segue_error_set(&e, SEGUE_ERR_OPEN, "%s: %s", src_dir,
                             errno == 0 || S_ISDIR(sst.st_mode) ? "not a folder" : strerror(errno));
    if (st >= 0 && dst_dir && stat(dst_dir, &dst_st) == 0) {
        run.have_dst_id = 1;
        run.dst_dev = dst_st.st_dev;
        run.dst_ino = dst_st.st_ino;
    }
    if (st >= 0) {
        dir_id ancestors[WALK_MAX_DEPTH];
        ancestors[0].dev = sst.st_dev;
        ancestors[0].ino = sst.st_ino;
        st = walk_dir(&run, src_dir, "", "", ancestors, 0);
    }
    if (st >= 0)
        st = plan_take(&run, out, &e);
    else
        free_jobs(&run);
    error_out(&e, st, err, err_size);
    return st;
}

/* Byte order of names, component by component: the order a walk visits
 * files ('/' ends a component, so it sorts before every byte of a name). */
static int walk_order_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
    for (;; x++, y++) {
        int cx = *x == '/' ? 0 : *x ? *x + 1 : -1;
        int cy = *y == '/' ? 0 : *y ? *y + 1 : -1;
        if (cx != cy)
            return cx - cy;
        if (cx == -1)
            return 0;
    }
}

/* A relative path we could have walked to: no empty, "." or ".." parts. */
static int rel_path_ok(const char *p)
{
    if (!p || !*p || *p == '/')
        return 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        if (*p == '/' && *++p == '\0')
            return 0;
    }
    return 1;
}

/* One folder on the path of the list entry being named. */
typedef struct list_level {
    char *src;      /* source folder name (component) */
    char *out_rel;  /* its output folder, relative to DST ("" for the top) */
    name_set taken; /* output names used in it */
} list_level;

segue_status segue_batch_plan_list(segue_batch_plan **out, const char *const *inputs, size_t count,
                                   const segue_profile *profile, char *err, size_t err_size)
{
    if (out)
        *out = NULL;
    if (!out || (!inputs && count) || !profile)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size, "batch plan: NULL argument");
    for (size_t i = 0; i < count; i++)
        if (!inputs[i])
            return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size, "batch plan: NULL path");
    segue_error e;
    segue_error_clear(&e);
    batch_run run;
    segue_batch_options opt;
    segue_status st = plan_run_init(&run, &opt, profile, &e);
    if (st < 0) {
        error_out(&e, st, err, err_size);
        return st;
    }
    const char **sorted = count ? segue_mem_calloc(NULL, count, sizeof *sorted) : NULL;
    list_level *levels = segue_mem_calloc(NULL, WALK_MAX_DEPTH + 1, sizeof *levels);
    size_t max = run.naming.max_component_bytes;
    char *mapped = segue_mem_alloc(NULL, max + 1);
    if ((count && !sorted) || !levels || !mapped)
        st = segue_error_set(&e, SEGUE_ERR_NO_MEMORY, "out of memory");
    size_t depth = 0; /* levels[0..depth] are open; levels[0] is the top */
    if (st >= 0) {
        if (count) {
            memcpy(sorted, inputs, count * sizeof *sorted);
            qsort(sorted, count, sizeof *sorted, walk_order_cmp);
        }
        levels[0].out_rel = segue_mem_strdup(NULL, "");
        levels[0].taken.fold = run.naming.fat;
        if (!levels[0].out_rel)
            st = segue_error_set(&e, SEGUE_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < count && st >= 0; i++) {
        const char *path = sorted[i];
        if (i > 0 && strcmp(path, sorted[i - 1]) == 0)
            continue; /* duplicates keep the first */
        batch_job job = {segue_mem_strdup(NULL, path), NULL, NULL, NULL};
        if (!job.input) {
            st = SEGUE_ERR_NO_MEMORY;
            break;
        }
        if (!rel_path_ok(path)) {
            job.walk_error = "not a relative path without '.' or '..' parts";
            if ((st = add_job(&run, &job)) < 0)
                segue_mem_free(NULL, job.input);
            continue;
        }
        /* Keep the open folders this path shares, close the rest. */
        size_t k = 1;
        const char *p = path;
        for (;;) {
            size_t n = strcspn(p, "/");
            if (p[n] != '/' || k > depth || strlen(levels[k].src) != n || memcmp(levels[k].src, p, n))
                break;
            p += n + 1;
            k++;
        }
        while (depth >= k) {
            segue_mem_free(NULL, levels[depth].src);
            segue_mem_free(NULL, levels[depth].out_rel);
            name_set_free(&levels[depth].taken);
            memset(&levels[depth], 0, sizeof levels[depth]);
            depth--;
        }
        /* Open the folders below; each takes its name in its parent when
         * first reached, as in the walk. */
        while (st >= 0 && strchr(p, '/')) {
            size_t n = strcspn(p, "/");
            if (depth + 1 >= WALK_MAX_DEPTH) {
                job.walk_error = "folders nested too deep";
                break;
            }
            char *src = segue_mem_strndup(NULL, p, n);
            if (!src) {
                st = SEGUE_ERR_NO_MEMORY;
                break;
            }
            st = unique_name(&run, &levels[depth].taken, src, NULL, mapped, max + 1);
            char *rel = st >= 0 ? path_join(levels[depth].out_rel, mapped) : NULL;
            if (st >= 0 && !rel)
                st = SEGUE_ERR_NO_MEMORY;
            if (st < 0) {
                segue_mem_free(NULL, src);
                break;
            }
            depth++;
            levels[depth].src = src;
            levels[depth].out_rel = rel;
            levels[depth].taken.fold = run.naming.fat;
            p += n + 1;
        }
        if (st < 0) {
            segue_mem_free(NULL, job.input);
            break;
        }
        const char *why = NULL;
        if (!job.walk_error && segue_batch_is_ignored_name(p, &why))
            job.ignore_reason = why;
        if (!job.walk_error && !job.ignore_reason) {
            st = unique_name(&run, &levels[depth].taken, p, run.extension, mapped, max + 1);
            if (st >= 0) {
                job.output = path_join(levels[depth].out_rel, mapped);
                if (!job.output)
                    st = SEGUE_ERR_NO_MEMORY;
                else if (run.naming.max_path_bytes && strlen(job.output) > run.naming.max_path_bytes)
                    job.walk_error = "output path longer than the profile's path_max_bytes";
            } else if (st != SEGUE_ERR_NO_MEMORY) {
                job.walk_error = "no usable output name";
                st = SEGUE_OK;
            }
        }
        if (st >= 0)
            st = add_job(&run, &job);
        if (st < 0) {
            segue_mem_free(NULL, job.input);
            segue_mem_free(NULL, job.output);
        }
    }
    if (levels) {
        for (size_t d = 0; d <= depth; d++) {
            segue_mem_free(NULL, levels[d].src);
            segue_mem_free(NULL, levels[d].out_rel);
            name_set_free(&levels[d].taken);
        }
    }
    segue_mem_free(NULL, levels);
    segue_mem_free(NULL, sorted);
    segue_mem_free(NULL, mapped);
    if (st == SEGUE_ERR_NO_MEMORY)
        segue_error_set(&e, st, "out of memory");
    if (st >= 0)
        st = plan_take(&run, out, &e);
    else
        free_jobs(&run);
    error_out(&e, st, err, err_size);
    return st;
}

size_t segue_batch_plan_count(const segue_batch_plan *plan)
{
    return plan ? plan->count : 0;
}

segue_status segue_batch_plan_at(const segue_batch_plan *plan, size_t index, segue_batch_entry *entry)
{
    if (!plan || !entry || index >= plan->count)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const batch_job *j = &plan->jobs[index];
    entry->input = j->input;
    entry->output = j->output;
    entry->ignored = j->ignore_reason;
    entry->error = j->walk_error;
    return SEGUE_OK;
}

void segue_batch_plan_destroy(segue_batch_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->count; i++) {
        segue_mem_free(NULL, plan->jobs[i].input);
        segue_mem_free(NULL, plan->jobs[i].output);
    }
    segue_mem_free(NULL, plan->jobs);
    segue_mem_free(NULL, plan);
}

/* ---- one file ---- */

struct segue_batch_result {
    batch_result *res;
    char *record_line;
};

void segue_batch_file_default(segue_batch_file *f)
{
    if (!f)
        return;
    memset(f, 0, sizeof *f);
    f->struct_size = sizeof *f;
}

/* Temp names carry the pid and a counter; the counter is process-wide here
 * so that threads converting through separate calls never share a name. */
static atomic_ulong file_temp_counter;

segue_status segue_batch_convert_file(const segue_batch_file *f, segue_batch_result **out, char *err,
                                      size_t err_size)
{
    if (out)
        *out = NULL;
    if (!out || !f || f->struct_size != sizeof *f || !f->src_path || !f->input || !f->dst_dir ||
        !f->output || !f->profile)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size,
                        "batch file: bad arguments (struct_size, src_path, input, dst_dir, output, "
                        "profile)");
    if (!rel_path_ok(f->output) || !rel_path_ok(f->input))
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size,
                        "batch file: input and output must be relative paths without '.' or '..'");
    segue_error e;
    segue_error_clear(&e);
    batch_run run;
    segue_batch_options opt;
    segue_status st = plan_run_init(&run, &opt, f->profile, &e);
    if (st < 0) {
        error_out(&e, st, err, err_size);
        return st;
    }
    opt.dst_dir = f->dst_dir;
    run.cancel = f->cancel;
    run.cancel_user = f->user;
    run.temp_counter = atomic_fetch_add(&file_temp_counter, 1u << 16);

    segue_batch_result *r = segue_mem_calloc(NULL, 1, sizeof *r);
    batch_result *res = r ? segue_mem_calloc(NULL, 1, sizeof *res) : NULL;
    char *out_path = path_join(f->dst_dir, f->output);
    if (!r || !res || !out_path) {
        segue_mem_free(NULL, r);
        segue_mem_free(NULL, res);
        segue_mem_free(NULL, out_path);
        return fail_out(SEGUE_ERR_NO_MEMORY, err, err_size, "out of memory");
    }
    r->res = res;
    pthread_mutex_init(&run.lock, NULL);
    double started = monotonic_seconds();
    batch_job job = {(char *)f->input, (char *)f->output, NULL, NULL};
    res->record.input = segue_mem_strdup(NULL, f->input);
    res->record.output = segue_mem_strdup(NULL, f->output);
    res->item.input = res->record.input;
    res->item.output = res->record.output;
    char why[256];
    struct stat sst;
    if (!res->record.input || !res->record.output) {
        result_fail(res, SEGUE_BATCH_FAILED, "out of memory");
    } else if (stat(f->src_path, &sst) != 0) {
        errno_text(errno, why, sizeof why);
        result_fail(res, SEGUE_BATCH_FAILED, "cannot stat: %s", why);
    } else {
        res->item.input_bytes = (uint64_t)sst.st_size;
        res->record.input_size = f->have_source_stat ? f->source_size : (uint64_t)sst.st_size;
        res->record.input_mtime_ns = f->have_source_stat ? f->source_mtime_ns : mtime_ns(&sst);
        memcpy(res->record.profile_digest, run.digest, sizeof run.digest);
        snprintf(res->record.version, sizeof res->record.version, "%s", run.version);
        int rc = hash_file(f->src_path, res->record.input_sha256);
        if (rc) {
            errno_text(rc, why, sizeof why);
            result_fail(res, SEGUE_BATCH_FAILED, "cannot read: %s", why);
        } else {
            convert_file(&run, &job, f->src_path, out_path, res);
        }
    }
    res->item.wall_seconds = monotonic_seconds() - started;
    emit_item(&run, res); /* points the item's arrays at the result (no callback) */
    pthread_mutex_destroy(&run.lock);
    segue_mem_free(NULL, out_path);
    if (res->has_record && res->item.status == SEGUE_BATCH_CONVERTED) {
        size_t len = 0, cap = 0;
        if (segue_batch_manifest_format_record(&res->record, &r->record_line, &len, &cap) < 0) {
            segue_batch_result_destroy(r);
            return fail_out(SEGUE_ERR_NO_MEMORY, err, err_size, "out of memory");
        }
    }
    *out = r;
    return SEGUE_OK;
}

const segue_batch_item *segue_batch_result_item(const segue_batch_result *r)
{
    return r ? &r->res->item : NULL;
}

const char *segue_batch_result_record(const segue_batch_result *r)
{
    return r ? r->record_line : NULL;
}

void segue_batch_result_destroy(segue_batch_result *r)
{
    if (!r)
        return;
    result_free(r->res);
    segue_mem_free(NULL, r->record_line);
    segue_mem_free(NULL, r);
}

/* ---- the coordinator's session ---- */

struct segue_batch_session {
    batch_run run;
    segue_batch_options opt;
    segue_error e;
    char *dst_dir;
    int lock_fd, manifest_fd;
    segue_batch_manifest updates; /* recorded in this session */
};

static void session_free(segue_batch_session *s)
{
    if (s->manifest_fd >= 0)
        close(s->manifest_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    segue_batch_manifest_free(&s->updates);
    segue_batch_manifest_free(&s->run.manifest);
    pthread_mutex_destroy(&s->run.lock);
    segue_mem_free(NULL, s->dst_dir);
    segue_mem_free(NULL, s);
}

segue_status segue_batch_session_open(segue_batch_session **out, const char *dst_dir,
                                      const segue_profile *profile,
                                      void (*on_warning)(void *user, const char *message), void *user,
                                      char *err, size_t err_size)
{
    if (out)
        *out = NULL;
    if (!out || !dst_dir || !*dst_dir || !profile)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size, "batch session: NULL argument");
    segue_batch_session *s = segue_mem_calloc(NULL, 1, sizeof *s);
    if (!s)
        return fail_out(SEGUE_ERR_NO_MEMORY, err, err_size, "out of memory");
    s->lock_fd = s->manifest_fd = -1;
    segue_error_clear(&s->e);
    segue_status st = plan_run_init(&s->run, &s->opt, profile, &s->e);
    pthread_mutex_init(&s->run.lock, NULL);
    s->dst_dir = segue_mem_strdup(NULL, dst_dir);
    if (st >= 0 && !s->dst_dir)
        st = segue_error_set(&s->e, SEGUE_ERR_NO_MEMORY, "out of memory");
    s->opt.dst_dir = s->dst_dir;
    s->opt.on_warning = on_warning;
    s->opt.user = user;
    if (st >= 0) {
        int rc = make_dirs(dst_dir);
        if (rc)
            st = segue_error_set(&s->e, SEGUE_ERR_IO, "%s: cannot create: %s", dst_dir, strerror(rc));
    }
    if (st >= 0)
        st = lock_dst(&s->run, &s->lock_fd);
    if (st >= 0) {
        s->run.have_dst_id = 1;
        size_t stale = remove_stale_temps(&s->run, dst_dir, 0);
        if (stale)
            warn(&s->run, "removed %zu temporary file%s left by an interrupted run", stale,
                 stale == 1 ? "" : "s");
        manifest_load(&s->run);
        int rc = manifest_write(&s->run, &s->run.manifest);
        char *path = rc ? NULL : path_join(dst_dir, SEGUE_BATCH_MANIFEST_NAME);
        s->manifest_fd = path ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
        segue_mem_free(NULL, path);
        if (s->manifest_fd < 0)
            st = segue_error_set(&s->e, SEGUE_ERR_IO, "%s: cannot write the manifest: %s", dst_dir,
                                 strerror(rc ? rc : errno));
    }
    if (st < 0) {
        error_out(&s->e, st, err, err_size);
        session_free(s);
        return st;
    }
    *out = s;
    return SEGUE_OK;
}

segue_status segue_batch_session_check(segue_batch_session *s, const char *input, const char *output,
                                       uint64_t source_size, int64_t source_mtime_ns, int *up_to_date,
                                       uint64_t *output_bytes)
{
    if (up_to_date)
        *up_to_date = 0;
    if (!s || !input || !output || !up_to_date)
        return SEGUE_ERR_INVALID_ARGUMENT;
    /* The same test as process_job(); a record made in this session counts
     * as much as one loaded from the manifest. */
    const segue_batch_record *rec = segue_batch_manifest_find(&s->updates, output);
    if (!rec)
        rec = segue_batch_manifest_find(&s->run.manifest, output);
    if (!rec || strcmp(rec->input, input) != 0 || strcmp(rec->profile_digest, s->run.digest) != 0 ||
        strcmp(rec->version, s->run.version) != 0 || rec->input_size != source_size ||
        rec->input_mtime_ns != source_mtime_ns)
        return SEGUE_OK;
    char *out_path = path_join(s->dst_dir, output);
    if (!out_path)
        return SEGUE_ERR_NO_MEMORY;
    struct stat ost;
    if (stat(out_path, &ost) == 0 && S_ISREG(ost.st_mode) && (uint64_t)ost.st_size == rec->output_size) {
        *up_to_date = 1;
        if (output_bytes)
            *output_bytes = (uint64_t)ost.st_size;
    }
    segue_mem_free(NULL, out_path);
    return SEGUE_OK;
}

segue_status segue_batch_session_record(segue_batch_session *s, const char *line, char *err,
                                        size_t err_size)
{
    if (!s || !line)
        return fail_out(SEGUE_ERR_INVALID_ARGUMENT, err, err_size, "batch session: NULL argument");
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len) != line + len - 1)
        return fail_out(SEGUE_ERR_CORRUPT, err, err_size, "not one manifest line");
    /* Parsed with the manifest's own reader, so a line that would make the
     * manifest untrusted is refused here instead. */
    size_t hl = sizeof manifest_header - 1;
    char *text = segue_mem_alloc(NULL, hl + len + 1);
    if (!text)
        return fail_out(SEGUE_ERR_NO_MEMORY, err, err_size, "out of memory");
    memcpy(text, manifest_header, hl);
    memcpy(text + hl, line, len + 1);
    segue_batch_manifest one;
    segue_error pe;
    segue_error_clear(&pe);
    segue_status st = segue_batch_manifest_parse(&one, text, hl + len, &pe);
    segue_mem_free(NULL, text);
    if (st < 0) {
        error_out(&pe, st, err, err_size);
        return st;
    }
    if (one.count != 1) {
        segue_batch_manifest_free(&one);
        return fail_out(SEGUE_ERR_CORRUPT, err, err_size, "not one manifest line");
    }
    st = segue_batch_manifest_put(&s->updates, &one.records[0]);
    segue_batch_manifest_free(&one);
    if (st < 0)
        return fail_out(st, err, err_size, "out of memory");
    int rc = write_all(s->manifest_fd, line, len);
    if (!rc && fdatasync(s->manifest_fd) != 0)
        rc = errno;
    if (rc) {
        char why[128];
        errno_text(rc, why, sizeof why);
        if (err && err_size)
            snprintf(err, err_size, "cannot append to the manifest: %s", why);
        return SEGUE_ERR_IO;
    }
    return SEGUE_OK;
}

segue_status segue_batch_session_close(segue_batch_session *s, size_t *removed, char *err,
                                       size_t err_size)
{
    if (removed)
        *removed = 0;
    if (!s)
        return SEGUE_OK;
    /* Converters that died mid-file left temp files; none is running now. */
    size_t stale = remove_stale_temps(&s->run, s->dst_dir, 0);
    if (removed)
        *removed = stale;
    segue_status st = SEGUE_OK;
    for (size_t i = 0; i < s->updates.count && st >= 0; i++)
        st = segue_batch_manifest_put(&s->run.manifest, &s->updates.records[i]);
    if (st < 0) {
        fail_out(st, err, err_size, "out of memory merging the manifest");
    } else {
        int rc = manifest_write(&s->run, &s->run.manifest);
        if (rc) {
            char why[128];
            errno_text(rc, why, sizeof why);
            if (err && err_size)
                snprintf(err, err_size, "%s: cannot rewrite the manifest: %s", s->dst_dir, why);
            st = SEGUE_ERR_IO;
        }
    }
    session_free(s);
    return st;
}
