/* core/status.c - text for every status, sample format names, version. */
#include <segue/status.h>
#include <segue/version.h>

#include <string.h>

const char *segue_status_str(segue_status status)
{
    switch (status) {
    case SEGUE_OK: return "success";
    case SEGUE_END_OF_STREAM: return "end of stream";
    case SEGUE_AGAIN: return "call again";
    case SEGUE_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SEGUE_ERR_NO_MEMORY: return "out of memory";
    case SEGUE_ERR_IO: return "I/O error";
    case SEGUE_ERR_OPEN: return "cannot open file";
    case SEGUE_ERR_CORRUPT: return "input data is corrupt";
    case SEGUE_ERR_UNSUPPORTED: return "format, codec or feature not supported";
    case SEGUE_ERR_DRM: return "input is DRM-protected and cannot be converted";
    case SEGUE_ERR_NOT_SEEKABLE: return "stream is not seekable";
    case SEGUE_ERR_UNKNOWN_FORMAT: return "unrecognised input format";
    case SEGUE_ERR_TOO_LARGE: return "declared size exceeds a limit";
    case SEGUE_ERR_STATE: return "call not valid in this state";
    case SEGUE_ERR_CANCELLED: return "cancelled";
    case SEGUE_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *segue_status_name(segue_status status)
{
    switch (status) {
    case SEGUE_OK: return "SEGUE_OK";
    case SEGUE_END_OF_STREAM: return "SEGUE_END_OF_STREAM";
    case SEGUE_AGAIN: return "SEGUE_AGAIN";
    case SEGUE_ERR_INVALID_ARGUMENT: return "SEGUE_ERR_INVALID_ARGUMENT";
    case SEGUE_ERR_NO_MEMORY: return "SEGUE_ERR_NO_MEMORY";
    case SEGUE_ERR_IO: return "SEGUE_ERR_IO";
    case SEGUE_ERR_OPEN: return "SEGUE_ERR_OPEN";
    case SEGUE_ERR_CORRUPT: return "SEGUE_ERR_CORRUPT";
    case SEGUE_ERR_UNSUPPORTED: return "SEGUE_ERR_UNSUPPORTED";
    case SEGUE_ERR_DRM: return "SEGUE_ERR_DRM";
    case SEGUE_ERR_NOT_SEEKABLE: return "SEGUE_ERR_NOT_SEEKABLE";
    case SEGUE_ERR_UNKNOWN_FORMAT: return "SEGUE_ERR_UNKNOWN_FORMAT";
    case SEGUE_ERR_TOO_LARGE: return "SEGUE_ERR_TOO_LARGE";
    case SEGUE_ERR_STATE: return "SEGUE_ERR_STATE";
    case SEGUE_ERR_CANCELLED: return "SEGUE_ERR_CANCELLED";
    case SEGUE_ERR_INTERNAL: return "SEGUE_ERR_INTERNAL";
    }
    return "SEGUE_STATUS_UNKNOWN";
}

static const struct {
    segue_sample_format fmt;
    const char *name;
    unsigned bits;
} sample_formats[] = {
    {SEGUE_SAMPLE_U8, "u8", 8},    {SEGUE_SAMPLE_S8, "s8", 8},    {SEGUE_SAMPLE_S16, "s16", 16},
    {SEGUE_SAMPLE_S24, "s24", 24}, {SEGUE_SAMPLE_S32, "s32", 32}, {SEGUE_SAMPLE_F32, "f32", 32},
    {SEGUE_SAMPLE_F64, "f64", 64},
};

const char *segue_sample_format_name(segue_sample_format fmt)
{
    for (size_t i = 0; i < sizeof sample_formats / sizeof sample_formats[0]; i++)
        if (sample_formats[i].fmt == fmt)
            return sample_formats[i].name;
    return "none";
}

unsigned segue_sample_format_bits(segue_sample_format fmt)
{
    for (size_t i = 0; i < sizeof sample_formats / sizeof sample_formats[0]; i++)
        if (sample_formats[i].fmt == fmt)
            return sample_formats[i].bits;
    return 0;
}

segue_sample_format segue_sample_format_parse(const char *name)
{
    if (name)
        for (size_t i = 0; i < sizeof sample_formats / sizeof sample_formats[0]; i++)
            if (strcmp(sample_formats[i].name, name) == 0)
                return sample_formats[i].fmt;
    return SEGUE_SAMPLE_NONE;
}

#define SEGUE_STR2(x) #x
#define SEGUE_STR(x) SEGUE_STR2(x)

unsigned segue_version(void) { return SEGUE_VERSION; }

const char *segue_version_string(void)
{
    return SEGUE_STR(SEGUE_VERSION_MAJOR) "." SEGUE_STR(SEGUE_VERSION_MINOR) "." SEGUE_STR(
        SEGUE_VERSION_PATCH);
}
