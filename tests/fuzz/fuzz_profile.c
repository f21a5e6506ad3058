/*
 * tests/fuzz/fuzz_profile.c - libFuzzer target for segue_profile_parse()
 * (engine/profile.c).
 *
 * Any input must either parse or fail with a "line N: ..." message. What
 * parses is applied (with and without an input rate) and digested, then
 * written back as "key = value" lines and parsed again: the copy must
 * parse and give the same digest, or the target aborts (a finding).
 *
 * needs: engine (left out of the SEGUE_DECODE_ONLY device build)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>
#include <segue/profile.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_profile *p = NULL;
    char err[256];
    segue_status st = segue_profile_parse(&p, (const char *)data, size, NULL, err, sizeof err);
    require(st == SEGUE_OK || st == SEGUE_ERR_INVALID_ARGUMENT || st == SEGUE_ERR_NO_MEMORY);
    if (st != SEGUE_OK) {
        require(p == NULL);
        require(st != SEGUE_ERR_INVALID_ARGUMENT || strncmp(err, "line ", 5) == 0);
        return 0;
    }
    require(segue_profile_name(p) && segue_profile_extension(p) && segue_profile_description(p));

    segue_transcode_config cfg;
    segue_transcode_config_default(&cfg);
    st = segue_profile_apply(p, 44100, &cfg);
    require(st == SEGUE_OK || st == SEGUE_ERR_UNSUPPORTED);
    if (st == SEGUE_OK)
        require(cfg.start_frame >= 0 && cfg.fade_in_frames >= 0 && cfg.fade_out_frames >= 0);
    segue_transcode_config_default(&cfg);
    (void)segue_profile_apply(p, 0, &cfg);

    char digest[65], again[65];
    segue_profile_digest(p, digest);
    require(strlen(digest) == 64);

    /* Write back and parse again. */
    size_t cap = size * 2 + 64, len = 0;
    char *text = segue_mem_alloc(NULL, cap);
    if (text) {
        for (size_t i = 0; i < segue_profile_key_count(p); i++) {
            const char *value;
            const char *key = segue_profile_key_at(p, i, &value);
            require(key && value && segue_profile_get(p, key) == value);
            int n = snprintf(text + len, cap - len, "%s = %s\n", key, value);
            require(n > 0 && (size_t)n < cap - len);
            len += (size_t)n;
        }
        segue_profile *q = NULL;
        require(segue_profile_parse(&q, text, len, NULL, NULL, 0) == SEGUE_OK);
        segue_profile_digest(q, again);
        require(strcmp(digest, again) == 0);
        segue_profile_destroy(q);
        segue_mem_free(NULL, text);
    }
    segue_profile_destroy(p);
    return 0;
}
