/*
 * codec/aac/enc/aac_enc_entropy.h - the AAC-LC encoder's noiseless coding:
 * bit writer, spectral and scalefactor Huffman coding, and section data
 * (ISO/IEC 14496-3 4.6.3 "Noiseless coding", 4.5.2.3 section_data(),
 * scale_factor_data(), spectral_data(); codebooks of Annex 4.A).
 *
 * Everything here is pure: no allocation, no state beyond the arguments.
 */
#ifndef SEGUE_CODEC_AAC_ENC_ENTROPY_H
#define SEGUE_CODEC_AAC_ENC_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/* ---- bit writer (MSB first, as the AAC bitstream) ------------------------ */
typedef struct aacenc_bitwriter {
    uint8_t *buf;
    size_t cap;        /* bytes */
    size_t bytes;      /* whole bytes written to buf */
    uint64_t cache;    /* pending bits, right-aligned */
    unsigned cached;   /* number of pending bits (< 64) */
    int overflow;      /* set when a write did not fit; later writes do nothing */
} aacenc_bitwriter;

/* Starts writing at buf[0]; buf (cap bytes) stays owned by the caller. */
void aacenc_bw_init(aacenc_bitwriter *bw, uint8_t *buf, size_t cap);
/* Appends the low `nbits` (0..32) of `value`. Sets overflow, and then
 * ignores every later write, when buf is full. */
void aacenc_bw_put(aacenc_bitwriter *bw, uint32_t value, unsigned nbits);
/* Bits written so far (including pending). */
size_t aacenc_bw_bits(const aacenc_bitwriter *bw);
/* Pads with zero bits to a byte boundary and writes out the cache; returns
 * the bytes in buf. Writing may go on after it (from that boundary). */
size_t aacenc_bw_flush(aacenc_bitwriter *bw);

/* ---- codebooks ----------------------------------------------------------- */
enum {
    AACENC_ZERO_HCB = 0,
    AACENC_ESC_HCB = 11,
    AACENC_NOISE_HCB = 13,      /* PNS band: noise energy instead of spectra */
    AACENC_INTENSITY_HCB2 = 14, /* intensity stereo, out of phase */
    AACENC_INTENSITY_HCB = 15   /* intensity stereo, in phase */
};
/* Cost standing for "this book cannot code these values". */
#define AACENC_BITS_INF 0x3FFFFFFFu

/* Largest |q| each spectral book 0..11 codes without escape (book 11:
 * 8191 through escapes). */
extern const uint16_t aacenc_book_max[12];

/* Bits of spectral_data() for n quantised values q (n a multiple of the
 * book's tuple size: 4 for books 1-4, 2 for books 5-11; bands are multiples
 * of 4) coded with `book` 0..11, signs and escapes included; book 0 costs 0
 * when every value is 0. AACENC_BITS_INF when a value is outside the book
 * (book 11: |q| > 8191) or for book 12; 0 for books 13..15, which send no
 * spectral data. */
unsigned aacenc_spectral_bits(const int16_t *q, size_t n, unsigned book);
/* Fills bits[0..11] with aacenc_spectral_bits() for every book in one pass
 * over q (the sectioning's input); about 4 times faster than 12 calls. */
void aacenc_spectral_bits_all(const int16_t *q, size_t n, unsigned bits[12]);
/* The same with max_abs = max |q[i]| given (what the dsp table's
 * aacenc_quantize returns), saving the pass that finds it: the rate loop's
 * form. max_abs must be exact: it selects the tables the values index, and
 * one below the true maximum makes them read out of range. */
void aacenc_spectral_bits_all_max(const int16_t *q, size_t n, unsigned max_abs, unsigned bits[12]);
/* Writes the values as spectral_data() does for one band of one window:
 * per tuple the codeword, the sign bits of an unsigned book's nonzero
 * values (1 = negative), and book 11's escape words. Books 0 and 12..15
 * write nothing. Values outside the book (a caller's bug) are clamped to
 * it, so the stream stays parseable. */
void aacenc_spectral_write(aacenc_bitwriter *bw, const int16_t *q, size_t n, unsigned book);

/* Scalefactor codebook (Table 4.A.1): bits and code for a difference
 * -60..60 between consecutive scalefactors (also used for the
 * intensity positions and PNS energies, 4.6.2.3.2). aacenc_sf_bits gives
 * AACENC_BITS_INF outside -60..60; aacenc_sf_write clamps to it. */
unsigned aacenc_sf_bits(int delta);
void aacenc_sf_write(aacenc_bitwriter *bw, int delta);

/* ---- section data (4.5.2.3, 4.6.3.2) ------------------------------------ */
/* Most bands aacenc_section_plan() takes: max_sfb is a 6-bit field. */
#define AACENC_MAX_SECTION_BANDS 64u
/* Chooses the book of each of the `nbands` bands of one window group so
 * that section_data() plus spectral_data() take the fewest bits (dynamic
 * programming over section boundaries; a section's header costs 4 bits of
 * book plus 5 (long) or 3 (short) bits of length, with escapes for long
 * sections). `band_bits[b][k]` is aacenc_spectral_bits() of band b with book
 * k. `fixed[b]` is 0 for a free band, or the book a band must use
 * (AACENC_NOISE_HCB, AACENC_INTENSITY_HCB[2]; those bands cost nothing in
 * spectral_data and never merge with other books). Writes the books to
 * `book` and returns the total bits (section data + spectral data).
 * `fixed` may be NULL (every band free). Returns AACENC_BITS_INF, `book`
 * then unspecified, when some band has no book that codes it or nbands >
 * AACENC_MAX_SECTION_BANDS. No allocation; O(nbands x books) time for long
 * windows below 62 bands, O(nbands^2 x books) at worst otherwise. */
unsigned aacenc_section_plan(const unsigned (*band_bits)[12], const uint8_t *fixed,
                             unsigned nbands, int short_window, uint8_t *book);
/* Writes section_data() for one window group from the per-band books
 * (maximal runs of one book are the sections). */
void aacenc_section_write(aacenc_bitwriter *bw, const uint8_t *book, unsigned nbands,
                          int short_window);

#endif
