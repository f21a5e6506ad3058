/*
 * segue/metadata.h - one metadata model for every format.
 *
 * Text fields are (key, value) pairs; a key may repeat (multi-value, e.g. two
 * ARTIST values). Keys are case-insensitive ASCII and stored upper-case.
 * Readers map format-specific names onto the canonical keys below and keep
 * anything else under its own name; writers map canonical keys back and
 * report what the target format cannot carry in the "unmapped" list.
 *
 * Canonical keys: TITLE, ARTIST, ALBUM, ALBUMARTIST, TRACKNUMBER, TRACKTOTAL,
 * DISCNUMBER, DISCTOTAL, DATE, GENRE, COMMENT, COMPOSER, LYRICS, COPYRIGHT,
 * ENCODER, ISRC.
 *
 * All strings are UTF-8 and are copied in; the pointers returned by getters
 * stay valid until the metadata is modified or destroyed.
 */
#ifndef SEGUE_METADATA_H
#define SEGUE_METADATA_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segue_metadata segue_metadata;

/* Picture types follow ID3v2 APIC / FLAC PICTURE (3 = front cover). */
typedef struct segue_picture {
    uint32_t type;
    const char *mime;        /* e.g. "image/jpeg" */
    const char *description; /* may be "" */
    uint32_t width, height;  /* 0 if unknown */
    const uint8_t *data;
    size_t size;
} segue_picture;

/* Encoder delay and padding in frames (samples per channel), and the length
 * of the original audio. A field is 0 when unknown. */
typedef struct segue_gapless {
    uint32_t encoder_delay;
    uint32_t padding;
    uint64_t total_frames;
} segue_gapless;

/* Loudness values. `has_*` flags say which fields are set. Gains in dB,
 * peaks as linear sample peak (1.0 = full scale). */
typedef struct segue_loudness {
    int has_track_gain, has_track_peak, has_album_gain, has_album_peak;
    double track_gain_db, track_peak, album_gain_db, album_peak;
    int has_r128_track, has_r128_album;
    double r128_track_gain_db, r128_album_gain_db; /* relative to -23 LUFS */
} segue_loudness;

/* Creates an empty set. `allocator` may be NULL. */
SEGUE_API segue_status segue_metadata_create(segue_metadata **out,
                                             const segue_allocator *allocator);
/* NULL-safe. */
SEGUE_API void segue_metadata_destroy(segue_metadata *m);
/* Replaces everything in `dst` with a copy of `src`. */
SEGUE_API segue_status segue_metadata_copy(segue_metadata *dst, const segue_metadata *src);
/* Removes everything. */
SEGUE_API void segue_metadata_clear(segue_metadata *m);

/* Appends a value to `key` (keeps existing values). */
SEGUE_API segue_status segue_metadata_add(segue_metadata *m, const char *key, const char *value);
/* Replaces all values of `key` with one value; value NULL removes the key. */
SEGUE_API segue_status segue_metadata_set(segue_metadata *m, const char *key, const char *value);
/* The index-th value of key, or NULL. */
SEGUE_API const char *segue_metadata_get(const segue_metadata *m, const char *key, size_t index);
/* Number of values of `key`. */
SEGUE_API size_t segue_metadata_count(const segue_metadata *m, const char *key);
/* All fields in insertion order. */
SEGUE_API size_t segue_metadata_field_count(const segue_metadata *m);
SEGUE_API segue_status segue_metadata_field_at(const segue_metadata *m, size_t index,
                                               const char **key, const char **value);

/* Pictures: data and strings are copied in. */
SEGUE_API segue_status segue_metadata_add_picture(segue_metadata *m, const segue_picture *pic);
SEGUE_API size_t segue_metadata_picture_count(const segue_metadata *m);
/* Fills *pic with pointers into `m`. */
SEGUE_API segue_status segue_metadata_picture_at(const segue_metadata *m, size_t index,
                                                 segue_picture *pic);

SEGUE_API void segue_metadata_set_gapless(segue_metadata *m, const segue_gapless *g);
SEGUE_API void segue_metadata_get_gapless(const segue_metadata *m, segue_gapless *g);
SEGUE_API void segue_metadata_set_loudness(segue_metadata *m, const segue_loudness *l);
SEGUE_API void segue_metadata_get_loudness(const segue_metadata *m, segue_loudness *l);

/* What a conversion could not carry: `what` names the field (e.g. "PICTURE",
 * "COMPOSER"), `reason` says why ("wav: LIST/INFO has no picture"). */
SEGUE_API segue_status segue_metadata_add_unmapped(segue_metadata *m, const char *what,
                                                   const char *reason);
SEGUE_API size_t segue_metadata_unmapped_count(const segue_metadata *m);
SEGUE_API segue_status segue_metadata_unmapped_at(const segue_metadata *m, size_t index,
                                                  const char **what, const char **reason);

#ifdef __cplusplus
}
#endif
#endif
