/* core/error.c - per-handle error detail. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

segue_status segue_error_set(segue_error *err, segue_status status, const char *fmt, ...)
{
    if (err && err->status >= 0) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return status;
}

void segue_error_clear(segue_error *err)
{
    if (err) {
        err->status = SEGUE_OK;
        err->detail[0] = '\0';
    }
}
