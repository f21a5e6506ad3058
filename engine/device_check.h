/*
 * engine/device_check.h - will a file play on a device, and if not, why not
 * (internal API behind `segue check`; docs/check.md lists the rules).
 *
 * A device is described by profile keys, not by code: every built-in
 * profile whose "device" key names it contributes its "device.*" keys
 * (docs/profiles.md). segue_device_load() reads those keys once into a
 * segue_device_rules; segue_device_check_path() then opens one file and
 * holds it against the rules, producing a bounded list of findings. Nothing
 * here writes to the file or decodes more than its first block of audio.
 *
 * Verdicts. A FAIL finding means the device will not play the file (or it
 * cannot even be copied onto the device's FAT file system); a WARN finding
 * means it plays but something shows wrongly (tags or cover art the device
 * cannot read). "plays" is true exactly when there is no FAIL.
 */
#ifndef SEGUE_ENGINE_DEVICE_CHECK_H
#define SEGUE_ENGINE_DEVICE_CHECK_H

#include <segue/profile.h>
#include "core/error.h"

/* Profiles of one device looked at, at most (built-in ones plus a user file). */
#define SEGUE_DEVICE_MAX_PROFILES 8
/* Findings kept per file; further ones are counted in `dropped`. */
#define SEGUE_CHECK_MAX_FINDINGS 24
#define SEGUE_CHECK_MESSAGE_MAX 256

typedef enum segue_check_verdict {
    SEGUE_CHECK_FAIL = 1, /* will not play (or cannot be copied there) */
    SEGUE_CHECK_WARN = 2  /* plays, but tags or cover art will not show */
} segue_check_verdict;

/* What a finding asks the user to do. */
typedef enum segue_check_remedy {
    SEGUE_REMEDY_NONE = 0,    /* nothing segue can do (a damaged or DRM file) */
    SEGUE_REMEDY_CONVERT = 1, /* convert with the device's fix profile */
    SEGUE_REMEDY_RENAME = 2   /* give the file a name the device's file system takes */
} segue_check_remedy;

typedef struct segue_check_finding {
    const char *rule;             /* static rule id, e.g. "sample_rate" */
    segue_check_verdict verdict;
    segue_check_remedy remedy;
    /* "documented" or "assumed" when the profile says where the limit comes
     * from ("<key>.source"); NULL otherwise. Points into a profile. */
    const char *limit_source;
    /* Says exactly why, with the value and the limit:
     * "sample rate 22050 Hz: psp plays 32000, 44100, 48000 Hz". */
    char message[SEGUE_CHECK_MESSAGE_MAX];
} segue_check_finding;

typedef struct segue_check_report {
    int plays;        /* 1 when no finding is SEGUE_CHECK_FAIL */
    size_t count;     /* findings[0..count) */
    size_t dropped;   /* findings past SEGUE_CHECK_MAX_FINDINGS, not kept */
    segue_check_finding findings[SEGUE_CHECK_MAX_FINDINGS];
} segue_check_report;

/* A device's constraints. The strings point into the profiles given to
 * segue_device_load(), which must outlive this struct. A NULL list or a 0
 * limit means "not constrained". Lists are the profile's space- (or comma-)
 * separated values, kept as written. */
typedef struct segue_device_rules {
    const char *name;              /* the "device" key, e.g. "psp" */
    const char *description;       /* device.description, or "" */
    const char *fix_profile;       /* device.fix_profile, else the first profile's name */
    const char *containers;        /* device.containers: "mp3 wav" */
    const char *codecs;            /* device.codecs: "mp3 pcm" */
    const char *mpeg_versions;     /* device.mpeg_versions: "1" (also "2", "2.5") */
    const char *sample_rates;      /* device.sample_rates: "32000 44100 48000" */
    const char *pcm_bits;          /* device.pcm_bits: "16" */
    const char *tags;              /* device.tags: "id3v1 id3v2.2 id3v2.3" */
    const char *picture_formats;   /* device.picture_formats: "jpeg-baseline" (also "jpeg", "png") */
    const char *filename_charset;  /* device.filename_charset: "fat" or "posix" */
    const char *aac_profiles;      /* device.aac_profiles: "lc" (also main, ssr, ltp, he, hev2) */
    const char *aac_sample_rates;  /* device.aac_sample_rates: AAC's rates when set, else sample_rates */
    const char *mp4_boxes;         /* device.mp4_boxes: top-level MP4 boxes, "ftyp moov mdat free" */
    uint32_t channels_max;
    uint32_t bitrate_min_kbps, bitrate_max_kbps;
    uint32_t picture_max_width, picture_max_height;
    uint32_t filename_max_bytes;
    /* Where the keys were found, highest priority first. */
    const segue_profile *profiles[SEGUE_DEVICE_MAX_PROFILES];
    size_t profile_count;
} segue_device_rules;

/*
 * The built-in profiles whose "device" key is `name`, the one named `name`
 * first (it states the device), then the others in built-in order, into
 * out[0..capacity). Returns how many there are (may exceed capacity).
 */
size_t segue_device_find_builtin(const char *name, const segue_profile **out, size_t capacity);

/*
 * Reads the device keys of `profiles[0..count)` into `rules`; for each key
 * the first profile that has it wins (so a user profile placed first
 * overrides a built-in). Every profile must carry "device" = `name`.
 * Returns SEGUE_OK; SEGUE_ERR_INVALID_ARGUMENT when count is 0 or above
 * SEGUE_DEVICE_MAX_PROFILES, or a key holds a value the checker cannot use
 * (a limit that is not a number, an unknown list entry); `err` then says
 * which profile, key and value ("psp-mp3: device.channels_max 'two' is not a
 * whole number").
 */
segue_status segue_device_load(segue_device_rules *rules, const char *name,
                               const segue_profile *const *profiles, size_t count, segue_error *err);

/*
 * Checks the file at `path` against `rules` and fills `report` (always
 * initialised, even on error). A file that cannot be opened, is empty, is
 * not a recognised audio file, is damaged or DRM-protected is a FAIL
 * finding, not an error: the returned status is SEGUE_OK then.
 * Returns SEGUE_ERR_INVALID_ARGUMENT for NULL arguments or "-" (the checker
 * needs a named file: it reads the name and both ends of the file), and
 * SEGUE_ERR_NO_MEMORY. `allocator` may be NULL. Reads are bounded: the
 * stream header, the first ID3v2 header, the last 160 bytes, at most 64 KiB
 * to find the first MPEG audio frame, and the first 4096 frames of audio.
 */
segue_status segue_device_check_path(const char *path, const segue_device_rules *rules,
                                     const segue_allocator *allocator, segue_check_report *report,
                                     segue_error *err);

/* "fail" or "warn". */
const char *segue_check_verdict_name(segue_check_verdict v);

#endif
