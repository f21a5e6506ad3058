/* container/wav_internal.h - WAV muxer internals exposed for unit tests. */
#ifndef SEGUE_CONTAINER_WAV_INTERNAL_H
#define SEGUE_CONTAINER_WAV_INTERNAL_H

#include <stdint.h>

/* Whether the header must be RF64. `mode` is a segue_rf64_mode; `riff_size`
 * the RIFF payload size from "WAVE" on, UINT64_MAX if not known.
 *   at open:   ALWAYS -> RF64; AUTO -> RF64 only on an unseekable sink whose
 *              size is known to be too large (a seekable one is converted at
 *              finish); NEVER -> TOO_LARGE if the known size is too large.
 *   at finish: ALWAYS -> RF64; AUTO -> RF64 when too large; NEVER -> TOO_LARGE
 *              when too large.
 * Returns 1 (RF64), 0 (RIFF) or SEGUE_ERR_TOO_LARGE. */
int segue_wav_rf64_decision(int mode, int at_finish, int seekable, uint64_t riff_size);

#endif
