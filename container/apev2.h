/*
 * container/apev2.h - APEv2 (and APEv1) tag reader.
 *
 * Specification: "APEv2 specification" and "APE key" on
 * wiki.hydrogenaud.io ([APE]). A tag is
 *   [header 32 bytes]  items...  [footer 32 bytes]
 * where header and footer are "APETAGEX", version (LE32: 1000 or 2000),
 * tag size (LE32: items + footer, the header not counted), item count,
 * flags, 8 reserved bytes. Each item is value size (LE32), item flags
 * (LE32), key (ASCII 0x20..0x7E, NUL-terminated), value. In MP3 files the
 * tag sits at the end, before an ID3v1 tag if there is one.
 */
#ifndef SEGUE_CONTAINER_APEV2_H
#define SEGUE_CONTAINER_APEV2_H

#include <segue/metadata.h>
#include "core/error.h"

#define SEGUE_APE_FOOTER_BYTES 32

/*
 * Parses one APE tag held in memory into `m`. `data` is either the whole
 * tag starting with its header, or ends with its footer (a header before
 * the items is allowed then too). Text items are UTF-8 (APEv1: UTF-8 when
 * valid, else ISO-8859-1), several values separated by NUL. Keys map
 * case-insensitively: Title TITLE, Artist ARTIST, Album ALBUM, Album Artist
 * (or AlbumArtist) ALBUMARTIST, Track "3/12" TRACKNUMBER + TRACKTOTAL,
 * Disc "1/2" DISCNUMBER + DISCTOTAL, Year DATE, Genre GENRE, Comment
 * COMMENT, Composer COMPOSER, Lyrics LYRICS, Copyright COPYRIGHT, ISRC
 * ISRC, REPLAYGAIN_* into the loudness record; other keys are kept under
 * their own name (upper-cased). Binary "Cover Art (Front)" and the other
 * "Cover Art (...)" items become pictures (the type from the [APE] list,
 * a leading file name dropped, the MIME type sniffed); other binary and
 * external-link items are listed with segue_metadata_add_unmapped().
 *
 * Every size is checked against the bytes present: a tag size larger than
 * `size`, an item count that cannot fit, an item running past the tag or a
 * key that is not printable ASCII stops the parse with SEGUE_ERR_CORRUPT
 * (items read before the damage stay in `m`). An unknown version is
 * SEGUE_ERR_UNSUPPORTED. `err` gets an "apev2: ..." detail.
 */
segue_status segue_apev2_parse(const uint8_t *data, size_t size, segue_metadata *m,
                               const segue_allocator *a, segue_error *err);

/*
 * Finds an APE tag at the end of data[0..size): ending at the end, or just
 * before an ID3v1 tag (and a Lyrics3v2 block before that). On success
 * returns 1 and sets *offset and *length to the tag's bytes (header
 * included when the footer announces one and it is there); 0 if there is
 * no footer there or its size does not fit the buffer.
 */
int segue_apev2_find(const uint8_t *data, size_t size, size_t *offset, size_t *length);

/*
 * Total length of the tag whose 32-byte footer is at `footer` (the tag
 * size plus 32 when the footer announces a header), or 0 if those bytes
 * are not an APE footer. Lets a reader working from the end of a file know
 * how much to read.
 */
uint64_t segue_apev2_footer_size(const uint8_t *footer, size_t size);

#endif
