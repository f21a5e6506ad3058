/* tests/batch/test_batch_units.c - engine/batch.c without a file system:
 * FAT name mapping (illegal characters, reserved DOS names, trailing dots
 * and spaces, UTF-8-safe truncation that keeps the extension, collision
 * suffixes), the ignored-extension list, and the manifest codec (round
 * trip with awkward paths, torn last line dropped, any flipped byte or bad
 * field rejecting the whole manifest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "engine/batch.h"

static const segue_batch_naming fat255 = {1, 255, 0};

static void map(const segue_batch_naming *n, const char *name, const char *ext, unsigned collision,
                char *out)
{
    assert_int_equal(segue_batch_map_name(n, name, ext, collision, out, 256), SEGUE_OK);
}

static void test_fat_characters(void **state)
{
    (void)state;
    char out[256];
    map(&fat255, "a<b>c:d\"e/f\\g|h?i*j.flac", "mp3", 1, out);
    assert_string_equal(out, "a_b_c_d_e_f_g_h_i_j.mp3");
    map(&fat255, "tab\there\x01.wav", "mp3", 1, out);
    assert_string_equal(out, "tab_here_.mp3");
    map(&fat255, "ends with dots... .flac", "mp3", 1, out);
    assert_string_equal(out, "ends with dots.mp3");
    map(&fat255, "folder. ", NULL, 1, out);
    assert_string_equal(out, "folder");
    map(&fat255, "...", NULL, 1, out);
    assert_string_equal(out, "_");
    /* Without FAT rules the same names pass through. */
    segue_batch_naming posix = {0, 255, 0};
    map(&posix, "a:b?.flac", "mp3", 1, out);
    assert_string_equal(out, "a:b?.mp3");
}

static void test_reserved_names(void **state)
{
    (void)state;
    char out[256];
    map(&fat255, "CON.flac", "mp3", 1, out);
    assert_string_equal(out, "CON_.mp3");
    map(&fat255, "nul", NULL, 1, out);
    assert_string_equal(out, "nul_");
    map(&fat255, "com1.wav", "mp3", 1, out);
    assert_string_equal(out, "com1_.mp3");
    map(&fat255, "Lpt9.x.flac", "mp3", 1, out);
    assert_string_equal(out, "Lpt9_.x.mp3");
    map(&fat255, "CONCERT.flac", "mp3", 1, out);
    assert_string_equal(out, "CONCERT.mp3");
    map(&fat255, "com0.flac", "mp3", 1, out);
    assert_string_equal(out, "com0.mp3");
}

static void test_truncation_and_collisions(void **state)
{
    (void)state;
    segue_batch_naming small = {1, 20, 0};
    char out[256];
    /* "ééééééééé" is 18 bytes; 16 fit before ".mp3" but the cut must not
     * split a two-byte sequence. */
    map(&small, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9.flac", "mp3", 1,
        out);
    assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9.mp3");
    assert_true(strlen(out) <= 20);
    map(&small, "abcdefghijklmnopqrstuvwxyz.flac", "mp3", 12, out);
    assert_string_equal(out, "abcdefghijk (12).mp3");
    assert_int_equal(strlen(out), 20);
    map(&fat255, "song.flac", "mp3", 2, out);
    assert_string_equal(out, "song (2).mp3");
    map(&fat255, ".hidden", "mp3", 1, out);
    assert_string_equal(out, ".hidden.mp3");
    /* An extension longer than the limit cannot be honoured. */
    segue_batch_naming tiny = {1, 16, 0};
    assert_int_equal(segue_batch_map_name(&tiny, "a.flac", "averyveryverylongext", 1, out, 256),
                     SEGUE_ERR_INVALID_ARGUMENT);
}

static void test_ignored(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_true(segue_batch_is_ignored_name("cover.JPG", &why));
    assert_non_null(why);
    assert_true(segue_batch_is_ignored_name("album.cue", &why));
    assert_true(segue_batch_is_ignored_name(".DS_Store", &why));
    assert_true(segue_batch_is_ignored_name("._song.flac", &why));
    assert_false(segue_batch_is_ignored_name("song.flac", &why));
    assert_false(segue_batch_is_ignored_name("song.wma", &why));
    assert_false(segue_batch_is_ignored_name("noextension", &why));
    assert_false(segue_batch_is_ignored_name(".txt", &why));
}

static segue_batch_record make_record(const char *out, const char *in, uint64_t size)
{
    segue_batch_record r;
    memset(&r, 0, sizeof r);
    r.output = (char *)out;
    r.input = (char *)in;
    r.input_size = size;
    r.input_mtime_ns = -1234567890123;
    memset(r.input_sha256, 'a', 64);
    memset(r.profile_digest, '0', 64);
    strcpy(r.version, "0.1.0");
    r.output_size = size / 2;
    return r;
}

static char *format_all(const segue_batch_record *records, size_t n, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    const char *h = segue_batch_manifest_header();
    size_t hl = strlen(h);
    buf = segue_mem_alloc(NULL, hl + 1);
    memcpy(buf, h, hl + 1);
    *len = cap = hl;
    cap = hl + 1;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(segue_batch_manifest_format_record(&records[i], &buf, len, &cap), SEGUE_OK);
    return buf;
}

static void test_manifest_round_trip(void **state)
{
    (void)state;
    segue_batch_record recs[3] = {
        make_record("b/x.mp3", "b/x.flac", 100),
        make_record("tab\there/new\nline\\back.mp3", "tab\there/new\nline\\back.flac", 200),
        make_record("\xe6\x97\xa5\xe6\x9c\xac/\x01ctl.mp3", "\xe6\x97\xa5\xe6\x9c\xac/\x01ctl.wav", 300),
    };
    size_t len;
    char *text = format_all(recs, 3, &len);
    segue_batch_manifest m;
    segue_error err;
    segue_error_clear(&err);
    assert_int_equal(segue_batch_manifest_parse(&m, text, len, &err), SEGUE_OK);
    assert_int_equal(m.count, 3);
    for (int i = 0; i < 3; i++) {
        const segue_batch_record *r = segue_batch_manifest_find(&m, recs[i].output);
        assert_non_null(r);
        assert_string_equal(r->input, recs[i].input);
        assert_int_equal(r->input_size, recs[i].input_size);
        assert_true(r->input_mtime_ns == recs[i].input_mtime_ns);
        assert_int_equal(r->output_size, recs[i].output_size);
        assert_string_equal(r->version, "0.1.0");
    }
    segue_batch_manifest_free(&m);

    /* A torn final line (no newline) is dropped, the rest kept. */
    assert_int_equal(segue_batch_manifest_parse(&m, text, len - 5, &err), SEGUE_OK);
    assert_int_equal(m.count, 2);
    segue_batch_manifest_free(&m);

    /* Any single flipped byte in a complete line: the whole manifest is
     * refused (or, for a flip inside the header, not recognised). */
    size_t header_len = strlen(segue_batch_manifest_header());
    for (size_t i = 0; i < len - 1; i++) {
        if (text[i] == '\n')
            continue;
        text[i] ^= 0x20;
        segue_error_clear(&err);
        segue_status st = segue_batch_manifest_parse(&m, text, len, &err);
        assert_int_equal(st, SEGUE_ERR_CORRUPT);
        assert_int_equal(m.count, 0);
        if (i >= header_len)
            assert_non_null(strstr(err.detail, "line "));
        text[i] ^= 0x20;
    }
    segue_mem_free(NULL, text);
}

static void test_manifest_rejects(void **state)
{
    (void)state;
    /* Paths that a record we wrote can never hold. */
    const char *bad_paths[] = {"/abs.mp3", "../up.mp3", "a//b.mp3", "a/./b.mp3", "a/", "a\\qb"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        segue_batch_record r = make_record("ok.mp3", "ok.flac", 1);
        r.output = (char *)bad_paths[i];
        size_t len;
        char *text = format_all(&r, 1, &len);
        /* format escapes '\\' so "a\\qb" survives; the raw forms are built
         * by hand below. */
        segue_batch_manifest m;
        segue_error err;
        segue_error_clear(&err);
        segue_status st = segue_batch_manifest_parse(&m, text, len, &err);
        if (i < 5)
            assert_int_equal(st, SEGUE_ERR_CORRUPT);
        else
            assert_int_equal(st, SEGUE_OK);
        segue_batch_manifest_free(&m);
        segue_mem_free(NULL, text);
    }
    segue_batch_manifest m;
    segue_error err;
    segue_error_clear(&err);
    const char *not_ours = "something else\n";
    assert_int_equal(segue_batch_manifest_parse(&m, not_ours, strlen(not_ours), &err), SEGUE_ERR_CORRUPT);
    const char *header_only = segue_batch_manifest_header();
    assert_int_equal(segue_batch_manifest_parse(&m, header_only, strlen(header_only), &err), SEGUE_OK);
    assert_int_equal(m.count, 0);
    segue_batch_manifest_free(&m);
}

static void test_manifest_put_remove(void **state)
{
    (void)state;
    segue_batch_manifest m;
    memset(&m, 0, sizeof m);
    char name[32];
    for (int i = 199; i >= 0; i--) {
        snprintf(name, sizeof name, "f%03d.mp3", i);
        segue_batch_record r = make_record(name, "src", (uint64_t)i);
        assert_int_equal(segue_batch_manifest_put(&m, &r), SEGUE_OK);
    }
    segue_batch_record again = make_record("f050.mp3", "other", 7);
    assert_int_equal(segue_batch_manifest_put(&m, &again), SEGUE_OK);
    assert_int_equal(m.count, 200);
    assert_string_equal(segue_batch_manifest_find(&m, "f050.mp3")->input, "other");
    for (size_t i = 1; i < m.count; i++)
        assert_true(strcmp(m.records[i - 1].output, m.records[i].output) < 0);
    segue_batch_manifest_remove(&m, "f000.mp3");
    segue_batch_manifest_remove(&m, "absent.mp3");
    assert_int_equal(m.count, 199);
    assert_null(segue_batch_manifest_find(&m, "f000.mp3"));
    segue_batch_manifest_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat_characters),      cmocka_unit_test(test_reserved_names),
        cmocka_unit_test(test_truncation_and_collisions), cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_manifest_round_trip), cmocka_unit_test(test_manifest_rejects),
        cmocka_unit_test(test_manifest_put_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
