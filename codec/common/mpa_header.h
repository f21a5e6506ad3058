/*
 * codec/common/mpa_header.h - the 4-byte MPEG audio frame header (ISO/IEC
 * 11172-3 2.4.1.3, ISO/IEC 13818-3 2.4.1.3, and the MPEG-2.5 extension),
 * shared by the MPEG audio decoder (codec/mp3) and the containers that walk
 * MPEG audio frames (the MP3 demuxer; the OMA container later).
 */
#ifndef SEGUE_CODEC_COMMON_MPA_HEADER_H
#define SEGUE_CODEC_COMMON_MPA_HEADER_H

#include <stddef.h>
#include <stdint.h>

typedef struct segue_mpa_header {
    int version;            /* 1 = MPEG-1, 2 = MPEG-2 LSF, 25 = MPEG-2.5 */
    int layer;              /* 1, 2 or 3 */
    int protection;         /* 1 if a CRC-16 follows the header */
    uint32_t bitrate;       /* bits per second; 0 = free format */
    uint32_t sample_rate;   /* Hz */
    int padding;            /* padding slot present */
    int mode;               /* 0 stereo, 1 joint stereo, 2 dual channel, 3 mono */
    int mode_extension;
    int emphasis;
    unsigned channels;      /* 1 or 2 */
    unsigned samples;       /* samples per channel in the frame: 384, 1152 or 576 */
    uint32_t frame_bytes;   /* whole frame incl. header; 0 for free format */
} segue_mpa_header;

/* Parses 4 bytes at `p`. Returns 0 and fills `h`, or -1 if they are not a
 * valid header (bad sync, reserved version, layer, bitrate or rate; the
 * reserved emphasis value is accepted and reported). */
int segue_mpa_header_parse(const uint8_t *p, segue_mpa_header *h);

#endif
