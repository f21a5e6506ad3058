/*
 * engine/cover_art.h - fit pictures to a profile's limits.
 *
 * JPEG (libjpeg-turbo) and PNG (libpng) sources are decoded, scaled down
 * with an area-averaging filter to fit max width x height (aspect kept),
 * and re-encoded as baseline JPEG (quality 90, stepping down until under
 * max_bytes). Pictures already within every limit are copied unchanged.
 * This is the only file that includes jpeglib.h or png.h.
 */
#ifndef SEGUE_ENGINE_COVER_ART_H
#define SEGUE_ENGINE_COVER_ART_H

#include <segue/metadata.h>
#include "core/error.h"

typedef struct segue_picture_limits {
    uint32_t max_width, max_height; /* 0: no limit */
    uint32_t max_bytes;             /* 0: no limit */
    int jpeg_only;                  /* non-JPEG or progressive JPEG -> baseline JPEG */
} segue_picture_limits;

/* What a picture is, from its bytes: format, size, progressive. */
typedef struct segue_picture_facts {
    int is_jpeg, is_png;
    int progressive;                /* JPEG SOF2 (or other non-baseline SOF) */
    uint32_t width, height;         /* 0 if the header could not be read */
} segue_picture_facts;

/* Reads the header only (no decoding). Returns SEGUE_ERR_CORRUPT when the
 * bytes are neither a readable JPEG nor PNG header. */
segue_status segue_picture_inspect(const uint8_t *data, size_t size, segue_picture_facts *facts);

/* 1 if `pic` needs re-encoding under `lim`. */
int segue_picture_needs_fit(const segue_picture *pic, const segue_picture_limits *lim);

/* Copies every field, text and picture of `src` into `dst` (an empty
 * metadata set), fitting each picture to `lim`. A picture that cannot be
 * decoded or fitted is left out and named in dst's unmapped list with the
 * reason. *changed gets the number of pictures re-encoded. Working buffers
 * (rows, the scaled image, the JPEG output) come from `allocator` (NULL:
 * the default); libjpeg and libpng keep their own small internal
 * allocations. */
segue_status segue_cover_art_fit(const segue_metadata *src, segue_metadata *dst,
                                 const segue_picture_limits *lim, const segue_allocator *allocator,
                                 unsigned *changed, segue_error *err);

#endif
