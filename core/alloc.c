/* core/alloc.c - the only file that calls malloc/free (DESIGN.md). */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void default_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static const segue_allocator default_allocator = {NULL, default_alloc, default_free};

const segue_allocator *segue_allocator_or_default(const segue_allocator *a)
{
    return (a && a->alloc && a->free) ? a : &default_allocator;
}

void *segue_mem_alloc(const segue_allocator *a, size_t size)
{
    if (size == 0)
        return NULL;
    a = segue_allocator_or_default(a);
    return a->alloc(a->user, size);
}

void *segue_mem_calloc(const segue_allocator *a, size_t count, size_t size)
{
    if (count == 0 || size == 0 || count > SIZE_MAX / size)
        return NULL;
    void *p = segue_mem_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void segue_mem_free(const segue_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    a = segue_allocator_or_default(a);
    a->free(a->user, ptr);
}

void *segue_mem_realloc(const segue_allocator *a, void *ptr, size_t old_size, size_t new_size)
{
    if (new_size == 0)
        return NULL;
    void *p = segue_mem_alloc(a, new_size);
    if (!p)
        return NULL;
    if (ptr) {
        memcpy(p, ptr, old_size < new_size ? old_size : new_size);
        segue_mem_free(a, ptr);
    }
    return p;
}

char *segue_mem_strndup(const segue_allocator *a, const char *s, size_t len)
{
    if (!s || len == SIZE_MAX)
        return NULL;
    char *p = segue_mem_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *segue_mem_strdup(const segue_allocator *a, const char *s)
{
    return s ? segue_mem_strndup(a, s, strlen(s)) : NULL;
}
