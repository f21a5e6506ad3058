/*
 * container/vorbiscomment.h - Vorbis comments and FLAC PICTURE blocks, shared
 * by the FLAC and Ogg (Vorbis, Opus) containers.
 *
 * Specifications: Xiph "Ogg Vorbis I format specification: comment field and
 * header specification" (section 5), FLAC format METADATA_BLOCK_PICTURE,
 * RFC 7845 section 5.2 (OpusTags, R128_TRACK_GAIN / R128_ALBUM_GAIN).
 */
#ifndef SEGUE_CONTAINER_VORBISCOMMENT_H
#define SEGUE_CONTAINER_VORBISCOMMENT_H

#include <segue/metadata.h>
#include "core/error.h"

/*
 * Parses a comment block: vendor string, field count, "KEY=value" fields
 * (no magic, no framing bit: the caller strips "\x03vorbis" / "OpusTags" and
 * the framing bit). Keys map onto the canonical keys of segue/metadata.h
 * (TRACKNUMBER "3/12" also sets TRACKTOTAL); METADATA_BLOCK_PICTURE values
 * (base64 of a FLAC PICTURE block) become pictures; REPLAYGAIN_* and R128_*
 * fill the loudness record (R128 values are Q7.8 dB, RFC 7845 5.2.1).
 * Every length is checked against `size`; a field count larger than the
 * bytes could hold is corrupt. Returns SEGUE_OK, SEGUE_ERR_CORRUPT (fields
 * before the damage are kept), SEGUE_ERR_NO_MEMORY.
 */
segue_status segue_vorbiscomment_parse(const uint8_t *data, size_t size, segue_metadata *m,
                                       const segue_allocator *a, segue_error *err);

/* How pictures travel in a comment block. */
typedef enum segue_vc_pictures {
    SEGUE_VC_PICTURES_NONE = 0,   /* the caller writes them elsewhere (FLAC PICTURE blocks) */
    SEGUE_VC_PICTURES_INLINE = 1  /* as METADATA_BLOCK_PICTURE fields (Ogg) */
} segue_vc_pictures;

/*
 * Serialises `m` (may be NULL: vendor and zero fields) into a newly
 * allocated comment block (same layout parse() takes) in *out / *out_size;
 * free it with segue_mem_free(a, *out). Loudness values are written as
 * REPLAYGAIN_* fields, or R128_* when `r128` is non-zero (Opus). Nothing is
 * unmappable in a comment block except with SEGUE_VC_PICTURES_NONE, where
 * pictures are the caller's business.
 */
segue_status segue_vorbiscomment_write(const segue_metadata *m, const char *vendor,
                                       segue_vc_pictures pictures, int r128,
                                       const segue_allocator *a, uint8_t **out, size_t *out_size,
                                       segue_error *err);

/* Parses the body of a FLAC PICTURE block (type, MIME, description, width,
 * height, depth, colours, data) and adds the picture to `m`. */
segue_status segue_flac_picture_parse(const uint8_t *data, size_t size, segue_metadata *m,
                                      const segue_allocator *a, segue_error *err);

/* Serialises one picture as a FLAC PICTURE block body (no block header). */
segue_status segue_flac_picture_write(const segue_picture *pic, const segue_allocator *a,
                                      uint8_t **out, size_t *out_size, segue_error *err);

#endif
