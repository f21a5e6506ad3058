/*
 * codec/common/mpa_header.c - the MPEG audio frame header (ISO/IEC 11172-3
 * 2.4.1.3 / 2.4.2.3, ISO/IEC 13818-3 2.4.1.3 / 2.4.2.3 and the MPEG-2.5
 * extension for 8000, 11025 and 12000 Hz).
 *
 * Header bits (MSB first):
 *   syncword 11 (12 in ISO; the 12th bit is ID, and a 0 there with the bit
 *   before also 0 is MPEG-2.5), ID 1, layer 2, protection_bit 1,
 *   bitrate_index 4, sampling_frequency 2, padding_bit 1, private_bit 1,
 *   mode 2, mode_extension 2, copyright 1, original 1, emphasis 2.
 */
#include "codec/common/mpa_header.h"

/* kbit/s, ISO/IEC 11172-3 2.4.2.3 "bitrate_index" (MPEG-1) and ISO/IEC
 * 13818-3 2.4.2.3 (the lower sampling frequencies, also used by MPEG-2.5).
 * Index 0 is free format, index 15 is forbidden (rejected). */
static const uint16_t bitrate_kbps[2][3][15] = {
    {/* MPEG-1 */
     {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
     {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
     {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
    {/* MPEG-2 LSF and MPEG-2.5 */
     {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
     {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}},
};

/* Hz, "sampling_frequency" (index 3 is reserved). MPEG-2 halves and
 * MPEG-2.5 quarters the MPEG-1 rates. */
static const uint32_t rate_hz[3][3] = {
    {44100, 48000, 32000}, /* MPEG-1 */
    {22050, 24000, 16000}, /* MPEG-2 */
    {11025, 12000, 8000},  /* MPEG-2.5 */
};

int segue_mpa_header_parse(const uint8_t *p, segue_mpa_header *h)
{
    if (!p || !h)
        return -1;
    uint32_t w = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    if ((w >> 21) != 0x7FFu)
        return -1; /* 11 sync bits */
    unsigned ver_bits = (w >> 19) & 3u;   /* 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5, 1 reserved */
    unsigned layer_bits = (w >> 17) & 3u; /* 3 Layer I, 2 Layer II, 1 Layer III, 0 reserved */
    unsigned br_index = (w >> 12) & 15u;
    unsigned sf_index = (w >> 10) & 3u;
    unsigned emphasis = w & 3u;
    /* Reserved values (2.4.2.3). Emphasis "10" is reserved too, but it only
     * describes a de-emphasis nobody applies, and real streams (the ISO
     * l3-hecommon vector among them) carry it: accept it rather than lose
     * whole frames to resync. */
    if (ver_bits == 1 || layer_bits == 0 || br_index == 15 || sf_index == 3)
        return -1;

    int version = ver_bits == 3 ? 1 : ver_bits == 2 ? 2 : 25;
    int layer = (int)(4 - layer_bits);
    int lsf = version != 1;
    h->version = version;
    h->layer = layer;
    h->protection = ((w >> 16) & 1u) == 0; /* protection_bit 0: CRC present */
    h->bitrate = (uint32_t)bitrate_kbps[lsf][layer - 1][br_index] * 1000u;
    h->sample_rate = rate_hz[version == 1 ? 0 : version == 2 ? 1 : 2][sf_index];
    h->padding = (int)((w >> 9) & 1u);
    h->mode = (int)((w >> 6) & 3u);
    h->mode_extension = (int)((w >> 4) & 3u);
    h->emphasis = (int)emphasis;
    h->channels = h->mode == 3 ? 1u : 2u;
    /* Layer I: 12 x 32 samples; Layer II: 36 x 32; Layer III: 2 granules of
     * 576 (MPEG-1) or 1 granule (LSF, 13818-3 2.4.2.1). */
    h->samples = layer == 1 ? 384u : (layer == 3 && lsf) ? 576u : 1152u;

    /* Frame length in slots (2.4.3.1): Layer I has 4-byte slots,
     * N = 12 * bitrate / fs (+1 slot of padding); Layers II and III have
     * byte slots, N = samples / 8 * bitrate / fs (+1). The division
     * truncates; the padding bit makes up the average. */
    if (h->bitrate == 0) {
        h->frame_bytes = 0; /* free format: the next sync tells */
    } else if (layer == 1) {
        h->frame_bytes = (12u * h->bitrate / h->sample_rate + (uint32_t)h->padding) * 4u;
    } else {
        h->frame_bytes = h->samples / 8u * h->bitrate / h->sample_rate + (uint32_t)h->padding;
    }
    return 0;
}
