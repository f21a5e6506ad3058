/* segue/version.h - library version. */
#ifndef SEGUE_VERSION_H
#define SEGUE_VERSION_H

#include "common.h"

#define SEGUE_VERSION_MAJOR 0
#define SEGUE_VERSION_MINOR 1
#define SEGUE_VERSION_PATCH 0
/* Encodes major.minor.patch as one comparable integer. */
#define SEGUE_VERSION_INT(a, b, c) (((a) << 16) | ((b) << 8) | (c))
#define SEGUE_VERSION \
    SEGUE_VERSION_INT(SEGUE_VERSION_MAJOR, SEGUE_VERSION_MINOR, SEGUE_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library linked at run time, as SEGUE_VERSION_INT. */
SEGUE_API unsigned segue_version(void);
/* The same as "major.minor.patch". Static. */
SEGUE_API const char *segue_version_string(void);

#ifdef __cplusplus
}
#endif
#endif
