/* core/registry.c - expands codec/codecs.def and container/containers.def
 * into lookup tables. */
#include <string.h>
#include <strings.h>

#include "codec/codec.h"
#include "container/container.h"

/* CMake defines each codec's option macro to 1 (built) or 0 (left out); the
 * two-step paste expands the option first, so SEGUE_IF_1/SEGUE_IF_0 pick. */
#define SEGUE_PASTE(a, b) a##b
#define SEGUE_XPASTE(a, b) SEGUE_PASTE(a, b)
#define SEGUE_IF_1(...) __VA_ARGS__
#define SEGUE_IF_0(...)

#define SEGUE_CODEC(sym, dir, opt) \
    SEGUE_XPASTE(SEGUE_IF_, opt)(extern const segue_codec_desc segue_codec_##sym;)
#include "codec/codecs.def"
#undef SEGUE_CODEC

#define SEGUE_CODEC(sym, dir, opt) SEGUE_XPASTE(SEGUE_IF_, opt)(&segue_codec_##sym, )
static const segue_codec_desc *const codecs[] = {
#include "codec/codecs.def"
    NULL};
#undef SEGUE_CODEC

#define SEGUE_DEMUXER(sym) extern const segue_demuxer_desc segue_demuxer_##sym;
#define SEGUE_MUXER(sym) extern const segue_muxer_desc segue_muxer_##sym;
#include "container/containers.def"
#undef SEGUE_DEMUXER
#undef SEGUE_MUXER

#define SEGUE_DEMUXER(sym) &segue_demuxer_##sym,
#define SEGUE_MUXER(sym)
static const segue_demuxer_desc *const demuxers[] = {
#include "container/containers.def"
    NULL};
#undef SEGUE_DEMUXER
#undef SEGUE_MUXER

#define SEGUE_DEMUXER(sym)
#define SEGUE_MUXER(sym) &segue_muxer_##sym,
static const segue_muxer_desc *const muxers[] = {
#include "container/containers.def"
    NULL};
#undef SEGUE_DEMUXER
#undef SEGUE_MUXER

const segue_codec_desc *const *segue_codec_list(void) { return codecs; }

const segue_codec_desc *segue_codec_find(const char *name, unsigned cap)
{
    if (!name)
        return NULL;
    for (size_t i = 0; codecs[i]; i++)
        if (strcmp(codecs[i]->name, name) == 0 && (codecs[i]->caps & cap) == cap)
            return codecs[i];
    return NULL;
}

const segue_demuxer_desc *const *segue_demuxer_list(void) { return demuxers; }

const segue_demuxer_desc *segue_demuxer_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; demuxers[i]; i++)
        if (strcmp(demuxers[i]->name, name) == 0)
            return demuxers[i];
    return NULL;
}

const segue_muxer_desc *const *segue_muxer_list(void) { return muxers; }

const segue_muxer_desc *segue_muxer_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; muxers[i]; i++)
        if (strcmp(muxers[i]->name, name) == 0)
            return muxers[i];
    return NULL;
}

const segue_muxer_desc *segue_muxer_for_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/'))
        return NULL;
    dot++;
    for (size_t i = 0; muxers[i]; i++) {
        const char *ext = muxers[i]->extensions;
        while (*ext) {
            size_t len = strcspn(ext, " ");
            if (len == strlen(dot) && strncasecmp(ext, dot, len) == 0)
                return muxers[i];
            ext += len;
            while (*ext == ' ')
                ext++;
        }
    }
    return NULL;
}

const char *const *segue_encoder_containers(void)
{
    static const char *names[sizeof muxers / sizeof muxers[0]];
    for (size_t i = 0; muxers[i]; i++)
        names[i] = muxers[i]->name;
    return names;
}
