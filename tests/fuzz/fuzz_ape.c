/*
 * tests/fuzz/fuzz_ape.c - libFuzzer target for the APEv2/APEv1 reader
 * (container/apev2.c) and the ID3v1 reader and writer (container/id3v1.c).
 *
 * The input is taken three ways: as one APE tag buffer
 * (segue_apev2_parse), as the end of a file (segue_apev2_find, then the
 * parse of what it found; segue_apev2_footer_size on the last 32 bytes)
 * and as a file ending in an ID3v1 tag (segue_id3v1_parse on the last 128
 * bytes). The metadata collected is rendered back as ID3v1, which must read
 * back without error. Seeds: tests/fuzz/corpus/ape/ (tools/make_tag_seeds.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "container/apev2.h"
#include "container/id3v1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) != SEGUE_OK)
        return 0;
    segue_error err;
    segue_error_clear(&err);
    segue_apev2_parse(data, size, m, NULL, &err);

    size_t off = 0, len = 0;
    if (segue_apev2_find(data, size, &off, &len)) {
        if (off > size || len > size - off)
            __builtin_trap();
        segue_error_clear(&err);
        segue_apev2_parse(data + off, len, m, NULL, &err);
    }
    if (size >= SEGUE_APE_FOOTER_BYTES) {
        volatile uint64_t total = segue_apev2_footer_size(data + size - SEGUE_APE_FOOTER_BYTES,
                                                          SEGUE_APE_FOOTER_BYTES);
        (void)total;
    }
    if (segue_id3v1_present(data, size)) {
        segue_error_clear(&err);
        if (segue_id3v1_parse(data + size - SEGUE_ID3V1_BYTES, SEGUE_ID3V1_BYTES, m, NULL, &err) < 0 &&
            err.status != SEGUE_ERR_NO_MEMORY)
            __builtin_trap();
    }

    uint8_t v1[SEGUE_ID3V1_BYTES];
    segue_metadata *unmapped = NULL, *back = NULL;
    if (segue_metadata_create(&unmapped, NULL) == SEGUE_OK &&
        segue_metadata_create(&back, NULL) == SEGUE_OK &&
        segue_id3v1_render(m, unmapped, v1) == SEGUE_OK) {
        segue_error_clear(&err);
        if (segue_id3v1_parse(v1, sizeof v1, back, NULL, &err) != SEGUE_OK)
            __builtin_trap();
    }
    segue_metadata_destroy(unmapped);
    segue_metadata_destroy(back);
    segue_metadata_destroy(m);
    return 0;
}
