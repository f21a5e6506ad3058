/*
 * container/id3v1.h - ID3v1 / ID3v1.1 tags: the 128-byte "TAG" block at the
 * end of an MP3 file.
 *
 * Layout (id3.org "ID3v1"; v1.1 is Michael Mutschler's track extension):
 *   0   "TAG"
 *   3   title    30 bytes
 *   33  artist   30 bytes
 *   63  album    30 bytes
 *   93  year      4 bytes
 *   97  comment  30 bytes; v1.1: 28 bytes, a zero byte, the track number
 *   127 genre     1 byte, an index into the ID3v1 genre list (255: none)
 * Text is ISO-8859-1, padded with NULs (or spaces, by some writers).
 */
#ifndef SEGUE_CONTAINER_ID3V1_H
#define SEGUE_CONTAINER_ID3V1_H

#include <segue/metadata.h>
#include "core/error.h"

#define SEGUE_ID3V1_BYTES 128

/* 1 if the last 128 bytes of data[0..size) are an ID3v1 tag. */
int segue_id3v1_present(const uint8_t *data, size_t size);

/*
 * Reads the ID3v1 tag at `tag` (`size` >= 128; only the first 128 bytes are
 * read) into `m`: TITLE, ARTIST, ALBUM, DATE (the year), COMMENT,
 * TRACKNUMBER (v1.1) and GENRE (by name, from segue_id3v1_genre_name()).
 * Text is converted from ISO-8859-1 to UTF-8; each field ends at its first
 * NUL and loses trailing spaces; empty fields are skipped. ID3v1 only fills
 * gaps: a key `m` already holds (from an ID3v2 or APE tag, which carry the
 * untruncated text) is not added again.
 *
 * Returns SEGUE_OK, SEGUE_ERR_CORRUPT if the bytes are not a "TAG" block,
 * SEGUE_ERR_NO_MEMORY. `err` gets an "id3v1: ..." detail.
 */
segue_status segue_id3v1_parse(const uint8_t *tag, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err);

/*
 * Renders the first TITLE, ARTIST, ALBUM, DATE (its first four characters),
 * COMMENT, TRACKNUMBER (1..255, as v1.1) and GENRE (when it names an entry
 * of the genre list, case-insensitively) of `m` into out[0..128).
 * Characters outside ISO-8859-1 become '?'. Text longer than its field is
 * cut at a character boundary. Each truncation, replacement, track number
 * out of range and unlisted genre is added to `unmapped` (may be NULL);
 * fields ID3v1 has no place for are not reported (it is written beside an
 * ID3v2 tag that carries them). `m` may be NULL (an empty tag).
 * Returns SEGUE_OK or SEGUE_ERR_NO_MEMORY (from `unmapped`).
 */
segue_status segue_id3v1_render(const segue_metadata *m, segue_metadata *unmapped,
                                uint8_t out[SEGUE_ID3V1_BYTES]);

#endif
