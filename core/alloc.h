/* core/alloc.h - the one place segue allocates (DESIGN.md: only alloc.c calls
 * malloc/realloc/free). Every allocation goes through a segue_allocator. */
#ifndef SEGUE_CORE_ALLOC_H
#define SEGUE_CORE_ALLOC_H

#include <segue/common.h>

/* Resolves NULL to the default malloc/free allocator. */
const segue_allocator *segue_allocator_or_default(const segue_allocator *a);

/* Returns NULL on failure or when size is 0 (callers treat 0 as a bug). */
void *segue_mem_alloc(const segue_allocator *a, size_t size);
/* Zero-filled; fails on count * size overflow. */
void *segue_mem_calloc(const segue_allocator *a, size_t count, size_t size);
/* NULL-safe. */
void segue_mem_free(const segue_allocator *a, void *ptr);
/* Grows or shrinks a block of `old_size` bytes; on failure returns NULL and
 * leaves `ptr` valid. The allocator has no realloc, so this copies. */
void *segue_mem_realloc(const segue_allocator *a, void *ptr, size_t old_size, size_t new_size);
/* Copies a NUL-terminated string (NULL for NULL). */
char *segue_mem_strdup(const segue_allocator *a, const char *s);
/* Copies `len` bytes and appends a NUL. */
char *segue_mem_strndup(const segue_allocator *a, const char *s, size_t len);

#endif
