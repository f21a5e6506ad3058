/* core/metadata.c - the metadata model (see segue/metadata.h). */
#include <segue/metadata.h>

#include <string.h>

#include "alloc.h"

typedef struct field {
    char *key; /* upper-case ASCII */
    char *value;
} field;

typedef struct picture {
    segue_picture pub; /* pointers own their copies */
} picture;

typedef struct unmapped {
    char *what, *reason;
} unmapped;

struct segue_metadata {
    segue_allocator allocator;
    field *fields;
    size_t nfields, cfields;
    picture *pictures;
    size_t npictures, cpictures;
    unmapped *unmapped;
    size_t nunmapped, cunmapped;
    segue_gapless gapless;
    segue_loudness loudness;
};

segue_status segue_metadata_create(segue_metadata **out, const segue_allocator *allocator)
{
    if (!out)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_allocator *a = segue_allocator_or_default(allocator);
    segue_metadata *m = segue_mem_calloc(a, 1, sizeof *m);
    *out = m;
    if (!m)
        return SEGUE_ERR_NO_MEMORY;
    m->allocator = *a;
    return SEGUE_OK;
}

void segue_metadata_clear(segue_metadata *m)
{
    if (!m)
        return;
    const segue_allocator *a = &m->allocator;
    for (size_t i = 0; i < m->nfields; i++) {
        segue_mem_free(a, m->fields[i].key);
        segue_mem_free(a, m->fields[i].value);
    }
    for (size_t i = 0; i < m->npictures; i++) {
        segue_mem_free(a, (void *)m->pictures[i].pub.mime);
        segue_mem_free(a, (void *)m->pictures[i].pub.description);
        segue_mem_free(a, (void *)m->pictures[i].pub.data);
    }
    for (size_t i = 0; i < m->nunmapped; i++) {
        segue_mem_free(a, m->unmapped[i].what);
        segue_mem_free(a, m->unmapped[i].reason);
    }
    segue_mem_free(a, m->fields);
    segue_mem_free(a, m->pictures);
    segue_mem_free(a, m->unmapped);
    segue_allocator keep = m->allocator;
    memset(m, 0, sizeof *m);
    m->allocator = keep;
}

void segue_metadata_destroy(segue_metadata *m)
{
    if (!m)
        return;
    segue_metadata_clear(m);
    segue_allocator a = m->allocator;
    segue_mem_free(&a, m);
}

/* Grows an array of `elem` bytes to hold one more item. */
static int grow(const segue_allocator *a, void **items, size_t count, size_t *capacity, size_t elem)
{
    if (count < *capacity)
        return 1;
    size_t cap = *capacity ? *capacity * 2 : 8;
    if (cap > SIZE_MAX / elem)
        return 0;
    void *p = segue_mem_realloc(a, *items, *capacity * elem, cap * elem);
    if (!p)
        return 0;
    *items = p;
    *capacity = cap;
    return 1;
}

static int key_equal(const char *stored_upper, const char *key)
{
    for (;; stored_upper++, key++) {
        char c = *key;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (*stored_upper != c)
            return 0;
        if (!c)
            return 1;
    }
}

static int valid_key(const char *key)
{
    if (!key || !*key)
        return 0;
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '=')
            return 0;
    return 1;
}

segue_status segue_metadata_add(segue_metadata *m, const char *key, const char *value)
{
    if (!m || !valid_key(key) || !value)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_allocator *a = &m->allocator;
    if (!grow(a, (void **)&m->fields, m->nfields, &m->cfields, sizeof *m->fields))
        return SEGUE_ERR_NO_MEMORY;
    char *k = segue_mem_strdup(a, key);
    char *v = segue_mem_strdup(a, value);
    if (!k || !v) {
        segue_mem_free(a, k);
        segue_mem_free(a, v);
        return SEGUE_ERR_NO_MEMORY;
    }
    for (char *p = k; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    m->fields[m->nfields].key = k;
    m->fields[m->nfields].value = v;
    m->nfields++;
    return SEGUE_OK;
}

segue_status segue_metadata_set(segue_metadata *m, const char *key, const char *value)
{
    if (!m || !valid_key(key))
        return SEGUE_ERR_INVALID_ARGUMENT;
    /* Add first so a failed allocation leaves the old values in place. */
    size_t before = m->nfields;
    if (value) {
        segue_status st = segue_metadata_add(m, key, value);
        if (st < 0)
            return st;
    }
    size_t out = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        if (i < before && key_equal(m->fields[i].key, key)) {
            segue_mem_free(&m->allocator, m->fields[i].key);
            segue_mem_free(&m->allocator, m->fields[i].value);
            continue;
        }
        m->fields[out++] = m->fields[i];
    }
    m->nfields = out;
    return SEGUE_OK;
}

const char *segue_metadata_get(const segue_metadata *m, const char *key, size_t index)
{
    if (!m || !key)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (key_equal(m->fields[i].key, key) && index-- == 0)
            return m->fields[i].value;
    return NULL;
}

size_t segue_metadata_count(const segue_metadata *m, const char *key)
{
    size_t n = 0;
    if (m && key)
        for (size_t i = 0; i < m->nfields; i++)
            n += (size_t)key_equal(m->fields[i].key, key);
    return n;
}

size_t segue_metadata_field_count(const segue_metadata *m) { return m ? m->nfields : 0; }

segue_status segue_metadata_field_at(const segue_metadata *m, size_t index, const char **key,
                                     const char **value)
{
    if (!m || index >= m->nfields)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (key)
        *key = m->fields[index].key;
    if (value)
        *value = m->fields[index].value;
    return SEGUE_OK;
}

segue_status segue_metadata_add_picture(segue_metadata *m, const segue_picture *pic)
{
    if (!m || !pic || (!pic->data && pic->size))
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_allocator *a = &m->allocator;
    if (!grow(a, (void **)&m->pictures, m->npictures, &m->cpictures, sizeof *m->pictures))
        return SEGUE_ERR_NO_MEMORY;
    picture p;
    memset(&p, 0, sizeof p);
    p.pub = *pic;
    p.pub.mime = segue_mem_strdup(a, pic->mime ? pic->mime : "");
    p.pub.description = segue_mem_strdup(a, pic->description ? pic->description : "");
    uint8_t *data = pic->size ? segue_mem_alloc(a, pic->size) : NULL;
    if (!p.pub.mime || !p.pub.description || (pic->size && !data)) {
        segue_mem_free(a, (void *)p.pub.mime);
        segue_mem_free(a, (void *)p.pub.description);
        segue_mem_free(a, data);
        return SEGUE_ERR_NO_MEMORY;
    }
    if (pic->size)
        memcpy(data, pic->data, pic->size);
    p.pub.data = data;
    m->pictures[m->npictures++] = p;
    return SEGUE_OK;
}

size_t segue_metadata_picture_count(const segue_metadata *m) { return m ? m->npictures : 0; }

segue_status segue_metadata_picture_at(const segue_metadata *m, size_t index, segue_picture *pic)
{
    if (!m || !pic || index >= m->npictures)
        return SEGUE_ERR_INVALID_ARGUMENT;
    *pic = m->pictures[index].pub;
    return SEGUE_OK;
}

void segue_metadata_set_gapless(segue_metadata *m, const segue_gapless *g)
{
    if (m && g)
        m->gapless = *g;
}

void segue_metadata_get_gapless(const segue_metadata *m, segue_gapless *g)
{
    if (!g)
        return;
    if (m)
        *g = m->gapless;
    else
        memset(g, 0, sizeof *g);
}

void segue_metadata_set_loudness(segue_metadata *m, const segue_loudness *l)
{
    if (m && l)
        m->loudness = *l;
}

void segue_metadata_get_loudness(const segue_metadata *m, segue_loudness *l)
{
    if (!l)
        return;
    if (m)
        *l = m->loudness;
    else
        memset(l, 0, sizeof *l);
}

segue_status segue_metadata_add_unmapped(segue_metadata *m, const char *what, const char *reason)
{
    if (!m || !what || !reason)
        return SEGUE_ERR_INVALID_ARGUMENT;
    const segue_allocator *a = &m->allocator;
    if (!grow(a, (void **)&m->unmapped, m->nunmapped, &m->cunmapped, sizeof *m->unmapped))
        return SEGUE_ERR_NO_MEMORY;
    char *w = segue_mem_strdup(a, what);
    char *r = segue_mem_strdup(a, reason);
    if (!w || !r) {
        segue_mem_free(a, w);
        segue_mem_free(a, r);
        return SEGUE_ERR_NO_MEMORY;
    }
    m->unmapped[m->nunmapped].what = w;
    m->unmapped[m->nunmapped].reason = r;
    m->nunmapped++;
    return SEGUE_OK;
}

size_t segue_metadata_unmapped_count(const segue_metadata *m) { return m ? m->nunmapped : 0; }

segue_status segue_metadata_unmapped_at(const segue_metadata *m, size_t index, const char **what,
                                        const char **reason)
{
    if (!m || index >= m->nunmapped)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (what)
        *what = m->unmapped[index].what;
    if (reason)
        *reason = m->unmapped[index].reason;
    return SEGUE_OK;
}

segue_status segue_metadata_copy(segue_metadata *dst, const segue_metadata *src)
{
    if (!dst || !src)
        return SEGUE_ERR_INVALID_ARGUMENT;
    if (dst == src)
        return SEGUE_OK;
    segue_metadata_clear(dst);
    segue_status st = SEGUE_OK;
    for (size_t i = 0; i < src->nfields && st >= 0; i++)
        st = segue_metadata_add(dst, src->fields[i].key, src->fields[i].value);
    for (size_t i = 0; i < src->npictures && st >= 0; i++)
        st = segue_metadata_add_picture(dst, &src->pictures[i].pub);
    for (size_t i = 0; i < src->nunmapped && st >= 0; i++)
        st = segue_metadata_add_unmapped(dst, src->unmapped[i].what, src->unmapped[i].reason);
    dst->gapless = src->gapless;
    dst->loudness = src->loudness;
    if (st < 0)
        segue_metadata_clear(dst);
    return st;
}
