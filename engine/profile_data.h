/* engine/profile_data.h - the built-in profile files, embedded at build time
 * by cmake/embed_profiles.cmake from the .profile files in engine/profiles/
 * (sorted by file name). */
#ifndef SEGUE_ENGINE_PROFILE_DATA_H
#define SEGUE_ENGINE_PROFILE_DATA_H

#include <stddef.h>

typedef struct segue_profile_source {
    const char *file;  /* file name, e.g. "psp-mp3.profile" */
    const char *text;  /* the file's bytes, NUL-terminated */
    size_t size;       /* bytes, without the NUL */
} segue_profile_source;

extern const segue_profile_source segue_builtin_profile_sources[];
extern const size_t segue_builtin_profile_source_count;

#endif
