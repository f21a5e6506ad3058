/*
 * segue/status.h - status codes.
 *
 * 0 is success, positive values are conditions that are not errors, negative
 * values are errors. Values are never renumbered; new ones are appended.
 */
#ifndef SEGUE_STATUS_H
#define SEGUE_STATUS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum segue_status {
    SEGUE_OK = 0,
    SEGUE_END_OF_STREAM = 1, /* no more data; not an error */
    SEGUE_AGAIN = 2,         /* call again (more input needed / output pending) */

    SEGUE_ERR_INVALID_ARGUMENT = -1, /* a NULL handle, bad config, bad size */
    SEGUE_ERR_NO_MEMORY = -2,        /* the allocator returned NULL */
    SEGUE_ERR_IO = -3,               /* a read, write or seek callback failed */
    SEGUE_ERR_OPEN = -4,             /* a file could not be opened */
    SEGUE_ERR_CORRUPT = -5,          /* input data is malformed or truncated */
    SEGUE_ERR_UNSUPPORTED = -6,      /* format, codec or feature not supported */
    SEGUE_ERR_DRM = -7,              /* input is DRM-protected; never decoded */
    SEGUE_ERR_NOT_SEEKABLE = -8,     /* the operation needs a seekable stream */
    SEGUE_ERR_UNKNOWN_FORMAT = -9,   /* no container recognised the input */
    SEGUE_ERR_TOO_LARGE = -10,       /* a declared size exceeds a stated limit */
    SEGUE_ERR_STATE = -11,           /* call not valid in the handle's state */
    SEGUE_ERR_CANCELLED = -12,       /* a progress callback asked to stop */
    SEGUE_ERR_INTERNAL = -13         /* a bug in segue; please report */
} segue_status;

/* Static English text for a status, e.g. "input data is corrupt". Never NULL. */
SEGUE_API const char *segue_status_str(segue_status status);

/* Static identifier for a status, e.g. "SEGUE_ERR_CORRUPT". Never NULL. */
SEGUE_API const char *segue_status_name(segue_status status);

#ifdef __cplusplus
}
#endif
#endif
