/* tests/api/test_metadata.c - the metadata model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <segue/metadata.h>

static void test_multi_values_and_case(void **state)
{
    (void)state;
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "artist", "One"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "TITLE", "Song"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "Artist", "Two"), SEGUE_OK);
    assert_int_equal(segue_metadata_count(m, "ARTIST"), 2);
    assert_string_equal(segue_metadata_get(m, "artist", 0), "One");
    assert_string_equal(segue_metadata_get(m, "ARTIST", 1), "Two");
    assert_null(segue_metadata_get(m, "ARTIST", 2));
    assert_null(segue_metadata_get(m, "ALBUM", 0));
    /* Insertion order and upper-cased keys. */
    const char *k, *v;
    assert_int_equal(segue_metadata_field_at(m, 0, &k, &v), SEGUE_OK);
    assert_string_equal(k, "ARTIST");
    assert_int_equal(segue_metadata_field_at(m, 1, &k, &v), SEGUE_OK);
    assert_string_equal(k, "TITLE");
    assert_int_equal(segue_metadata_field_at(m, 3, &k, &v), SEGUE_ERR_INVALID_ARGUMENT);

    assert_int_equal(segue_metadata_set(m, "artist", "Only"), SEGUE_OK);
    assert_int_equal(segue_metadata_count(m, "ARTIST"), 1);
    assert_string_equal(segue_metadata_get(m, "ARTIST", 0), "Only");
    assert_int_equal(segue_metadata_set(m, "ARTIST", NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_count(m, "ARTIST"), 0);
    assert_int_equal(segue_metadata_field_count(m), 1);

    /* Keys are printable ASCII without '='; values any UTF-8. */
    assert_int_equal(segue_metadata_add(m, "", "x"), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_metadata_add(m, "A=B", "x"), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_metadata_add(m, "K\n", "x"), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_metadata_add(m, "TITLE", NULL), SEGUE_ERR_INVALID_ARGUMENT);
    assert_int_equal(segue_metadata_add(m, "COMMENT", "caf\xc3\xa9"), SEGUE_OK);
    segue_metadata_destroy(m);
}

static void test_pictures_gapless_loudness_unmapped_copy(void **state)
{
    (void)state;
    segue_metadata *m = NULL, *c = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    assert_int_equal(segue_metadata_create(&c, NULL), SEGUE_OK);
    uint8_t bytes[5] = {1, 2, 3, 4, 5};
    segue_picture p = {3, "image/jpeg", "front", 600, 600, bytes, sizeof bytes};
    assert_int_equal(segue_metadata_add_picture(m, &p), SEGUE_OK);
    bytes[0] = 9; /* copied in: later changes do not show */
    segue_picture got;
    assert_int_equal(segue_metadata_picture_at(m, 0, &got), SEGUE_OK);
    assert_int_equal(got.data[0], 1);
    assert_string_equal(got.mime, "image/jpeg");
    assert_int_equal(got.size, 5);
    assert_int_equal(segue_metadata_picture_at(m, 1, &got), SEGUE_ERR_INVALID_ARGUMENT);

    segue_gapless g = {576, 1000, 44100}, g2;
    segue_metadata_set_gapless(m, &g);
    segue_loudness l;
    memset(&l, 0, sizeof l);
    l.has_track_gain = 1;
    l.track_gain_db = -6.5;
    segue_metadata_set_loudness(m, &l);
    assert_int_equal(segue_metadata_add_unmapped(m, "PICTURE", "wav: no pictures"), SEGUE_OK);
    assert_int_equal(segue_metadata_add(m, "TITLE", "T"), SEGUE_OK);

    assert_int_equal(segue_metadata_copy(c, m), SEGUE_OK);
    segue_metadata_destroy(m);
    assert_string_equal(segue_metadata_get(c, "TITLE", 0), "T");
    assert_int_equal(segue_metadata_picture_count(c), 1);
    segue_metadata_get_gapless(c, &g2);
    assert_int_equal(g2.encoder_delay, 576);
    assert_int_equal(g2.total_frames, 44100);
    segue_loudness l2;
    segue_metadata_get_loudness(c, &l2);
    assert_true(l2.has_track_gain);
    assert_true(l2.track_gain_db == -6.5);
    const char *what, *why;
    assert_int_equal(segue_metadata_unmapped_at(c, 0, &what, &why), SEGUE_OK);
    assert_string_equal(what, "PICTURE");
    segue_metadata_clear(c);
    assert_int_equal(segue_metadata_field_count(c), 0);
    assert_int_equal(segue_metadata_picture_count(c), 0);
    segue_metadata_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_values_and_case),
        cmocka_unit_test(test_pictures_gapless_loudness_unmapped_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
