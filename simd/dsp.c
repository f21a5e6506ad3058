/*
 * simd/dsp.c - builds the kernel table for a level and picks the level once.
 *
 * The cap (SEGUE_CPU, segue_dsp_set_cap) is an upper bound in the partial
 * order scalar < sse2 < avx2 and scalar < neon: a cap naming the other
 * architecture's ISA leaves only scalar, an unknown SEGUE_CPU value is
 * ignored (a typo in the environment must not take the process down).
 *
 * One-time initialisation uses a C11 atomic state word rather than
 * pthread_once so the device build keeps to ISO C (libc/libm only).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "simd/dsp_impl.h"

static int level_is_built(segue_cpu_level level)
{
    switch (level) {
    case SEGUE_CPU_SCALAR:
        return 1;
    case SEGUE_CPU_SSE2:
#if defined(SEGUE_HAVE_SSE2)
        return 1;
#else
        return 0;
#endif
    case SEGUE_CPU_AVX2:
#if defined(SEGUE_HAVE_AVX2)
        return 1;
#else
        return 0;
#endif
    case SEGUE_CPU_NEON:
#if defined(SEGUE_HAVE_NEON)
        return 1;
#else
        return 0;
#endif
    }
    return 0;
}

static int level_runs_on(segue_cpu_level level, segue_cpu_level host)
{
    if (!level_is_built(level)) {
        return 0;
    }
    switch (level) {
    case SEGUE_CPU_SCALAR:
        return 1;
    case SEGUE_CPU_SSE2:
        return host == SEGUE_CPU_SSE2 || host == SEGUE_CPU_AVX2;
    case SEGUE_CPU_AVX2:
        return host == SEGUE_CPU_AVX2;
    case SEGUE_CPU_NEON:
        return host == SEGUE_CPU_NEON;
    }
    return 0;
}

/* cap < 0 means no cap. */
static int level_within_cap(segue_cpu_level level, int cap)
{
    if (cap < 0 || level == SEGUE_CPU_SCALAR || (int)level == cap) {
        return 1;
    }
    return level == SEGUE_CPU_SSE2 && cap == (int)SEGUE_CPU_AVX2;
}

/* Every scalar kernel: the complete table of the scalar level. */
static void init_scalar_all(segue_dsp *dsp)
{
    segue_dsp_init_scalar(dsp);
    segue_dsp_init_atrac_scalar(dsp);
    segue_dsp_init_aac_scalar(dsp);
    segue_dsp_init_aacenc_scalar(dsp);
}

int segue_dsp_init_level(segue_dsp *dsp, segue_cpu_level level)
{
    if (!dsp || !level_runs_on(level, segue_cpu_detect())) {
        return -1;
    }
    init_scalar_all(dsp);
#if defined(SEGUE_HAVE_SSE2)
    if (level == SEGUE_CPU_SSE2 || level == SEGUE_CPU_AVX2) {
        segue_dsp_init_sse2(dsp);
        segue_dsp_init_atrac_sse2(dsp);
        segue_dsp_init_aac_sse2(dsp);
        segue_dsp_init_aacenc_sse2(dsp);
    }
#endif
#if defined(SEGUE_HAVE_AVX2)
    if (level == SEGUE_CPU_AVX2) {
        segue_dsp_init_avx2(dsp);
        segue_dsp_init_atrac_avx2(dsp);
        segue_dsp_init_aac_avx2(dsp);
        segue_dsp_init_aacenc_avx2(dsp);
    }
#endif
#if defined(SEGUE_HAVE_NEON)
    if (level == SEGUE_CPU_NEON) {
        segue_dsp_init_neon(dsp);
        segue_dsp_init_atrac_neon(dsp);
        segue_dsp_init_aac_neon(dsp);
        segue_dsp_init_aacenc_neon(dsp);
    }
#endif
    return 0;
}

static int env_cap(void)
{
    const char *s = getenv("SEGUE_CPU");
    if (!s || !*s) {
        return -1;
    }
    return segue_cpu_level_parse(s);
}

static segue_cpu_level choose_level(int api_cap)
{
    static const segue_cpu_level best_first[] = {SEGUE_CPU_AVX2, SEGUE_CPU_SSE2, SEGUE_CPU_NEON};
    segue_cpu_level host = segue_cpu_detect();
    int ecap = env_cap();
    for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++) {
        segue_cpu_level l = best_first[i];
        if (level_runs_on(l, host) && level_within_cap(l, ecap) && level_within_cap(l, api_cap)) {
            return l;
        }
    }
    return SEGUE_CPU_SCALAR;
}

enum { TABLE_OPEN = 0, TABLE_BUSY = 1, TABLE_READY = 2 };

/* OPEN: the cap may still change. BUSY: one thread is changing the cap or
 * filling the table; others wait (both take microseconds). READY: the table
 * and level are final and published by the release store. */
static atomic_int table_state = TABLE_OPEN;
static atomic_int api_cap = -1;
static segue_dsp table;
static segue_cpu_level table_level = SEGUE_CPU_SCALAR;

static int try_claim(void)
{
    int expected = TABLE_OPEN;
    return atomic_compare_exchange_weak_explicit(&table_state, &expected, TABLE_BUSY,
                                                 memory_order_acquire, memory_order_relaxed);
}

const segue_dsp *segue_dsp_get(void)
{
    for (;;) {
        int s = atomic_load_explicit(&table_state, memory_order_acquire);
        if (s == TABLE_READY) {
            return &table;
        }
        if (s == TABLE_OPEN && try_claim()) {
            segue_cpu_level level = choose_level(atomic_load_explicit(&api_cap, memory_order_relaxed));
            if (segue_dsp_init_level(&table, level) != 0) {
                level = SEGUE_CPU_SCALAR;
                init_scalar_all(&table);
            }
            table_level = level;
            atomic_store_explicit(&table_state, TABLE_READY, memory_order_release);
            return &table;
        }
    }
}

segue_cpu_level segue_cpu_active(void)
{
    if (atomic_load_explicit(&table_state, memory_order_acquire) == TABLE_READY) {
        return table_level;
    }
    return choose_level(atomic_load_explicit(&api_cap, memory_order_relaxed));
}

int segue_dsp_set_cap(segue_cpu_level cap)
{
    if ((unsigned)cap > (unsigned)SEGUE_CPU_NEON) {
        return -1;
    }
    for (;;) {
        int s = atomic_load_explicit(&table_state, memory_order_acquire);
        if (s == TABLE_READY) {
            return -1;
        }
        if (s == TABLE_OPEN && try_claim()) {
            atomic_store_explicit(&api_cap, (int)cap, memory_order_relaxed);
            atomic_store_explicit(&table_state, TABLE_OPEN, memory_order_release);
            return 0;
        }
    }
}
