/*
 * tests/fuzz/fuzz_manifest.c - libFuzzer target for the batch manifest
 * parser (engine/batch.c, segue_batch_manifest_parse).
 *
 * A manifest is read from the destination folder and is never trusted: any
 * input must either parse or be refused as SEGUE_ERR_CORRUPT, without a
 * crash or leak. What parses is written back with the manifest formatter
 * and parsed again: the records must come back identical (the formatter
 * and the parser agree on escapes and check digits), or the target aborts.
 *
 * needs: engine (left out of the SEGUE_DECODE_ONLY device build)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "core/alloc.h"
#include "engine/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_batch_manifest m;
    segue_error err;
    segue_error_clear(&err);
    segue_status st = segue_batch_manifest_parse(&m, (const char *)data, size, &err);
    require(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT || st == SEGUE_ERR_NO_MEMORY);
    if (st != SEGUE_OK) {
        require(m.count == 0 && err.detail[0] != '\0');
        return 0;
    }
    for (size_t i = 1; i < m.count; i++)
        require(strcmp(m.records[i - 1].output, m.records[i].output) < 0);

    const char *header = segue_batch_manifest_header();
    size_t len = strlen(header), cap = len + 1;
    char *text = segue_mem_alloc(NULL, cap);
    if (!text) {
        segue_batch_manifest_free(&m);
        return 0;
    }
    memcpy(text, header, len + 1);
    for (size_t i = 0; i < m.count; i++)
        if (segue_batch_manifest_format_record(&m.records[i], &text, &len, &cap) != SEGUE_OK)
            goto out;
    segue_batch_manifest back;
    require(segue_batch_manifest_parse(&back, text, len, &err) == SEGUE_OK);
    require(back.count == m.count);
    for (size_t i = 0; i < m.count; i++) {
        const segue_batch_record *a = &m.records[i], *b = &back.records[i];
        require(strcmp(a->output, b->output) == 0 && strcmp(a->input, b->input) == 0);
        require(a->input_size == b->input_size && a->input_mtime_ns == b->input_mtime_ns &&
                a->output_size == b->output_size);
        require(strcmp(a->input_sha256, b->input_sha256) == 0 &&
                strcmp(a->profile_digest, b->profile_digest) == 0 && strcmp(a->version, b->version) == 0);
    }
    segue_batch_manifest_free(&back);
out:
    segue_mem_free(NULL, text);
    segue_batch_manifest_free(&m);
    return 0;
}
