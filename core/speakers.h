/*
 * core/speakers.h - speaker positions of WAVEFORMATEXTENSIBLE
 * (dwChannelMask bits) and the layout assumed when a stream has no mask.
 */
#ifndef SEGUE_CORE_SPEAKERS_H
#define SEGUE_CORE_SPEAKERS_H

#include <stdint.h>

enum {
    SPK_FL = 0x1, SPK_FR = 0x2, SPK_FC = 0x4, SPK_LFE = 0x8, SPK_BL = 0x10, SPK_BR = 0x20,
    SPK_FLC = 0x40, SPK_FRC = 0x80, SPK_BC = 0x100, SPK_SL = 0x200, SPK_SR = 0x400,
    SPK_TC = 0x800, SPK_TFL = 0x1000, SPK_TFC = 0x2000, SPK_TFR = 0x4000, SPK_TBL = 0x8000,
    SPK_TBC = 0x10000, SPK_TBR = 0x20000
};

/* The mask a player assumes for a channel count without one: the default
 * channel orders of WAVEFORMATEXTENSIBLE, which FLAC (RFC 9639 section
 * 9.1.3) and Vorbis (I.4.3) share up to 8 channels: 1.0 (centre), 2.0,
 * 3.0, quad (back), 5.0, 5.1, 6.1 (back centre, side surrounds), 7.1
 * (back and side surrounds). 0 (no positions) for 0 or more than 8. */
uint32_t segue_default_channel_mask(unsigned channels);

#endif
