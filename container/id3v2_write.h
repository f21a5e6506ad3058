/*
 * container/id3v2_write.h - ID3v2.3 and ID3v2.4 tag writer (the reader is
 * container/id3v2.h).
 *
 * Specifications: id3.org "ID3 tag version 2.3.0" ([v2.3]), "ID3 tag
 * version 2.4.0 - Main Structure" ([v2.4-S]) and "- Native Frames"
 * ([v2.4-F]).
 *
 * Mapping of the metadata model (segue/metadata.h) to frames:
 *   TITLE TIT2, ARTIST TPE1, ALBUM TALB, ALBUMARTIST TPE2, COMPOSER TCOM,
 *   GENRE TCON, COPYRIGHT TCOP, ENCODER TSSE, ISRC TSRC,
 *   TRACKNUMBER + TRACKTOTAL TRCK "3/12", DISCNUMBER + DISCTOTAL TPOS "1/2"
 *   (a total without a number goes to TXXX TRACKTOTAL / DISCTOTAL),
 *   DATE: v2.4 TDRC as given; v2.3 TYER "YYYY" plus TDAT "DDMM" and TIME
 *   "HHMM" when the date has them ([v2.3] 4.2.1), TXXX DATE when it does
 *   not start with a four-digit year,
 *   COMMENT COMM and LYRICS USLT (language "eng", empty description; a
 *   second and later value get the descriptions "2", "3", ... because
 *   [v2.4-F] 4.10 allows one frame per language and description),
 *   keys that are standard text frame ids of the version (TBPM, TKEY, ...)
 *   and URL frame ids (WOAR, ...) that frame, everything else TXXX with
 *   the key as description, pictures APIC, ReplayGain values TXXX
 *   REPLAYGAIN_TRACK_GAIN / _PEAK / REPLAYGAIN_ALBUM_GAIN / _PEAK ("-6.50 dB",
 *   "0.988553").
 *
 * Multiple values: v2.4 writes them NUL-separated in one frame ([v2.4-F]
 * 4.2). v2.3 has no list syntax except "/" in the people frames: TPE1,
 * TCOM, TEXT, TOLY and TOPE join their values with "/" ([v2.3] 4.2.1:
 * "They are seperated with the "/" character"); any other key puts its
 * first value in its frame and each further value in a separate TXXX frame
 * described by the key (so "GENRE" twice gives TCON and TXXX "GENRE"; a key
 * with three or more values repeats that TXXX description, which [v2.3]
 * 4.2.2 discourages: mutagen and segue_id3v2_parse() merge them back into
 * a list).
 *
 * Text encoding: ISO-8859-1 when every character of the frame's strings is
 * in Latin-1; otherwise UTF-16 with byte order mark (v2.3, [v2.3] 3.3) or
 * UTF-8 (v2.4, [v2.4-S] 4.). No unsynchronisation, no extended header, no
 * compression; 1024 bytes of padding follow the frames ([v2.4-S] 3.3).
 *
 * Reported to `unmapped` (ID3v2 can hold nearly everything): R128 gains
 * (no ID3 field), iTunes iTunSMPB/iTunNORM values (they describe the
 * source encode), extra values of single-value frames (TRCK, TPOS, URL
 * frames), the seconds of a v2.3 date, pictures too large for a 256 MiB tag.
 */
#ifndef SEGUE_CONTAINER_ID3V2_WRITE_H
#define SEGUE_CONTAINER_ID3V2_WRITE_H

#include <segue/metadata.h>
#include "core/error.h"

/* Bytes of zero padding after the frames. */
#define SEGUE_ID3V2_WRITE_PADDING 1024

/*
 * Renders `m` as a complete ID3v2.`version` tag (version 3 or 4) into a
 * buffer allocated from `a` (*out, free with segue_mem_free; *size bytes,
 * header and padding included). If `m` is NULL or holds nothing ID3 can
 * carry, *out is NULL and *size 0. What cannot be written is added to
 * `unmapped` (may be NULL).
 *
 * Returns SEGUE_OK, SEGUE_ERR_INVALID_ARGUMENT (bad version or pointers),
 * SEGUE_ERR_NO_MEMORY, SEGUE_ERR_TOO_LARGE (the tag would exceed the
 * 28-bit size field). `err` gets an "id3v2: ..." detail.
 */
segue_status segue_id3v2_write(const segue_metadata *m, int version, segue_metadata *unmapped,
                               const segue_allocator *a, uint8_t **out, size_t *size,
                               segue_error *err);

/*
 * As segue_id3v2_write(), but the tag is exactly `fixed_size` bytes (header
 * and padding included; the padding absorbs the difference), for rewriting
 * a tag in place (late loudness tags, container/mp3mux.c). A tag with no
 * frames is written as header plus padding. *out is always allocated on
 * success (free with segue_mem_free).
 *
 * Returns SEGUE_OK, SEGUE_ERR_INVALID_ARGUMENT (bad version, pointers, or a
 * size below 10 bytes or above the 28-bit limit), SEGUE_ERR_NO_MEMORY,
 * SEGUE_ERR_TOO_LARGE (the frames do not fit in `fixed_size`).
 */
segue_status segue_id3v2_write_fixed(const segue_metadata *m, int version, size_t fixed_size,
                                     segue_metadata *unmapped, const segue_allocator *a,
                                     uint8_t **out, segue_error *err);

/*
 * Decodes one UTF-8 code point at *s (which must not point at the
 * terminating NUL) and advances *s. Invalid or truncated sequences (RFC 3629
 * section 3: overlong forms, surrogates, values past U+10FFFF) give U+FFFD
 * and advance one byte, so any byte string converts. Shared by the tag
 * writers (ID3v2, ID3v1).
 */
uint32_t segue_utf8_next(const char **s);

#endif
