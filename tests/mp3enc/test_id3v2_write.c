/*
 * tests/mp3enc/test_id3v2_write.c - the ID3v2 writer (container/id3v2_write.c)
 * against the ID3v2 reader (container/id3v2.c): every mapped field written
 * as v2.3 and v2.4 reads back identically; the encodings, sizes, padding
 * and multi-value rules the header documents; what goes to "unmapped";
 * allocation failure at every step (no leak, NO_MEMORY); and the ID3v1
 * writer against the ID3v1 reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "container/id3v1.h"
#include "container/id3v2.h"
#include "container/id3v2_write.h"
#include "core/alloc.h"
#include "tags_fill.h"

static uint8_t g_cover[3000];

static segue_metadata *new_meta(void)
{
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    return m;
}

/* Every key of `want` has the same values, in order, in `got`, and `got`
 * has no other key. */
static void assert_same_fields(const segue_metadata *want, const segue_metadata *got)
{
    for (size_t i = 0; i < segue_metadata_field_count(want); i++) {
        const char *k;
        segue_metadata_field_at(want, i, &k, NULL);
        size_t n = segue_metadata_count(want, k);
        if (segue_metadata_count(got, k) != n)
            fail_msg("key %s: %zu values written, %zu read", k, n, segue_metadata_count(got, k));
        for (size_t j = 0; j < n; j++)
            assert_string_equal(segue_metadata_get(want, k, j), segue_metadata_get(got, k, j));
    }
    for (size_t i = 0; i < segue_metadata_field_count(got); i++) {
        const char *k;
        segue_metadata_field_at(got, i, &k, NULL);
        if (!segue_metadata_count(want, k))
            fail_msg("key %s read but not written", k);
    }
}

static void assert_same_pictures(const segue_metadata *want, const segue_metadata *got)
{
    assert_int_equal(segue_metadata_picture_count(want), segue_metadata_picture_count(got));
    for (size_t i = 0; i < segue_metadata_picture_count(want); i++) {
        segue_picture a, b;
        segue_metadata_picture_at(want, i, &a);
        segue_metadata_picture_at(got, i, &b);
        assert_int_equal(a.type, b.type);
        assert_string_equal(a.mime, b.mime);
        assert_string_equal(a.description, b.description);
        assert_int_equal(a.size, b.size);
        assert_memory_equal(a.data, b.data, a.size);
    }
}

static segue_metadata *round_trip(const segue_metadata *m, int version, segue_metadata *unmapped,
                                  uint8_t **tag_out, size_t *size_out)
{
    uint8_t *tag = NULL;
    size_t size = 0;
    segue_error err;
    segue_error_clear(&err);
    assert_int_equal(segue_id3v2_write(m, version, unmapped, NULL, &tag, &size, &err), SEGUE_OK);
    assert_non_null(tag);
    /* [v2.4-S] 3.1: "ID3", version, revision 0, no flags, syncsafe size. */
    assert_memory_equal(tag, "ID3", 3);
    assert_int_equal(tag[3], version);
    assert_int_equal(tag[4], 0);
    assert_int_equal(tag[5], 0);
    assert_int_equal(segue_id3v2_tag_size(tag, size), size);
    /* The padding: the last 1024 bytes are zero. */
    for (size_t i = size - SEGUE_ID3V2_WRITE_PADDING; i < size; i++)
        assert_int_equal(tag[i], 0);
    segue_metadata *back = new_meta();
    assert_int_equal(segue_id3v2_parse(tag, size, back, NULL, &err), SEGUE_OK);
    if (tag_out) {
        *tag_out = tag;
        *size_out = size;
    } else {
        segue_mem_free(NULL, tag);
    }
    return back;
}

static void check_loudness(const segue_metadata *back)
{
    segue_loudness l;
    segue_metadata_get_loudness(back, &l);
    assert_true(l.has_track_gain && l.has_track_peak);
    assert_false(l.has_album_gain || l.has_album_peak);
    assert_true(l.track_gain_db > -6.5001 && l.track_gain_db < -6.4999);
    assert_true(l.track_peak > 0.9885529 && l.track_peak < 0.9885531);
}

static void test_all_fields(void **state)
{
    (void)state;
    for (int version = 3; version <= 4; version++) {
        segue_metadata *m = new_meta();
        tags_fill(m, g_cover, sizeof g_cover);
        segue_metadata_add(m, "COPYRIGHT", "(C) 2024 Someone");
        segue_metadata_add(m, "ENCODER", "segue");
        segue_metadata_add(m, "ISRC", "USRC17607839");
        segue_metadata_add(m, "TBPM", "120");
        segue_metadata_add(m, "WOAR", "https://example.org/artist");
        segue_metadata_add(m, "CUSTOM", "value \xD0\x96");
        segue_metadata *un = new_meta();
        segue_metadata *back = round_trip(m, version, un, NULL, NULL);
        assert_same_fields(m, back);
        assert_same_pictures(m, back);
        check_loudness(back);
        assert_int_equal(segue_metadata_unmapped_count(un), 0);
        segue_metadata_destroy(back);
        segue_metadata_destroy(un);
        segue_metadata_destroy(m);
    }
}

/* The text encoding byte of the first frame `id` in `tag`. */
static int frame_encoding(const uint8_t *tag, size_t size, const char *id, uint32_t *fsize)
{
    size_t pos = 10;
    while (pos + 10 <= size && tag[pos]) {
        uint32_t n;
        if (tag[3] == 4)
            n = ((uint32_t)tag[pos + 4] << 21) | ((uint32_t)tag[pos + 5] << 14) |
                ((uint32_t)tag[pos + 6] << 7) | tag[pos + 7];
        else
            n = ((uint32_t)tag[pos + 4] << 24) | ((uint32_t)tag[pos + 5] << 16) |
                ((uint32_t)tag[pos + 6] << 8) | tag[pos + 7];
        if (memcmp(tag + pos, id, 4) == 0) {
            if (fsize)
                *fsize = n;
            return tag[pos + 10];
        }
        pos += 10 + n;
    }
    return -1;
}

static void test_encodings(void **state)
{
    (void)state;
    segue_metadata *m = new_meta();
    segue_metadata_add(m, "TITLE", "\xE6\x97\xA5\xE6\x9C\xAC"); /* 日本: not Latin-1 */
    segue_metadata_add(m, "ALBUM", "caf\xC3\xA9");             /* café: Latin-1 */
    segue_metadata_add(m, "ARTIST", "plain");
    char lyrics[400];
    memset(lyrics, 'x', sizeof lyrics - 1);
    lyrics[sizeof lyrics - 1] = 0;
    segue_metadata_add(m, "LYRICS", lyrics);
    for (int version = 3; version <= 4; version++) {
        uint8_t *tag;
        size_t size;
        segue_metadata *back = round_trip(m, version, NULL, &tag, &size);
        assert_same_fields(m, back);
        uint32_t n = 0;
        /* [v2.3] 3.3: UTF-16 with BOM; [v2.4-S] 4.: UTF-8 (3). */
        assert_int_equal(frame_encoding(tag, size, "TIT2", &n), version == 3 ? 1 : 3);
        if (version == 3) {
            assert_int_equal(n, 1 + 2 + 2 * 2); /* encoding, BOM, two units */
        }
        assert_int_equal(frame_encoding(tag, size, "TALB", &n), 0);
        assert_int_equal(n, 1 + 4);
        assert_int_equal(frame_encoding(tag, size, "TPE1", NULL), 0);
        /* A frame over 127 bytes: v2.4 sizes are syncsafe, v2.3 plain. */
        assert_int_equal(frame_encoding(tag, size, "USLT", &n), 0);
        assert_int_equal(n, 1 + 3 + 1 + 399);
        segue_metadata_destroy(back);
        segue_mem_free(NULL, tag);
    }
    segue_metadata_destroy(m);
}

static void test_multi_values(void **state)
{
    (void)state;
    segue_metadata *m = new_meta();
    segue_metadata_add(m, "ARTIST", "One");
    segue_metadata_add(m, "ARTIST", "Two");
    segue_metadata_add(m, "GENRE", "Rock");
    segue_metadata_add(m, "GENRE", "Pop");
    segue_metadata_add(m, "GENRE", "Jazz");
    segue_metadata_add(m, "FOO", "x");
    segue_metadata_add(m, "FOO", "y");
    segue_metadata_add(m, "COMMENT", "first");
    segue_metadata_add(m, "COMMENT", "second");
    /* v2.4: NUL-separated lists read back as they were. */
    segue_metadata *back = round_trip(m, 4, NULL, NULL, NULL);
    assert_same_fields(m, back);
    segue_metadata_destroy(back);
    /* v2.3: TPE1 joins with "/" (one value back); other keys put the extra
     * values in TXXX frames named after the key, read back as a list. */
    back = round_trip(m, 3, NULL, NULL, NULL);
    assert_int_equal(segue_metadata_count(back, "ARTIST"), 1);
    assert_string_equal(segue_metadata_get(back, "ARTIST", 0), "One/Two");
    assert_int_equal(segue_metadata_count(back, "GENRE"), 3);
    assert_string_equal(segue_metadata_get(back, "GENRE", 0), "Rock");
    assert_string_equal(segue_metadata_get(back, "GENRE", 1), "Pop");
    assert_string_equal(segue_metadata_get(back, "GENRE", 2), "Jazz");
    assert_int_equal(segue_metadata_count(back, "FOO"), 2);
    assert_int_equal(segue_metadata_count(back, "COMMENT"), 2);
    assert_string_equal(segue_metadata_get(back, "COMMENT", 1), "second");
    segue_metadata_destroy(back);
    segue_metadata_destroy(m);
}

static void test_dates_and_specials(void **state)
{
    (void)state;
    segue_metadata *m = new_meta();
    segue_metadata_add(m, "DATE", "2024-05-17T13:45:10");
    segue_metadata_add(m, "GENRE", "(weird) genre");
    segue_metadata_add(m, "TRACKTOTAL", "9"); /* a total without a number */
    segue_metadata_add(m, "ITUNSMPB", " 00000000 00000210 ...");
    segue_metadata_add(m, "REPLAYGAIN_TRACK_GAIN", "-1.00 dB"); /* text form, no record */
    segue_loudness l = {0};
    l.has_r128_track = 1, l.r128_track_gain_db = -2.0;
    segue_metadata_set_loudness(m, &l);
    segue_metadata *un = new_meta();
    segue_metadata *back = round_trip(m, 3, un, NULL, NULL);
    /* v2.3: TYER 2024, TDAT 1705, TIME 1345 (the reader keeps TDAT/TIME by id). */
    assert_string_equal(segue_metadata_get(back, "DATE", 0), "2024");
    assert_string_equal(segue_metadata_get(back, "TDAT", 0), "1705");
    assert_string_equal(segue_metadata_get(back, "TIME", 0), "1345");
    assert_string_equal(segue_metadata_get(back, "GENRE", 0), "(weird) genre");
    assert_string_equal(segue_metadata_get(back, "TRACKTOTAL", 0), "9");
    assert_null(segue_metadata_get(back, "ITUNSMPB", 0));
    segue_loudness lb;
    segue_metadata_get_loudness(back, &lb);
    assert_true(lb.has_track_gain && lb.track_gain_db < -0.999 && lb.track_gain_db > -1.001);
    /* Reported: the seconds, the iTunes value, the R128 gain. */
    int seen_date = 0, seen_itun = 0, seen_r128 = 0;
    for (size_t i = 0; i < segue_metadata_unmapped_count(un); i++) {
        const char *w, *r;
        segue_metadata_unmapped_at(un, i, &w, &r);
        seen_date |= !strcmp(w, "DATE");
        seen_itun |= !strcmp(w, "ITUNSMPB");
        seen_r128 |= !strcmp(w, "R128_TRACK_GAIN");
        assert_memory_equal(r, "id3v2: ", 7);
    }
    assert_true(seen_date && seen_itun && seen_r128);
    segue_metadata_destroy(back);
    segue_metadata_destroy(un);
    /* v2.4 keeps the date whole in TDRC. */
    back = round_trip(m, 4, NULL, NULL, NULL);
    assert_string_equal(segue_metadata_get(back, "DATE", 0), "2024-05-17T13:45:10");
    segue_metadata_destroy(back);
    segue_metadata_destroy(m);
}

static void test_empty_and_bad_args(void **state)
{
    (void)state;
    uint8_t *tag = (uint8_t *)"x";
    size_t size = 7;
    segue_error err;
    segue_error_clear(&err);
    assert_int_equal(segue_id3v2_write(NULL, 3, NULL, NULL, &tag, &size, &err), SEGUE_OK);
    assert_null(tag);
    assert_int_equal(size, 0);
    segue_metadata *m = new_meta();
    assert_int_equal(segue_id3v2_write(m, 4, NULL, NULL, &tag, &size, &err), SEGUE_OK);
    assert_null(tag);
    segue_metadata_add(m, "TITLE", "");
    assert_int_equal(segue_id3v2_write(m, 4, NULL, NULL, &tag, &size, &err), SEGUE_OK);
    assert_null(tag);
    assert_int_equal(segue_id3v2_write(m, 2, NULL, NULL, &tag, &size, &err), SEGUE_ERR_INVALID_ARGUMENT);
    assert_memory_equal(err.detail, "id3v2: ", 7);
    segue_metadata_destroy(m);
}

/* An allocator that fails after `budget` successful allocations. */
typedef struct fail_alloc {
    long budget;
} fail_alloc;
static void *fa_alloc(void *user, size_t size)
{
    fail_alloc *f = user;
    if (f->budget-- <= 0)
        return NULL;
    return segue_mem_alloc(NULL, size);
}
static void fa_free(void *user, void *p)
{
    (void)user;
    segue_mem_free(NULL, p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    segue_metadata *m = new_meta();
    tags_fill(m, g_cover, sizeof g_cover);
    for (int version = 3; version <= 4; version++) {
        for (long budget = 0;; budget++) {
            fail_alloc f = {budget};
            segue_allocator a = {&f, fa_alloc, fa_free};
            uint8_t *tag = NULL;
            size_t size = 0;
            segue_error err;
            segue_error_clear(&err);
            segue_status st = segue_id3v2_write(m, version, NULL, &a, &tag, &size, &err);
            if (st == SEGUE_OK) {
                assert_non_null(tag);
                segue_mem_free(&a, tag);
                break;
            }
            assert_int_equal(st, SEGUE_ERR_NO_MEMORY);
            assert_null(tag);
            assert_true(budget < 100);
        }
    }
    segue_metadata_destroy(m);
}

static void test_id3v1_round_trip(void **state)
{
    (void)state;
    segue_metadata *m = new_meta();
    segue_metadata_add(m, "TITLE", "A title that is longer than thirty characters");
    segue_metadata_add(m, "ARTIST", "Bj\xC3\xB6rk \xE6\x97\xA5");  /* Björk 日 */
    segue_metadata_add(m, "ALBUM", "Album");
    segue_metadata_add(m, "DATE", "1997-09-22");
    segue_metadata_add(m, "COMMENT", "Comment");
    segue_metadata_add(m, "TRACKNUMBER", "7");
    segue_metadata_add(m, "GENRE", "electronic");
    segue_metadata *un = new_meta();
    uint8_t tag[SEGUE_ID3V1_BYTES];
    assert_int_equal(segue_id3v1_render(m, un, tag), SEGUE_OK);
    assert_true(segue_id3v1_present(tag, sizeof tag));
    assert_int_equal(tag[125], 0);
    assert_int_equal(tag[126], 7);
    assert_int_equal(tag[127], 52); /* Electronic */
    segue_metadata *back = new_meta();
    assert_int_equal(segue_id3v1_parse(tag, sizeof tag, back, NULL, NULL), SEGUE_OK);
    assert_string_equal(segue_metadata_get(back, "TITLE", 0), "A title that is longer than th");
    assert_string_equal(segue_metadata_get(back, "ARTIST", 0), "Bj\xC3\xB6rk ?");
    assert_string_equal(segue_metadata_get(back, "DATE", 0), "1997");
    assert_string_equal(segue_metadata_get(back, "TRACKNUMBER", 0), "7");
    assert_string_equal(segue_metadata_get(back, "GENRE", 0), "Electronic");
    assert_string_equal(segue_metadata_get(back, "COMMENT", 0), "Comment");
    /* TITLE and DATE truncated, ARTIST replaced. */
    assert_int_equal(segue_metadata_unmapped_count(un), 3);
    /* Gaps only: a second parse into the same set adds nothing. */
    size_t before = segue_metadata_field_count(back);
    assert_int_equal(segue_id3v1_parse(tag, sizeof tag, back, NULL, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_field_count(back), before);
    segue_metadata_destroy(back);
    segue_metadata_destroy(un);
    segue_metadata_destroy(m);
}

int main(void)
{
    /* A JPEG-looking cover (SOI marker) with varied bytes. */
    for (size_t i = 0; i < sizeof g_cover; i++)
        g_cover[i] = (uint8_t)(i * 131u + 7u);
    g_cover[0] = 0xFF, g_cover[1] = 0xD8, g_cover[2] = 0xFF;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_multi_values),
        cmocka_unit_test(test_dates_and_specials),
        cmocka_unit_test(test_empty_and_bad_args),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_id3v1_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
