/* core/error.h - per-handle error detail ("wav: 'data' chunk past end"). */
#ifndef SEGUE_CORE_ERROR_H
#define SEGUE_CORE_ERROR_H

#include <segue/status.h>

#define SEGUE_ERROR_DETAIL_MAX 256

typedef struct segue_error {
    segue_status status;
    char detail[SEGUE_ERROR_DETAIL_MAX];
} segue_error;

#if defined(__GNUC__)
#define SEGUE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SEGUE_PRINTF(f, a)
#endif

/* Records `status` with a printf-formatted detail and returns `status`, so a
 * caller can `return segue_error_set(err, SEGUE_ERR_CORRUPT, "...");`.
 * `err` may be NULL. The first error wins: a later call does not overwrite
 * a recorded error (the root cause is what the user needs to see). */
segue_status segue_error_set(segue_error *err, segue_status status, const char *fmt, ...)
    SEGUE_PRINTF(3, 4);
/* Forgets the recorded error. */
void segue_error_clear(segue_error *err);

#endif
