/*
 * container/id3v2.h - ID3v2 tag reader and small tag-text helpers shared by
 * the containers that carry tags (WAV `id3 ` chunk, AIFF `ID3 ` chunk, and
 * later the MP3 framing).
 *
 * Specifications: id3.org "ID3 tag version 2" (v2.2), "ID3 tag version
 * 2.3.0", "ID3 tag version 2.4.0 - Main Structure" and "- Native Frames".
 */
#ifndef SEGUE_CONTAINER_ID3V2_H
#define SEGUE_CONTAINER_ID3V2_H

#include <segue/metadata.h>
#include "core/error.h"

/* Length of the fixed ID3v2 header (and of the optional v2.4 footer). */
#define SEGUE_ID3V2_HEADER_BYTES 10

/*
 * Parses one ID3v2.2/2.3/2.4 tag held in memory, starting with its "ID3"
 * header, into `m`: text fields under the canonical keys (see
 * segue/metadata.h), other text frames under their frame id, TXXX under its
 * description, pictures, and ReplayGain TXXX values into the loudness record.
 * Compressed or encrypted frames are listed with segue_metadata_add_unmapped().
 * A key/value pair `m` already holds is not added again (files often carry
 * the same title in a native chunk and in an ID3 tag).
 *
 * Every declared size is checked against the bytes that remain; nothing is
 * read outside data[0..size). Temporary buffers come from `a` and are freed
 * before return.
 *
 * Returns SEGUE_OK; SEGUE_ERR_CORRUPT for a malformed tag (fields parsed
 * before the damage stay in `m`), SEGUE_ERR_UNSUPPORTED for an unknown major
 * version, SEGUE_ERR_NO_MEMORY. `err` gets an "id3v2: ..." detail.
 */
segue_status segue_id3v2_parse(const uint8_t *data, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err);

/*
 * Total length of the tag (header + body + footer) announced by the 10-byte
 * header at `header`, or 0 if those bytes are not a plausible ID3v2 header.
 * Lets a framing layer (MP3) know how much to read before calling the parser.
 */
uint64_t segue_id3v2_tag_size(const uint8_t *header, size_t size);

/* The ID3v1 genre name for `index` (0..147: the ID3v1 list 0..79 plus the
 * Winamp extensions), or NULL. */
const char *segue_id3v1_genre_name(unsigned index);

/*
 * Adds a tag text value given as raw bytes that are UTF-8 or, when they are
 * not valid UTF-8, ISO-8859-1 (RIFF INFO and AIFF text chunks declare ASCII
 * but carry both in practice). The text stops at the first NUL; trailing
 * spaces are dropped; an empty result, or a value `key` already holds,
 * adds nothing. Returns SEGUE_OK or
 * SEGUE_ERR_NO_MEMORY (or SEGUE_ERR_INVALID_ARGUMENT for a bad key).
 */
segue_status segue_tag_add_text(segue_metadata *m, const char *key, const uint8_t *text,
                                size_t len, const segue_allocator *a);

/*
 * Records a ReplayGain value given under its tag name
 * (REPLAYGAIN_TRACK_GAIN, _TRACK_PEAK, _ALBUM_GAIN, _ALBUM_PEAK, any case)
 * in the loudness record of `m`. Returns 1 if `key` is one of them, else 0
 * (the caller then keeps the field as text).
 */
int segue_tag_set_replaygain(segue_metadata *m, const char *key, double value);

/*
 * The same from the tag's text ("-7.03 dB", "0.959778": a decimal number,
 * anything after it ignored). Returns 1 if `key` is a ReplayGain name and
 * the value parsed, else 0 (the caller keeps the field as text). Used by
 * the readers of ID3v2 TXXX and MP4 freeform items.
 */
int segue_tag_take_replaygain_text(segue_metadata *m, const char *key, const char *value);

#endif
