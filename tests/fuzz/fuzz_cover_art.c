/*
 * tests/fuzz/fuzz_cover_art.c - libFuzzer target for engine/cover_art.c:
 * segue_picture_inspect() and segue_cover_art_fit() on arbitrary bytes.
 *
 * The bytes are one picture, fitted under three sets of limits. Whatever
 * comes out must be a baseline JPEG within the limits (or the picture is
 * left out with a reason); anything else aborts (a finding).
 *
 * needs: engine (left out of the SEGUE_DECODE_ONLY device build)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segue/segue.h>

#include "engine/cover_art.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_picture_facts facts;
    segue_status st = segue_picture_inspect(data, size, &facts);
    require(st == SEGUE_OK || st == SEGUE_ERR_CORRUPT);
    require(!(facts.is_jpeg && facts.is_png));

    segue_metadata *in = NULL;
    if (segue_metadata_create(&in, NULL) != SEGUE_OK)
        return 0;
    segue_picture pic = {3, "image/jpeg", "", 0, 0, data, size};
    if (segue_metadata_add_picture(in, &pic) != SEGUE_OK) {
        segue_metadata_destroy(in);
        return 0;
    }
    static const segue_picture_limits limits[] = {
        {64, 64, 0, 1},    /* shrink, baseline JPEG */
        {0, 0, 0, 1},      /* only make it baseline JPEG */
        {32, 48, 4096, 0}, /* size cap too */
    };
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        segue_metadata *out = NULL;
        if (segue_metadata_create(&out, NULL) != SEGUE_OK)
            break;
        unsigned changed = 0;
        st = segue_cover_art_fit(in, out, &limits[k], NULL, &changed, NULL);
        require(st == SEGUE_OK || st == SEGUE_ERR_NO_MEMORY);
        require(segue_metadata_picture_count(out) + segue_metadata_unmapped_count(out) == 1 ||
                st != SEGUE_OK);
        if (st == SEGUE_OK && changed) {
            segue_picture p;
            require(segue_metadata_picture_at(out, 0, &p) == SEGUE_OK);
            segue_picture_facts f;
            require(segue_picture_inspect(p.data, p.size, &f) == SEGUE_OK);
            require(f.is_jpeg && !f.progressive);
            require(!limits[k].max_width || f.width <= limits[k].max_width);
            require(!limits[k].max_height || f.height <= limits[k].max_height);
            require(!limits[k].max_bytes || p.size <= limits[k].max_bytes);
            require(!segue_picture_needs_fit(&p, &limits[k]));
        }
        for (size_t i = 0; i < segue_metadata_unmapped_count(out); i++) {
            const char *what, *why;
            require(segue_metadata_unmapped_at(out, i, &what, &why) == SEGUE_OK);
            require(strcmp(what, "PICTURE") == 0 && strlen(why) > 0);
        }
        segue_metadata_destroy(out);
    }
    segue_metadata_destroy(in);
    return 0;
}
