/*
 * tests/aacenc/aacenc_rate_bench.c - the AAC encoder rate loop's inner work
 * (quantise a band, count its bits with every book) for instruction counts
 * under callgrind. Not a test: speed is measured, never asserted.
 *
 *   aacenc_rate_bench MODE [ITER]
 *     all     aacenc_quantize + aacenc_spectral_bits_all_max (the rate loop)
 *     scan    aacenc_quantize + aacenc_spectral_bits_all (finds the maximum)
 *     each    aacenc_quantize + aacenc_spectral_bits for books 0..11 (the
 *             peer: one pass per book)
 *     quant   aacenc_quantize only
 *     plan    all, then aacenc_section_plan over the 49 bands per scalefactor
 *             step (subtract all's count)
 *     mdct    one 2048-point and eight 256-point aacenc_mdct per frame
 *     imdct   the same with the decoder's aac_imdct (the peer)
 *     none    the setup alone (subtract it)
 *
 * The input is one long-window frame of 1024 coefficients with a 1/f
 * spectrum and noise, split into the 49 bands of 44.1 kHz; every band is
 * quantised at 8 scalefactors around the one that puts its peak near 12
 * (how a rate search walks), ITER frames (default 200). The active dsp
 * level follows SEGUE_CPU. Prints a checksum so nothing is optimised away.
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out aacenc_rate_bench all
 * then divide the total Ir (minus MODE none's) by ITER * 49 * 8 calls.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/aac/aac_tables.h"
#include "codec/aac/enc/aac_enc_entropy.h"
#include "simd/dsp.h"

static uint32_t rng = 0xbe9c4u;
static float noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    int iter = argc > 2 ? atoi(argv[2]) : 200;
    int m_all = !strcmp(mode, "all"), m_each = !strcmp(mode, "each"), m_q = !strcmp(mode, "quant");
    int m_scan = !strcmp(mode, "scan"), m_plan = !strcmp(mode, "plan");
    m_all |= m_plan;
    int m_mdct = !strcmp(mode, "mdct"), m_imdct = !strcmp(mode, "imdct");
    if (!m_all && !m_each && !m_q && !m_scan && !m_mdct && !m_imdct && strcmp(mode, "none") != 0) {
        fprintf(stderr, "usage: aacenc_rate_bench all|scan|plan|each|quant|mdct|imdct|none [ITER]\n");
        return 64;
    }
    const segue_dsp *dsp = segue_dsp_get();
    if (m_mdct || m_imdct) {
        static float in[2048], out[1024], work[2048];
        double acc = 0.0;
        for (unsigned i = 0; i < 2048; i++)
            in[i] = noise();
        for (int it = 0; it < iter; it++) {
            if (m_mdct) {
                dsp->aacenc_mdct(out, in, 11, work);
                for (unsigned w = 0; w < 8; w++)
                    dsp->aacenc_mdct(out + 128 * w, in + 128 * w, 8, work);
            } else {
                dsp->aac_imdct(in, out, 11, work);
                for (unsigned w = 0; w < 8; w++)
                    dsp->aac_imdct(in + 256 * w, out + 128 * w, 8, work);
            }
            acc += (double)out[(unsigned)it % 1024u] + (double)in[(unsigned)it % 2048u];
        }
        printf("%s: checksum %.6g\n", mode, acc);
        return 0;
    }
    const unsigned sfi = 4; /* 44.1 kHz */
    const uint16_t *swb = aac_swb_long[sfi];
    unsigned nb = aac_num_swb_long[sfi];
    static float x[1024], x34[1024];
    static int16_t q[1024];
    int base_sf[64];
    for (unsigned i = 0; i < 1024; i++)
        x[i] = 32768.0f * noise() * 0.3f / (1.0f + (float)i * 0.05f);
    dsp->aacenc_pow34(x34, x, 1024);
    for (unsigned b = 0; b < nb; b++) {
        float pk = 0.0f;
        for (unsigned i = swb[b]; i < swb[b + 1]; i++)
            pk = x34[i] > pk ? x34[i] : pk;
        /* istep = 2^(-3/16 (sf - 100)) puts the peak near 12. */
        base_sf[b] = pk > 0.0f ? 100 + (int)(16.0 / 3.0 * log2((double)pk / 12.0)) : 100;
    }
    unsigned long sum = 0;
    static unsigned band_bits[8][64][12];
    for (int it = 0; it < iter; it++) {
        for (unsigned b = 0; b < nb; b++) {
            size_t off = swb[b], n = (size_t)(swb[b + 1] - swb[b]);
            for (int s = -4; s < 4; s++) {
                unsigned *bits_out = band_bits[s + 4][b];
                int sf = base_sf[b] + s * 2;
                float istep = (float)exp2(-0.1875 * (sf - 100));
                if (!m_all && !m_each && !m_q && !m_scan) {
                    sum += (unsigned)sf;
                    continue;
                }
                int mx = dsp->aacenc_quantize(q, x + off, x34 + off, n, istep, 0.4054f);
                sum += (unsigned)mx;
                if (m_all) {
                    unsigned *bits = bits_out;
                    aacenc_spectral_bits_all_max(q, n, (unsigned)mx, bits);
                    sum += bits[11] + bits[(unsigned)it % 12u];
                } else if (m_scan) {
                    unsigned bits[12];
                    aacenc_spectral_bits_all(q, n, bits);
                    sum += bits[11] + bits[(unsigned)it % 12u];
                } else if (m_each) {
                    for (unsigned k = 0; k < 12; k++)
                        sum += aacenc_spectral_bits(q, n, k);
                }
            }
        }
        if (m_plan) {
            uint8_t book[64];
            for (unsigned s = 0; s < 8; s++)
                sum += aacenc_section_plan((const unsigned(*)[12])band_bits[s], NULL, nb, 0, book);
        }
    }
    printf("%s: checksum %lu\n", mode, sum);
    return 0;
}
