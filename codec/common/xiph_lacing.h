/*
 * codec/common/xiph_lacing.h - the three Vorbis header packets packed into
 * one extradata block with Xiph lacing (a count byte of 2, then the first
 * two lengths as runs of 255s ending below 255, then the packets: the
 * layout Matroska uses). Shared by the Ogg container, which builds and
 * reads it, and the Vorbis codec, which reads it.
 */
#ifndef SEGUE_CODEC_COMMON_XIPH_LACING_H
#define SEGUE_CODEC_COMMON_XIPH_LACING_H

#include <stddef.h>
#include <stdint.h>

/* Splits `n` bytes at `x` into three packets (pointers into `x`). Returns 1,
 * or 0 if the block is not three Xiph-laced packets that fit in `n`. */
int segue_xiph_unlace3(const uint8_t *x, size_t n, const uint8_t *pk[3], size_t len[3]);

#endif
