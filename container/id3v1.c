/*
 * container/id3v1.c - ID3v1 / ID3v1.1 reader and writer (see id3v1.h).
 *
 * The tag is a fixed 128-byte record; nothing in it declares a size, so
 * the only robustness rule is to read exactly those bytes.
 */
#include "id3v1.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "id3v2.h"
#include "id3v2_write.h"

int segue_id3v1_present(const uint8_t *data, size_t size)
{
    return data && size >= SEGUE_ID3V1_BYTES &&
           memcmp(data + size - SEGUE_ID3V1_BYTES, "TAG", 3) == 0;
}

/* Adds a fixed-size ISO-8859-1 field as UTF-8 (at most 2 bytes per input
 * byte), unless the field is empty or `key` already has a value. */
static segue_status add_latin1(segue_metadata *m, const char *key, const uint8_t *p, size_t n,
                               segue_error *err)
{
    const uint8_t *z = memchr(p, 0, n);
    if (z)
        n = (size_t)(z - p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == 0))
        n--;
    if (!n || segue_metadata_count(m, key))
        return SEGUE_OK;
    char buf[2 * 30 + 1];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            buf[o++] = (char)p[i];
        } else {
            buf[o++] = (char)(0xC0 | (p[i] >> 6));
            buf[o++] = (char)(0x80 | (p[i] & 0x3F));
        }
    }
    buf[o] = 0;
    segue_status st = segue_metadata_add(m, key, buf);
    if (st == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(err, st, "id3v1: out of memory");
    return SEGUE_OK;
}

segue_status segue_id3v1_parse(const uint8_t *tag, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err)
{
    (void)a; /* strings are built on the stack: fields are at most 30 bytes */
    if (!m || (!tag && size))
        return segue_error_set(err, SEGUE_ERR_INVALID_ARGUMENT, "id3v1: no tag or no metadata");
    if (size < SEGUE_ID3V1_BYTES)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "id3v1: tag is %zu bytes, need 128", size);
    if (memcmp(tag, "TAG", 3) != 0)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "id3v1: tag does not start with 'TAG'");
    segue_status st;
    if ((st = add_latin1(m, "TITLE", tag + 3, 30, err)) < 0 ||
        (st = add_latin1(m, "ARTIST", tag + 33, 30, err)) < 0 ||
        (st = add_latin1(m, "ALBUM", tag + 63, 30, err)) < 0 ||
        (st = add_latin1(m, "DATE", tag + 93, 4, err)) < 0)
        return st;
    /* ID3v1.1: a zero at comment byte 28 and a non-zero byte 29 make byte
     * 29 the track number and shorten the comment to 28 bytes. */
    const uint8_t *comment = tag + 97;
    int v11 = comment[28] == 0 && comment[29] != 0;
    if ((st = add_latin1(m, "COMMENT", comment, v11 ? 28 : 30, err)) < 0)
        return st;
    if (v11 && !segue_metadata_count(m, "TRACKNUMBER")) {
        char num[4];
        snprintf(num, sizeof num, "%u", (unsigned)comment[29]);
        if ((st = segue_metadata_add(m, "TRACKNUMBER", num)) == SEGUE_ERR_NO_MEMORY)
            return segue_error_set(err, st, "id3v1: out of memory");
    }
    const char *genre = segue_id3v1_genre_name(tag[127]); /* 255 and unlisted: none */
    if (genre && !segue_metadata_count(m, "GENRE") &&
        (st = segue_metadata_add(m, "GENRE", genre)) == SEGUE_ERR_NO_MEMORY)
        return segue_error_set(err, st, "id3v1: out of memory");
    return SEGUE_OK;
}

/* ---- writer ------------------------------------------------------------------ */

static segue_status report(segue_metadata *unmapped, const char *what, const char *why)
{
    if (unmapped && segue_metadata_add_unmapped(unmapped, what, why) == SEGUE_ERR_NO_MEMORY)
        return SEGUE_ERR_NO_MEMORY;
    return SEGUE_OK;
}

/* Copies UTF-8 `s` as ISO-8859-1 into a `cap`-byte field (NUL-padded by
 * the caller's memset). */
static segue_status put_field(uint8_t *dst, size_t cap, const char *s, const char *key,
                              segue_metadata *unmapped)
{
    size_t o = 0;
    int replaced = 0, cut = 0;
    while (*s) {
        if (o == cap) {
            cut = 1;
            break;
        }
        uint32_t cp = segue_utf8_next(&s);
        if (cp > 0xFF) {
            cp = '?';
            replaced = 1;
        }
        dst[o++] = (uint8_t)cp;
    }
    segue_status st = SEGUE_OK;
    if (cut) {
        char why[64];
        snprintf(why, sizeof why, "id3v1: truncated to %zu characters", cap);
        st = report(unmapped, key, why);
    }
    if (st >= 0 && replaced)
        st = report(unmapped, key, "id3v1: characters outside ISO-8859-1 written as '?'");
    return st;
}

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

segue_status segue_id3v1_render(const segue_metadata *m, segue_metadata *unmapped,
                                uint8_t out[SEGUE_ID3V1_BYTES])
{
    memset(out, 0, SEGUE_ID3V1_BYTES);
    memcpy(out, "TAG", 3);
    out[127] = 255;
    if (!m)
        return SEGUE_OK;
    const char *v;
    segue_status st = SEGUE_OK;
    if ((v = segue_metadata_get(m, "TITLE", 0)))
        st = put_field(out + 3, 30, v, "TITLE", unmapped);
    if (st >= 0 && (v = segue_metadata_get(m, "ARTIST", 0)))
        st = put_field(out + 33, 30, v, "ARTIST", unmapped);
    if (st >= 0 && (v = segue_metadata_get(m, "ALBUM", 0)))
        st = put_field(out + 63, 30, v, "ALBUM", unmapped);
    if (st >= 0 && (v = segue_metadata_get(m, "DATE", 0))) {
        st = put_field(out + 93, 4, v, "DATE", unmapped);
    }
    /* v1.1 track: comment shrinks to 28 bytes, byte 28 stays zero. */
    unsigned track = 0;
    if (st >= 0 && (v = segue_metadata_get(m, "TRACKNUMBER", 0))) {
        unsigned long n = 0;
        const char *p = v;
        while (*p >= '0' && *p <= '9' && n <= 255)
            n = n * 10 + (unsigned long)(*p++ - '0');
        if (p != v && n >= 1 && n <= 255 && (*p == 0 || *p == '/'))
            track = (unsigned)n;
        else
            st = report(unmapped, "TRACKNUMBER", "id3v1: track number not in 1..255");
    }
    if (st >= 0 && (v = segue_metadata_get(m, "COMMENT", 0)))
        st = put_field(out + 97, track ? 28 : 30, v, "COMMENT", unmapped);
    if (track) {
        out[97 + 28] = 0;
        out[97 + 29] = (uint8_t)track;
    }
    if (st >= 0 && (v = segue_metadata_get(m, "GENRE", 0))) {
        unsigned i;
        const char *name;
        for (i = 0; (name = segue_id3v1_genre_name(i)) != NULL; i++)
            if (same_nocase(name, v))
                break;
        if (name)
            out[127] = (uint8_t)i;
        else
            st = report(unmapped, "GENRE", "id3v1: genre not in the ID3v1 list");
    }
    return st;
}
