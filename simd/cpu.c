/*
 * simd/cpu.c - which SIMD level the CPU and the OS can run, and level names.
 */
#include "simd/dsp.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SEGUE_CPU_IS_X86 1
#include <cpuid.h>
#endif

#if defined(SEGUE_CPU_IS_X86)
/* XCR0 says which register files the OS saves on a context switch; a CPU
 * with AVX2 under an OS that does not save the YMM upper halves would
 * corrupt them across preemption, so CPUID alone is not enough. */
static uint64_t read_xcr0(void)
{
    uint32_t lo;
    uint32_t hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static segue_cpu_level detect_x86(void)
{
    unsigned eax = 0;
    unsigned ebx = 0;
    unsigned ecx = 0;
    unsigned edx = 0;

    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(edx & bit_SSE2)) {
        return SEGUE_CPU_SCALAR;
    }
    /* XGETBV itself faults unless OSXSAVE is set, so test that first. */
    unsigned need = (unsigned)bit_OSXSAVE | (unsigned)bit_AVX;
    if ((ecx & need) != need) {
        return SEGUE_CPU_SSE2;
    }
    const uint64_t xmm_ymm = (1u << 1) | (1u << 2);
    if ((read_xcr0() & xmm_ymm) != xmm_ymm) {
        return SEGUE_CPU_SSE2;
    }
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(ebx & bit_AVX2)) {
        return SEGUE_CPU_SSE2;
    }
    return SEGUE_CPU_AVX2;
}
#endif

segue_cpu_level segue_cpu_detect(void)
{
#if defined(SEGUE_CPU_IS_X86)
    return detect_x86();
#elif defined(__aarch64__)
    /* Advanced SIMD is mandatory in AArch64. */
    return SEGUE_CPU_NEON;
#else
    return SEGUE_CPU_SCALAR;
#endif
}

static const char *const level_names[] = {"scalar", "sse2", "avx2", "neon"};

const char *segue_cpu_level_name(segue_cpu_level level)
{
    unsigned i = (unsigned)level;
    if (i < sizeof level_names / sizeof level_names[0]) {
        return level_names[i];
    }
    return "unknown";
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive so "--cpu AVX2" and SEGUE_CPU=SSE2 work; strcasecmp is
 * POSIX and the device build has only ISO C. */
static int names_equal(const char *a, const char *b)
{
    while (*a && *b) {
        if (ascii_lower(*a) != ascii_lower(*b)) {
            return 0;
        }
        a++;
        b++;
    }
    return *a == *b;
}

int segue_cpu_level_parse(const char *name)
{
    if (!name) {
        return -1;
    }
    for (unsigned i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (names_equal(name, level_names[i])) {
            return (int)i;
        }
    }
    return -1;
}
