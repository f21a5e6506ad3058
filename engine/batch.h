/*
 * engine/batch.h - the batch runner behind `segue batch` (internal API).
 *
 * segue_batch_run() walks a source tree, mirrors it under a destination
 * folder with each audio file converted by one profile, and keeps a
 * manifest (DST/.segue-manifest) so a second run converts only what
 * changed. docs/batch.md is the user-facing description: the manifest
 * format, the up-to-date rules, the ignored extensions, the name mapping,
 * temp files and signals. This header documents the C contract.
 *
 * Threads: segue_batch_run() starts `jobs` worker threads; every callback
 * is made on the thread that called segue_batch_run(), one at a time, so
 * callbacks need no locking of their own.
 *
 * The name mapping and the manifest codec are exposed separately so they
 * can be tested (and fuzzed) without a file system.
 */
#ifndef SEGUE_ENGINE_BATCH_H
#define SEGUE_ENGINE_BATCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <segue/batch.h>
#include <segue/profile.h>

#include "core/error.h"

/* The per-file outcome, item, progress and summary types, and
 * segue_batch_status_name(), are public: <segue/batch.h>. */

typedef struct segue_batch_options {
    const char *src_dir;        /* must exist and be a directory */
    const char *dst_dir;        /* created (with parents) unless dry_run */
    const segue_profile *profile; /* kept alive by the caller for the run */
    unsigned jobs;              /* worker threads, 1..SEGUE_BATCH_MAX_JOBS */
    int dry_run;                /* decide and report; write nothing */
    int delete_orphans;         /* remove outputs whose source is gone */
    /* Raised (set non-zero) by the caller, e.g. from a signal handler, to
     * stop: no new file is started, running ones are cancelled through the
     * transcoder's progress callback and their temp files removed. May be
     * NULL. Lock-free atomic_int stores are async-signal-safe. */
    atomic_int *stop;
    void (*on_item)(void *user, const segue_batch_item *item);
    void (*on_tick)(void *user, const segue_batch_progress *progress); /* ~5 per s */
    /* Non-fatal notes about the run itself ("manifest is corrupt; ignoring
     * it"). */
    void (*on_warning)(void *user, const char *message);
    void *user;
} segue_batch_options;

#define SEGUE_BATCH_MAX_JOBS 64u
#define SEGUE_BATCH_MANIFEST_NAME ".segue-manifest"
#define SEGUE_BATCH_LOCK_NAME ".segue-lock"
/* Temp files end in ".segue-part-<pid>-<n>". */
#define SEGUE_BATCH_PART_TAG ".segue-part-"

/* Runs a whole batch. Returns
 *   SEGUE_OK                    the run finished (files may have failed:
 *                               see summary->failed) or was stopped
 *                               (summary->stopped);
 *   SEGUE_ERR_OPEN              SRC is missing or not a readable folder;
 *   SEGUE_ERR_IO                DST cannot be created, locked (another run
 *                               is using it) or written;
 *   SEGUE_ERR_INVALID_ARGUMENT  bad options;
 *   SEGUE_ERR_NO_MEMORY.
 * `err` (may be NULL) receives the detail. `summary` must not be NULL. */
segue_status segue_batch_run(const segue_batch_options *opt, segue_batch_summary *summary,
                             segue_error *err);

/* ---- file names ---------------------------------------------------------- */

/* How output names are made safe (profile keys filename_charset,
 * filename_max_bytes, path_max_bytes). */
typedef struct segue_batch_naming {
    int fat;                    /* filename_charset = fat */
    size_t max_component_bytes; /* filename_max_bytes; default 255 */
    size_t max_path_bytes;      /* path_max_bytes; 0: no limit */
} segue_batch_naming;

/* Reads the naming keys of `profile` (NULL: the defaults). Returns
 * SEGUE_ERR_INVALID_ARGUMENT for an unusable value (detail in err). */
segue_status segue_batch_naming_from_profile(const segue_profile *profile, segue_batch_naming *naming,
                                             segue_error *err);

/* Non-zero when `name` (a file name, no folder) is clearly not audio by its
 * extension (docs/batch.md lists them); *why then gets a static reason. */
int segue_batch_is_ignored_name(const char *name, const char **why);

/* Maps one source name component to a safe output component.
 * `new_extension` (without the dot) replaces the name's extension; NULL
 * keeps the name as it is (folders). `collision` >= 2 inserts " (N)" before
 * the extension. Writes a NUL-terminated name of at most
 * naming->max_component_bytes bytes into out (out_size >= that + 1).
 * Returns SEGUE_OK or SEGUE_ERR_INVALID_ARGUMENT (out too small, or the
 * extension alone does not fit). */
segue_status segue_batch_map_name(const segue_batch_naming *naming, const char *name,
                                  const char *new_extension, unsigned collision, char *out,
                                  size_t out_size);

/* ---- manifest ------------------------------------------------------------ */

typedef struct segue_batch_record {
    char *output;               /* relative to DST; the key */
    char *input;                /* relative to SRC */
    uint64_t input_size;
    int64_t input_mtime_ns;     /* st_mtim, nanoseconds since the epoch */
    char input_sha256[65];      /* lowercase hex */
    char profile_digest[65];    /* segue_profile_digest() */
    char version[33];           /* segue_version_string() */
    uint64_t output_size;
} segue_batch_record;

typedef struct segue_batch_manifest {
    segue_batch_record *records; /* sorted by output, unique */
    size_t count;
    size_t capacity;
} segue_batch_manifest;

/* Parses manifest text. A final line without its newline (a write cut off
 * by a crash) is dropped. Anything else malformed makes the whole manifest
 * untrusted: returns SEGUE_ERR_CORRUPT with "line N: why" in err and an
 * empty manifest. Later records for the same output replace earlier ones.
 * `m` is initialised here; free it with segue_batch_manifest_free(). */
segue_status segue_batch_manifest_parse(segue_batch_manifest *m, const char *text, size_t size,
                                        segue_error *err);
/* Inserts or replaces (by output) a copy of `r`. */
segue_status segue_batch_manifest_put(segue_batch_manifest *m, const segue_batch_record *r);
/* The record for `output`, or NULL. */
const segue_batch_record *segue_batch_manifest_find(const segue_batch_manifest *m, const char *output);
/* Removes the record for `output` if present. */
void segue_batch_manifest_remove(segue_batch_manifest *m, const char *output);
void segue_batch_manifest_free(segue_batch_manifest *m);
/* The header line every manifest starts with, newline included. */
const char *segue_batch_manifest_header(void);
/* Appends one record line (newline included) to a growing buffer
 * (*buf, *len, *cap, allocated with segue_mem_*). */
segue_status segue_batch_manifest_format_record(const segue_batch_record *r, char **buf, size_t *len,
                                                size_t *cap);

#endif
