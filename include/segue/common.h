/*
 * segue/common.h - export macro, allocator and sample formats shared by every
 * public header.
 */
#ifndef SEGUE_COMMON_H
#define SEGUE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(SEGUE_STATIC)
#define SEGUE_API
#elif defined(_WIN32)
#if defined(SEGUE_BUILDING)
#define SEGUE_API __declspec(dllexport)
#else
#define SEGUE_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define SEGUE_API __attribute__((visibility("default")))
#else
#define SEGUE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A caller-supplied allocator. Pass NULL wherever a `const segue_allocator *`
 * is taken to use malloc/free. The allocator must outlive every handle created
 * with it; segue copies the struct, not what `user` points to.
 *
 * alloc: return `size` bytes aligned for any object type, or NULL on failure.
 * free:  release a block from `alloc`; never called with NULL.
 */
typedef struct segue_allocator {
    void *user;
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
} segue_allocator;

/* Sample formats of PCM buffers and PCM payloads. Values never change. */
typedef enum segue_sample_format {
    SEGUE_SAMPLE_NONE = 0,
    SEGUE_SAMPLE_U8 = 1,  /* unsigned 8-bit, 0x80 = silence */
    SEGUE_SAMPLE_S16 = 2, /* signed 16-bit */
    SEGUE_SAMPLE_S24 = 3, /* signed 24-bit, packed 3 bytes in files, int32 in memory */
    SEGUE_SAMPLE_S32 = 4, /* signed 32-bit */
    SEGUE_SAMPLE_F32 = 5, /* IEEE 754 binary32, nominal range [-1, 1) */
    SEGUE_SAMPLE_F64 = 6, /* IEEE 754 binary64 */
    SEGUE_SAMPLE_S8 = 7   /* signed 8-bit (AIFF) */
} segue_sample_format;

/* Short name ("u8", "s8", "s16", "s24", "s32", "f32", "f64"), or "none". Static. */
SEGUE_API const char *segue_sample_format_name(segue_sample_format fmt);
/* Bits per sample as stored in a file (8, 16, 24, 32, 64), 0 for NONE. */
SEGUE_API unsigned segue_sample_format_bits(segue_sample_format fmt);
/* Parses a short name; returns SEGUE_SAMPLE_NONE if unknown. */
SEGUE_API segue_sample_format segue_sample_format_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
