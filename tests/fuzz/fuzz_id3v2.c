/*
 * tests/fuzz/fuzz_id3v2.c - libFuzzer target for the ID3v2 reader
 * (container/id3v2.c) and writer (container/id3v2_write.c).
 *
 * The input is a tag (or anything): segue_id3v2_tag_size() on its header,
 * segue_id3v2_parse() over it, then whatever metadata the parse produced is
 * written back as ID3v2.3 and ID3v2.4 and parsed again. The writer's output
 * must always be a clean tag (the second parse returns SEGUE_OK) whose size
 * field matches its length: a failure there traps. ASan/UBSan and
 * LeakSanitizer report the rest. Seeds: tests/fuzz/corpus/id3v2/
 * (tools/make_tag_seeds.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "container/id3v2.h"
#include "container/id3v2_write.h"
#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(const segue_metadata *m, int version)
{
    uint8_t *tag = NULL;
    size_t n = 0;
    segue_metadata *unmapped = NULL, *back = NULL;
    if (segue_metadata_create(&unmapped, NULL) != SEGUE_OK ||
        segue_metadata_create(&back, NULL) != SEGUE_OK)
        goto out;
    segue_error err;
    segue_error_clear(&err);
    segue_status st = segue_id3v2_write(m, version, unmapped, NULL, &tag, &n, &err);
    if (st == SEGUE_ERR_NO_MEMORY || st == SEGUE_ERR_TOO_LARGE)
        goto out;
    if (st != SEGUE_OK)
        __builtin_trap();
    if (!tag)
        goto out;
    if (segue_id3v2_tag_size(tag, n) != n)
        __builtin_trap();
    segue_error_clear(&err);
    st = segue_id3v2_parse(tag, n, back, NULL, &err);
    if (st != SEGUE_OK && st != SEGUE_ERR_NO_MEMORY)
        __builtin_trap();
out:
    segue_mem_free(NULL, tag);
    segue_metadata_destroy(unmapped);
    segue_metadata_destroy(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    volatile uint64_t announced = segue_id3v2_tag_size(data, size);
    (void)announced;
    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) != SEGUE_OK)
        return 0;
    segue_error err;
    segue_error_clear(&err);
    segue_id3v2_parse(data, size, m, NULL, &err);
    rewrite(m, 3);
    rewrite(m, 4);
    segue_metadata_destroy(m);
    return 0;
}
