/*
 * simd/x86/dsp_aacenc_sse2.c - SSE2 versions of the AAC encoder kernels
 * (simd/dsp.h; scalar specification in simd/dsp_aacenc_scalar.c).
 */
#include "simd/dsp_impl.h"

void segue_dsp_init_aacenc_sse2(segue_dsp *dsp)
{
    (void)dsp;
}
