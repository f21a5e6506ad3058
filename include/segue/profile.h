/*
 * segue/profile.h - conversion profiles: named, data-driven output settings.
 *
 * A profile is a small text file of "key = value" lines (docs/profiles.md
 * lists the keys). The built-in ones are embedded in the library at build
 * time; user files are loaded with segue_profile_parse(). Built-in profiles
 * are static and never freed; parsed ones belong to the caller, who frees
 * them with segue_profile_destroy().
 */
#ifndef SEGUE_PROFILE_H
#define SEGUE_PROFILE_H

#include "transcode.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segue_profile segue_profile;

/* Built-in profiles, in a stable order. */
SEGUE_API size_t segue_profile_count(void);
SEGUE_API const segue_profile *segue_profile_at(size_t index);
/* The built-in profile called `name`, or NULL. */
SEGUE_API const segue_profile *segue_profile_find(const char *name);

/* Parses a profile from `text` (`size` bytes, UTF-8). On failure returns
 * SEGUE_ERR_INVALID_ARGUMENT and, when `err` is not NULL, writes
 * "line N: why" into err (err_size bytes, NUL-terminated). `allocator` may
 * be NULL. */
SEGUE_API segue_status segue_profile_parse(segue_profile **out, const char *text, size_t size,
                                           const segue_allocator *allocator, char *err,
                                           size_t err_size);
/* NULL-safe; only for profiles from segue_profile_parse(). */
SEGUE_API void segue_profile_destroy(segue_profile *p);

SEGUE_API const char *segue_profile_name(const segue_profile *p);
SEGUE_API const char *segue_profile_description(const segue_profile *p);
/* The output file extension without the dot ("mp3"). */
SEGUE_API const char *segue_profile_extension(const segue_profile *p);
/* Raw access to every key, in file order: for listing and for the device
 * checker. Returns NULL past the end / for an absent key. */
SEGUE_API size_t segue_profile_key_count(const segue_profile *p);
SEGUE_API const char *segue_profile_key_at(const segue_profile *p, size_t index,
                                           const char **value);
SEGUE_API const char *segue_profile_get(const segue_profile *p, const char *key);

/* Fills the output side of `cfg` (encoder container, codec, rate,
 * channels, bitrate, quality, tags, trims, fades, normalisation, picture
 * limits) from the profile. Trims and fades are in seconds in the profile
 * and need the input rate: `input_rate` converts them (round half up).
 * Pointers stored in cfg point into the profile: keep it alive. */
SEGUE_API segue_status segue_profile_apply(const segue_profile *p, uint32_t input_rate,
                                           segue_transcode_config *cfg);

/* A digest of every setting (hex, 64 chars + NUL into out[65]) that changes
 * when any key changes; the batch manifest keys outputs on it. */
SEGUE_API void segue_profile_digest(const segue_profile *p, char out[65]);

#ifdef __cplusplus
}
#endif
#endif
