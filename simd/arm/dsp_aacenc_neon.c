/*
 * simd/arm/dsp_aacenc_neon.c - NEON versions of the AAC encoder kernels
 * (simd/dsp.h; scalar specification in simd/dsp_aacenc_scalar.c).
 */
#include "simd/dsp_impl.h"

void segue_dsp_init_aacenc_neon(segue_dsp *dsp)
{
    (void)dsp;
}
