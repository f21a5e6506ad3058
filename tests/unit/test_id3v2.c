/*
 * tests/unit/test_id3v2.c - the ID3v2 reader (container/id3v2.c) on tags
 * built in memory: v2.2/2.3/2.4 frames, text encodings, multi-values,
 * genres, pictures, unsynchronisation, extended headers, skipped frames,
 * and tags that lie about their sizes (truncated at every offset, frames
 * past the end). Allocation failures at every step must not leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <segue/segue.h>

#include "container/id3v2.h"
#include "core/alloc.h"

/* ---- tag builder --------------------------------------------------------- */

#define TAG_MAX 8192

typedef struct tag {
    uint8_t d[TAG_MAX];
    size_t n;
    unsigned major;
} tag;

static tag g_tag;

static void put(tag *t, const void *p, size_t n)
{
    assert_true(t->n + n <= TAG_MAX);
    memcpy(t->d + t->n, p, n);
    t->n += n;
}
static void put8(tag *t, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(t, &b, 1);
}
static void put_syncsafe(tag *t, uint32_t v)
{
    put8(t, (v >> 21) & 0x7F), put8(t, (v >> 14) & 0x7F), put8(t, (v >> 7) & 0x7F), put8(t, v & 0x7F);
}
static void put_be32(tag *t, uint32_t v)
{
    put8(t, v >> 24), put8(t, (v >> 16) & 0xFF), put8(t, (v >> 8) & 0xFF), put8(t, v & 0xFF);
}

static void tag_begin(tag *t, unsigned major, unsigned flags)
{
    t->n = 0;
    t->major = major;
    put(t, "ID3", 3);
    put8(t, major), put8(t, 0), put8(t, flags);
    put_syncsafe(t, 0);
}
static void tag_end(tag *t)
{
    uint32_t body = (uint32_t)(t->n - 10);
    t->d[6] = (uint8_t)((body >> 21) & 0x7F), t->d[7] = (uint8_t)((body >> 14) & 0x7F);
    t->d[8] = (uint8_t)((body >> 7) & 0x7F), t->d[9] = (uint8_t)(body & 0x7F);
}

/* A frame with `n` payload bytes; flags are the two v2.3/v2.4 flag bytes. */
static void frame_flags(tag *t, const char *id, const void *payload, size_t n, unsigned flags)
{
    if (t->major == 2) {
        put(t, id, 3);
        put8(t, (unsigned)(n >> 16) & 0xFF), put8(t, (unsigned)(n >> 8) & 0xFF), put8(t, (unsigned)n & 0xFF);
    } else {
        put(t, id, 4);
        if (t->major == 4)
            put_syncsafe(t, (uint32_t)n);
        else
            put_be32(t, (uint32_t)n);
        put8(t, flags >> 8), put8(t, flags & 0xFF);
    }
    put(t, payload, n);
}
static void frame(tag *t, const char *id, const void *payload, size_t n)
{
    frame_flags(t, id, payload, n, 0);
}
/* A text frame in encoding `enc` whose bytes are given raw. */
static void text(tag *t, const char *id, unsigned enc, const void *bytes, size_t n)
{
    uint8_t buf[512];
    assert_true(n < sizeof buf);
    buf[0] = (uint8_t)enc;
    memcpy(buf + 1, bytes, n);
    frame(t, id, buf, n + 1);
}
static void latin1(tag *t, const char *id, const char *s) { text(t, id, 0, s, strlen(s)); }

static segue_metadata *parse(segue_status want)
{
    segue_metadata *m = NULL;
    assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
    segue_error err;
    segue_error_clear(&err);
    segue_status st = segue_id3v2_parse(g_tag.d, g_tag.n, m, NULL, &err);
    if (st != want)
        print_error("parse: %d (%s), want %d\n", st, err.detail, want);
    assert_int_equal(st, want);
    if (st < 0)
        assert_true(strlen(err.detail) > 0 && strncmp(err.detail, "id3v2: ", 7) == 0);
    return m;
}

static void check_field(const segue_metadata *m, const char *key, size_t i, const char *want)
{
    const char *got = segue_metadata_get(m, key, i);
    if (!got || strcmp(got, want) != 0)
        print_error("%s[%zu] = '%s', want '%s'\n", key, i, got ? got : "(none)", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_v23_frames(void **state)
{
    (void)state;
    tag_begin(&g_tag, 3, 0);
    latin1(&g_tag, "TIT2", "Caf\xE9");                       /* Latin-1 */
    text(&g_tag, "TPE1", 1, "\xFF\xFEH\0i\0\0\0", 8);        /* UTF-16 LE BOM, terminated */
    text(&g_tag, "TALB", 1, "\xFE\xFF\0A\xD8\x3D\xDE\x00", 8); /* BE BOM, U+1F600 */
    latin1(&g_tag, "TPE2", "Band");
    latin1(&g_tag, "TRCK", "3/12");
    latin1(&g_tag, "TPOS", " 1 / 2 ");
    latin1(&g_tag, "TYER", "1999");
    latin1(&g_tag, "TCON", "(17)");
    latin1(&g_tag, "TCOM", "Composer");
    latin1(&g_tag, "TCOP", "2000 Label");
    latin1(&g_tag, "TSSE", "LAME");
    latin1(&g_tag, "TSRC", "USXXX0000001");
    latin1(&g_tag, "TBPM", "120");
    frame(&g_tag, "COMM", "\0engdesc\0ignored\0", 0); /* empty: ignored */
    frame(&g_tag, "COMM", "\0eng\0Nice", 9);
    frame(&g_tag, "COMM", "\0engiTunSMPB\0 00000000 00000210", 31);
    frame(&g_tag, "TXXX", "\0MOOD\0happy", 11);
    frame(&g_tag, "TXXX", "\0replaygain_track_gain\0-6.50 dB", 31);
    frame(&g_tag, "TXXX", "\0bad=key\0v", 10);
    frame(&g_tag, "USLT", "\0eng\0La la", 10);
    frame(&g_tag, "WOAR", "http://x", 8);
    frame(&g_tag, "PRIV", "owner\0data", 10);
    static const uint8_t apic[] = {0, 'i', 'm', 'a', 'g', 'e', '/', 'p', 'n', 'g', 0, 3, 'c', 'o', 'v', 0,
                                   0x89, 'P', 'N', 'G'};
    frame(&g_tag, "APIC", apic, sizeof apic);
    for (int i = 0; i < 20; i++)
        put8(&g_tag, 0); /* padding */
    tag_end(&g_tag);

    segue_metadata *m = parse(SEGUE_OK);
    check_field(m, "TITLE", 0, "Caf\xC3\xA9");
    check_field(m, "ARTIST", 0, "Hi");
    check_field(m, "ALBUM", 0, "A\xF0\x9F\x98\x80");
    check_field(m, "ALBUMARTIST", 0, "Band");
    check_field(m, "TRACKNUMBER", 0, "3");
    check_field(m, "TRACKTOTAL", 0, "12");
    check_field(m, "DISCNUMBER", 0, "1");
    check_field(m, "DISCTOTAL", 0, "2");
    check_field(m, "DATE", 0, "1999");
    check_field(m, "GENRE", 0, "Rock");
    check_field(m, "COMPOSER", 0, "Composer");
    check_field(m, "COPYRIGHT", 0, "2000 Label");
    check_field(m, "ENCODER", 0, "LAME");
    check_field(m, "ISRC", 0, "USXXX0000001");
    check_field(m, "TBPM", 0, "120");
    check_field(m, "COMMENT", 0, "Nice");
    assert_int_equal(segue_metadata_count(m, "COMMENT"), 1);
    check_field(m, "ITUNSMPB", 0, " 00000000 00000210");
    check_field(m, "MOOD", 0, "happy");
    check_field(m, "TXXX", 0, "v");
    check_field(m, "LYRICS", 0, "La la");
    check_field(m, "WOAR", 0, "http://x");
    assert_int_equal(segue_metadata_count(m, "REPLAYGAIN_TRACK_GAIN"), 0);
    segue_loudness l;
    segue_metadata_get_loudness(m, &l);
    assert_true(l.has_track_gain && l.track_gain_db == -6.5);
    assert_int_equal(segue_metadata_picture_count(m), 1);
    segue_picture pic;
    assert_int_equal(segue_metadata_picture_at(m, 0, &pic), SEGUE_OK);
    assert_int_equal(pic.type, 3);
    assert_string_equal(pic.mime, "image/png");
    assert_string_equal(pic.description, "cov");
    assert_int_equal(pic.size, 4);
    assert_memory_equal(pic.data, "\x89PNG", 4);
    segue_metadata_destroy(m);
}

static void test_v24_multi_values(void **state)
{
    (void)state;
    tag_begin(&g_tag, 4, 0);
    text(&g_tag, "TPE1", 3, "A\0B\0", 4);
    text(&g_tag, "TCON", 3, "17\0Synth\0(RX)", 13);
    text(&g_tag, "TDRC", 3, "2024-05-01", 10);
    text(&g_tag, "TIT2", 2, "\0T\0i", 4); /* UTF-16BE, no BOM */
    text(&g_tag, "TXXX", 3, "K\0v1\0v2", 7);
    /* A frame with a size needing more than 7 bits: syncsafe. */
    char big[300];
    memset(big, 'x', sizeof big);
    text(&g_tag, "TIT3", 0, big, sizeof big);
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    check_field(m, "ARTIST", 0, "A");
    check_field(m, "ARTIST", 1, "B");
    check_field(m, "GENRE", 0, "Rock");
    check_field(m, "GENRE", 1, "Synth");
    check_field(m, "GENRE", 2, "Remix");
    check_field(m, "DATE", 0, "2024-05-01");
    check_field(m, "TITLE", 0, "Ti");
    check_field(m, "K", 0, "v1");
    check_field(m, "K", 1, "v2");
    assert_int_equal(strlen(segue_metadata_get(m, "TIT3", 0)), 300);
    segue_metadata_destroy(m);
}

static void test_genres(void **state)
{
    (void)state;
    assert_string_equal(segue_id3v1_genre_name(0), "Blues");
    assert_string_equal(segue_id3v1_genre_name(17), "Rock");
    assert_string_equal(segue_id3v1_genre_name(79), "Hard Rock");
    assert_string_equal(segue_id3v1_genre_name(80), "Folk");
    assert_string_equal(segue_id3v1_genre_name(147), "Synthpop");
    assert_null(segue_id3v1_genre_name(148));
    tag_begin(&g_tag, 3, 0);
    latin1(&g_tag, "TCON", "(4)Eurodisco");
    latin1(&g_tag, "TCON", "(9)(CR)");
    latin1(&g_tag, "TCON", "((Not a ref)");
    latin1(&g_tag, "TCON", "200");
    latin1(&g_tag, "TCON", "(999)");
    latin1(&g_tag, "TCON", "(32)Classical");
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    static const char *const want[] = {"Disco", "Eurodisco", "Metal", "Cover", "(Not a ref)", "200",
                                       "(999)", "Classical"};
    assert_int_equal(segue_metadata_count(m, "GENRE"), 8);
    for (size_t i = 0; i < 8; i++)
        check_field(m, "GENRE", i, want[i]);
    segue_metadata_destroy(m);
}

static void test_v22(void **state)
{
    (void)state;
    tag_begin(&g_tag, 2, 0);
    latin1(&g_tag, "TT2", "Old");
    latin1(&g_tag, "TP1", "Artist");
    latin1(&g_tag, "TRK", "5/9");
    latin1(&g_tag, "TCO", "(0)");
    latin1(&g_tag, "TEN", "Someone");
    frame(&g_tag, "COM", "\0eng\0C", 6);
    frame(&g_tag, "PIC", "\0JPG\x03" "d\0\xFF\xD8\xFF", 10);
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    check_field(m, "TITLE", 0, "Old");
    check_field(m, "ARTIST", 0, "Artist");
    check_field(m, "TRACKNUMBER", 0, "5");
    check_field(m, "TRACKTOTAL", 0, "9");
    check_field(m, "GENRE", 0, "Blues");
    check_field(m, "TEN", 0, "Someone");
    check_field(m, "COMMENT", 0, "C");
    segue_picture pic;
    assert_int_equal(segue_metadata_picture_at(m, 0, &pic), SEGUE_OK);
    assert_string_equal(pic.mime, "image/jpeg");
    assert_string_equal(pic.description, "d");
    assert_int_equal(pic.size, 3);
    segue_metadata_destroy(m);

    /* v2.2 tag compression: not defined, skipped and reported. */
    tag_begin(&g_tag, 2, 0x40);
    latin1(&g_tag, "TT2", "x");
    tag_end(&g_tag);
    m = parse(SEGUE_OK);
    assert_int_equal(segue_metadata_field_count(m), 0);
    assert_int_equal(segue_metadata_unmapped_count(m), 1);
    segue_metadata_destroy(m);
}

static void test_unsync(void **state)
{
    (void)state;
    /* v2.3: the whole tag is unsynchronised; sizes count the real bytes. */
    static const uint8_t apic[] = {0, 'i', 'm', 'a', 'g', 'e', '/', 'j', 'p', 'e', 'g', 0, 3, 0,
                                   0xFF, 0xD8, 0xFF, 0xE0};
    tag_begin(&g_tag, 3, 0x80);
    /* Frame header by hand: 18 bytes of payload, then the payload with 0x00
     * inserted after every 0xFF. */
    put(&g_tag, "APIC", 4), put_be32(&g_tag, sizeof apic), put8(&g_tag, 0), put8(&g_tag, 0);
    for (size_t i = 0; i < sizeof apic; i++) {
        put8(&g_tag, apic[i]);
        if (apic[i] == 0xFF)
            put8(&g_tag, 0);
    }
    latin1(&g_tag, "TIT2", "After");
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    segue_picture pic;
    assert_int_equal(segue_metadata_picture_at(m, 0, &pic), SEGUE_OK);
    assert_int_equal(pic.size, 4);
    assert_memory_equal(pic.data, "\xFF\xD8\xFF\xE0", 4);
    check_field(m, "TITLE", 0, "After");
    segue_metadata_destroy(m);

    /* v2.4: per frame (flag 0x02), with a data length indicator (0x01)
     * and a group byte (0x40); sizes count the stored bytes. */
    tag_begin(&g_tag, 4, 0);
    uint8_t payload[64];
    size_t n = 0;
    payload[n++] = 7; /* group id */
    payload[n++] = 0, payload[n++] = 0, payload[n++] = 0, payload[n++] = 18; /* DLI */
    for (size_t i = 0; i < sizeof apic; i++) {
        payload[n++] = apic[i];
        if (apic[i] == 0xFF)
            payload[n++] = 0;
    }
    frame_flags(&g_tag, "APIC", payload, n, 0x0043);
    latin1(&g_tag, "TIT2", "V4");
    tag_end(&g_tag);
    m = parse(SEGUE_OK);
    assert_int_equal(segue_metadata_picture_at(m, 0, &pic), SEGUE_OK);
    assert_int_equal(pic.size, 4);
    assert_memory_equal(pic.data, "\xFF\xD8\xFF\xE0", 4);
    check_field(m, "TITLE", 0, "V4");
    segue_metadata_destroy(m);
}

static void test_extended_header_and_skips(void **state)
{
    (void)state;
    /* v2.3 extended header: size 6 (excluding itself), flags, padding size. */
    tag_begin(&g_tag, 3, 0x40);
    put_be32(&g_tag, 6), put8(&g_tag, 0), put8(&g_tag, 0), put_be32(&g_tag, 0);
    frame_flags(&g_tag, "TIT1", "\0zzzzzz", 7, 0x0080); /* compressed */
    frame_flags(&g_tag, "TIT3", "\x01zz", 3, 0x0040);   /* encrypted */
    frame_flags(&g_tag, "TPE3", "\x05\0Cond", 6, 0x0020); /* grouped */
    latin1(&g_tag, "TIT2", "X");
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    check_field(m, "TITLE", 0, "X");
    check_field(m, "TPE3", 0, "Cond");
    assert_int_equal(segue_metadata_count(m, "TIT1"), 0);
    assert_int_equal(segue_metadata_unmapped_count(m), 2);
    const char *what, *why;
    segue_metadata_unmapped_at(m, 0, &what, &why);
    assert_string_equal(what, "TIT1");
    assert_non_null(strstr(why, "compressed"));
    segue_metadata_destroy(m);

    /* v2.4 extended header (syncsafe size including itself), footer flag,
     * compressed and encrypted frames. */
    tag_begin(&g_tag, 4, 0x50);
    put_syncsafe(&g_tag, 6), put8(&g_tag, 1), put8(&g_tag, 0);
    frame_flags(&g_tag, "TIT1", "\0zz", 3, 0x0009);
    frame_flags(&g_tag, "TIT3", "\0zz", 3, 0x0004);
    latin1(&g_tag, "TIT2", "Y");
    tag_end(&g_tag);
    assert_int_equal(segue_id3v2_tag_size(g_tag.d, g_tag.n), g_tag.n + 10);
    put(&g_tag, "3DI\x04\0\x50", 6), put(&g_tag, g_tag.d + 6, 4); /* footer */
    m = parse(SEGUE_OK);
    check_field(m, "TITLE", 0, "Y");
    assert_int_equal(segue_metadata_unmapped_count(m), 2);
    segue_metadata_destroy(m);

    /* Extended header larger than the tag. */
    tag_begin(&g_tag, 3, 0x40);
    put_be32(&g_tag, 1000), put8(&g_tag, 0), put8(&g_tag, 0);
    tag_end(&g_tag);
    segue_metadata_destroy(parse(SEGUE_ERR_CORRUPT));
}

static void test_itunes_v24_sizes(void **state)
{
    (void)state;
    /* iTunes wrote plain 32-bit sizes in v2.4 tags: a 200-byte frame stored
     * as 0x000000C8 (not syncsafe: 0xC8 has the top bit set). */
    tag_begin(&g_tag, 4, 0);
    char v[199];
    memset(v, 'a', sizeof v);
    put(&g_tag, "TIT2", 4), put_be32(&g_tag, 200), put8(&g_tag, 0), put8(&g_tag, 0);
    put8(&g_tag, 0), put(&g_tag, v, sizeof v);
    latin1(&g_tag, "TPE1", "Next");
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_OK);
    assert_int_equal(strlen(segue_metadata_get(m, "TITLE", 0)), 199);
    check_field(m, "ARTIST", 0, "Next");
    segue_metadata_destroy(m);

    /* 0x00000100 is valid syncsafe (128) and plain (256): only the plain
     * reading lands on the next frame. */
    tag_begin(&g_tag, 4, 0);
    char w[255];
    memset(w, 'b', sizeof w);
    put(&g_tag, "TIT2", 4), put_be32(&g_tag, 256), put8(&g_tag, 0), put8(&g_tag, 0);
    put8(&g_tag, 0), put(&g_tag, w, sizeof w);
    latin1(&g_tag, "TPE1", "Next");
    tag_end(&g_tag);
    m = parse(SEGUE_OK);
    assert_int_equal(strlen(segue_metadata_get(m, "TITLE", 0)), 255);
    check_field(m, "ARTIST", 0, "Next");
    segue_metadata_destroy(m);
}

static void test_lying_sizes(void **state)
{
    (void)state;
    /* A frame that claims more than the tag holds: earlier frames stay. */
    tag_begin(&g_tag, 3, 0);
    latin1(&g_tag, "TIT2", "Kept");
    put(&g_tag, "TPE1", 4), put_be32(&g_tag, 0xFFFFFFF0u), put8(&g_tag, 0), put8(&g_tag, 0);
    put(&g_tag, "\0abc", 4);
    tag_end(&g_tag);
    segue_metadata *m = parse(SEGUE_ERR_CORRUPT);
    check_field(m, "TITLE", 0, "Kept");
    assert_int_equal(segue_metadata_count(m, "ARTIST"), 0);
    segue_metadata_destroy(m);

    /* A tag that claims more than the buffer. */
    tag_begin(&g_tag, 3, 0);
    latin1(&g_tag, "TIT2", "T");
    tag_end(&g_tag);
    g_tag.d[6] = 0x7F;
    m = parse(SEGUE_ERR_CORRUPT);
    check_field(m, "TITLE", 0, "T");
    segue_metadata_destroy(m);

    /* Not syncsafe, bad version, too short, not ID3, invalid frame id,
     * unknown text encoding. */
    tag_begin(&g_tag, 3, 0);
    tag_end(&g_tag);
    g_tag.d[9] = 0x80;
    segue_metadata_destroy(parse(SEGUE_ERR_CORRUPT));
    g_tag.d[9] = 0;
    g_tag.d[3] = 5;
    segue_metadata_destroy(parse(SEGUE_ERR_UNSUPPORTED));
    g_tag.n = 9;
    segue_metadata_destroy(parse(SEGUE_ERR_CORRUPT));
    memcpy(g_tag.d, "TAG", 3);
    g_tag.n = 10;
    segue_metadata_destroy(parse(SEGUE_ERR_CORRUPT));

    tag_begin(&g_tag, 3, 0);
    latin1(&g_tag, "TIT2", "ok");
    put(&g_tag, "ti+2\0\0\0\1\0\0x", 11);
    tag_end(&g_tag);
    m = parse(SEGUE_ERR_CORRUPT);
    check_field(m, "TITLE", 0, "ok");
    segue_metadata_destroy(m);

    tag_begin(&g_tag, 3, 0);
    text(&g_tag, "TIT2", 9, "bad", 3);
    latin1(&g_tag, "TPE1", "still read");
    frame(&g_tag, "COMM", "\0e", 2);  /* too short */
    frame(&g_tag, "APIC", "\0", 1);   /* too short */
    frame(&g_tag, "TIT3", "", 0);     /* empty */
    tag_end(&g_tag);
    m = parse(SEGUE_ERR_CORRUPT);
    check_field(m, "ARTIST", 0, "still read");
    assert_int_equal(segue_metadata_count(m, "TITLE"), 0);
    segue_metadata_destroy(m);
}

/* A tag with one of everything, for the truncation and allocation loops. */
static void build_rich_tag(unsigned major)
{
    tag_begin(&g_tag, major, 0);
    if (major == 2) {
        latin1(&g_tag, "TT2", "Title");
        frame(&g_tag, "PIC", "\0PNG\x03" "d\0\x89PNG", 11);
        frame(&g_tag, "COM", "\0eng\0C", 6);
    } else {
        latin1(&g_tag, "TIT2", "Title");
        text(&g_tag, "TPE1", 1, "\xFF\xFEH\0i\0", 6);
        text(&g_tag, "TCON", 3, "17\0(RX)", 7);
        latin1(&g_tag, "TRCK", "1/2");
        frame(&g_tag, "TXXX", "\0REPLAYGAIN_ALBUM_PEAK\0" "0.9", 26);
        frame(&g_tag, "COMM", "\0eng\0Comment", 12);
        frame(&g_tag, "APIC", "\0image/png\0\x03" "d\0\x89PNG", 18);
        frame(&g_tag, "WXXX", "\0d\0u", 4);
    }
    tag_end(&g_tag);
}

static void test_truncated_every_offset(void **state)
{
    (void)state;
    for (unsigned major = 2; major <= 4; major++) {
        build_rich_tag(major);
        static uint8_t copy[TAG_MAX];
        size_t full = g_tag.n;
        memcpy(copy, g_tag.d, full);
        for (size_t cut = 0; cut <= full; cut++) {
            segue_metadata *m = NULL;
            assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
            segue_error err;
            segue_error_clear(&err);
            segue_status st = segue_id3v2_parse(copy, cut, m, NULL, &err);
            if (cut < full) {
                assert_int_equal(st, SEGUE_ERR_CORRUPT);
                assert_true(strlen(err.detail) > 0);
            } else {
                assert_int_equal(st, SEGUE_OK);
                check_field(m, "TITLE", 0, "Title");
            }
            segue_metadata_destroy(m);
        }
        /* Also with the header claiming each smaller size. */
        for (uint32_t body = 0; body + 10 <= full; body++) {
            memcpy(g_tag.d, copy, full);
            g_tag.n = full;
            g_tag.d[8] = (uint8_t)((body >> 7) & 0x7F), g_tag.d[9] = (uint8_t)(body & 0x7F);
            segue_metadata *m = NULL;
            assert_int_equal(segue_metadata_create(&m, NULL), SEGUE_OK);
            segue_error err;
            segue_error_clear(&err);
            segue_status st = segue_id3v2_parse(g_tag.d, g_tag.n, m, NULL, &err);
            assert_true(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
            segue_metadata_destroy(m);
        }
    }
}

/* ---- allocation failure ------------------------------------------------------ */

typedef struct failing {
    long fail_at, count, live;
} failing;

static void *failing_alloc(void *user, size_t size)
{
    failing *f = user;
    if (f->count++ == f->fail_at)
        return NULL;
    void *p = segue_mem_alloc(NULL, size);
    if (p)
        f->live++;
    return p;
}

static void failing_free(void *user, void *p)
{
    failing *f = user;
    f->live--;
    segue_mem_free(NULL, p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    for (unsigned major = 2; major <= 4; major++) {
        build_rich_tag(major);
        for (long fail_at = 0;; fail_at++) {
            failing f = {fail_at, 0, 0};
            segue_allocator a = {&f, failing_alloc, failing_free};
            segue_metadata *m = NULL;
            if (segue_metadata_create(&m, &a) != SEGUE_OK) {
                assert_int_equal(f.live, 0);
                continue;
            }
            segue_error err;
            segue_error_clear(&err);
            segue_status st = segue_id3v2_parse(g_tag.d, g_tag.n, m, &a, &err);
            segue_metadata_destroy(m);
            assert_int_equal(f.live, 0);
            if (st == SEGUE_OK && f.count <= fail_at)
                break; /* no allocation failed: done */
            assert_true(st == SEGUE_ERR_NO_MEMORY || st == SEGUE_OK);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v23_frames),
        cmocka_unit_test(test_v24_multi_values),
        cmocka_unit_test(test_genres),
        cmocka_unit_test(test_v22),
        cmocka_unit_test(test_unsync),
        cmocka_unit_test(test_extended_header_and_skips),
        cmocka_unit_test(test_itunes_v24_sizes),
        cmocka_unit_test(test_lying_sizes),
        cmocka_unit_test(test_truncated_every_offset),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
