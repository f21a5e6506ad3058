/*
 * tests/fuzz/fuzz_vorbiscomment.c - libFuzzer target for the Vorbis comment
 * and FLAC PICTURE code in container/vorbiscomment.c.
 *
 * The input is parsed as a comment block and as a PICTURE body. Whatever
 * was read is then written back (FLAC style with pictures left out, Ogg
 * style with pictures inline, and the R128 form) and parsed again: a block
 * we wrote must parse cleanly and give back the same fields and pictures,
 * or the target aborts (a finding). Every picture read is also written as
 * a PICTURE block and parsed back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "container/vorbiscomment.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

/* Same pictures in the same order. */
static void same_pictures(const segue_metadata *a, const segue_metadata *b)
{
    require(segue_metadata_picture_count(a) == segue_metadata_picture_count(b));
    for (size_t i = 0; i < segue_metadata_picture_count(a); i++) {
        segue_picture p, q;
        segue_metadata_picture_at(a, i, &p);
        segue_metadata_picture_at(b, i, &q);
        /* An empty MIME type is filled in from the image bytes on write. */
        require(p.type == q.type && p.size == q.size && (!*p.mime || strcmp(p.mime, q.mime) == 0) &&
                strcmp(p.description, q.description) == 0);
        require(p.size == 0 || memcmp(p.data, q.data, p.size) == 0);
    }
}

/* Writes `m` and parses it back; the result must be clean. */
static void round_trip(const segue_metadata *m, segue_vc_pictures pictures, int r128)
{
    uint8_t *out = NULL;
    size_t out_size = 0;
    segue_status st = segue_vorbiscomment_write(m, "fuzz", pictures, r128, NULL, &out, &out_size, NULL);
    if (st < 0)
        return; /* too large or out of memory: nothing to compare */
    segue_metadata *back = NULL;
    if (segue_metadata_create(&back, NULL) == SEGUE_OK) {
        segue_error err;
        segue_error_clear(&err);
        st = segue_vorbiscomment_parse(out, out_size, back, NULL, &err);
        require(st == SEGUE_OK);
        /* Text fields: every value read is written; TRACKNUMBER "n/m"
         * splitting and de-duplication can only merge, never invent. */
        require(segue_metadata_field_count(back) <= segue_metadata_field_count(m) + 2);
        if (pictures == SEGUE_VC_PICTURES_INLINE)
            same_pictures(m, back);
        else
            require(segue_metadata_picture_count(back) == 0);
    }
    segue_metadata_destroy(back);
    segue_mem_free(NULL, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) != SEGUE_OK)
        return 0;
    segue_error err;
    segue_error_clear(&err);
    segue_status st = segue_vorbiscomment_parse(data, size, m, NULL, &err);
    require(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_NO_MEMORY);
    require(st == SEGUE_OK || strncmp(err.detail, "vorbiscomment: ", 15) == 0);
    segue_error_clear(&err);
    st = segue_flac_picture_parse(data, size, m, NULL, &err);
    require(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_NO_MEMORY);

    round_trip(m, SEGUE_VC_PICTURES_NONE, 0);
    round_trip(m, SEGUE_VC_PICTURES_INLINE, 0);
    round_trip(m, SEGUE_VC_PICTURES_INLINE, 1);

    for (size_t i = 0; i < segue_metadata_picture_count(m); i++) {
        segue_picture p;
        segue_metadata_picture_at(m, i, &p);
        uint8_t *block = NULL;
        size_t block_size = 0;
        if (segue_flac_picture_write(&p, NULL, &block, &block_size, NULL) != SEGUE_OK)
            continue;
        segue_metadata *one = NULL;
        if (segue_metadata_create(&one, NULL) == SEGUE_OK) {
            require(segue_flac_picture_parse(block, block_size, one, NULL, NULL) == SEGUE_OK);
            segue_picture q;
            segue_metadata_picture_at(one, 0, &q);
            require(q.size == p.size && q.type == p.type);
        }
        segue_metadata_destroy(one);
        segue_mem_free(NULL, block);
    }
    segue_metadata_destroy(m);
    return 0;
}
