/*
 * codec/aac/aac_dsp.h - the hot kernels of the AAC-LC decoder, kept as plain
 * functions over float arrays so they can move into simd/ (the segue_dsp
 * table) unchanged: inverse quantisation, the IMDCT on our own FFT, and
 * windowing with overlap-add (ISO/IEC 14496-3 4.6.1.3 and 4.6.11).
 */
#ifndef SEGUE_CODEC_AAC_DSP_H
#define SEGUE_CODEC_AAC_DSP_H

#include <stddef.h>
#include <stdint.h>

/* 4.6.1.3 and 4.6.2.3: dst[i] = sign(q[i]) |q[i]|^(4/3) * gain, |q[i]| <= 8191. */
void aac_dequant(float *dst, const int16_t *q, size_t n, float gain);

/* 4.6.11.3.1: the IMDCT of N/2 coefficients to N samples,
 *   out[n] = 2/N sum_k in[k] cos(2 pi / N (n + n0) (k + 1/2)),
 *   n0 = (N/2 + 1) / 2, N = 2048 (log2n 11) or 256 (log2n 8).
 * `work` holds N/2 floats; `out` (N floats) may not overlap `in`. */
void aac_imdct(float *out, const float *in, unsigned log2n, float *work);

/* In-place complex FFT of n = 512 or 64 points (interleaved re, im),
 * forward (e^-i), input in natural order. */
void aac_fft(float *z, unsigned n);

/* 4.6.11.3: windows one frame's IMDCT output `t` (2048 samples; for
 * EIGHT_SHORT_SEQUENCE, 8 IMDCTs of 256 at t + 256 w) and overlap-adds it:
 * out[0..1023] = first half + overlap, overlap = second half.
 * window_sequence 0..3 (ONLY_LONG, LONG_START, EIGHT_SHORT, LONG_STOP);
 * prev_shape/shape: 0 sine, 1 KBD (the left half uses the previous frame's
 * shape, the right half this frame's). */
void aac_window_overlap(float *out, float *overlap, const float *t, unsigned window_sequence,
                        unsigned shape, unsigned prev_shape);

#endif
