/*
 * segue/batch.h - converting whole trees of files, as `segue batch` does.
 *
 * Two ways in, sharing one set of rules (docs/batch.md: output names,
 * ignored files, the manifest DST/.segue-manifest, the up-to-date test,
 * temp file + fsync + rename):
 *
 * 1. The whole run in one call: segue_batch_run_tree() walks SRC, converts
 *    with worker threads and keeps the manifest. It is what `segue batch`
 *    runs.
 *
 * 2. The same run taken apart, for callers that spread the files over
 *    processes or machines (the Python bindings' Dask runner):
 *      - a plan (segue_batch_plan_tree() or segue_batch_plan_list()) gives
 *        each source its output name;
 *      - one coordinator opens a session on DST (segue_batch_session_open():
 *        lock, stale temp clean-up, manifest load), asks which files are up
 *        to date (segue_batch_session_check()), and records each finished
 *        file (segue_batch_session_record());
 *      - any process converts one file atomically into DST
 *        (segue_batch_convert_file()), writing nothing but the output (no
 *        manifest, no lock) and returning the manifest line to record;
 *      - segue_batch_session_close() removes temp files left by converters
 *        that died and rewrites the manifest compactly.
 *    Converting every planned file this way writes the same bytes under the
 *    same names, and the same manifest, as segue_batch_run_tree().
 *
 * Strings are UTF-8 (file names as the file system gives them). Every
 * pointer handed to a callback is owned by the library and valid only during
 * that callback. Errors that concern the call itself are returned as a
 * segue_status with a detail written into the caller's `err` buffer
 * (`err_size` bytes, always NUL-terminated when err_size > 0; `err` may be
 * NULL); problems with one file are not errors of the call: they are that
 * file's item with status SEGUE_BATCH_FAILED.
 *
 * Thread safety: plans, sessions and results are handles (not thread-safe,
 * independent of each other). segue_batch_convert_file() may run in many
 * threads and processes at once on distinct outputs.
 */
#ifndef SEGUE_BATCH_H
#define SEGUE_BATCH_H

#include "profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-file outcome ---------------------------------------------------- */

typedef enum segue_batch_status {
    SEGUE_BATCH_CONVERTED = 0,     /* a new output was written */
    SEGUE_BATCH_UP_TO_DATE = 1,    /* the existing output is current */
    SEGUE_BATCH_IGNORED = 2,       /* not audio by extension, or not a file */
    SEGUE_BATCH_FAILED = 3,        /* could not be converted; `error` says why */
    SEGUE_BATCH_WOULD_CONVERT = 4, /* dry run: would be converted */
    SEGUE_BATCH_CANCELLED = 5,     /* stopped part-way */
    SEGUE_BATCH_DELETED = 6,       /* delete_orphans removed this output */
    SEGUE_BATCH_WOULD_DELETE = 7   /* dry run with delete_orphans */
} segue_batch_status;

/* The report's name for a status ("converted", "up-to-date", "ignored",
 * "failed", "would-convert", "cancelled", "deleted", "would-delete"), or
 * "unknown". Static. */
SEGUE_API const char *segue_batch_status_name(segue_batch_status status);

/* One finished file: the fields of a line of `segue batch --report`. */
typedef struct segue_batch_item {
    const char *input;          /* relative to SRC; NULL for DELETED items */
    const char *output;         /* relative to DST; NULL when IGNORED */
    segue_batch_status status;
    const char *error;          /* why FAILED / IGNORED / CANCELLED; else NULL */
    size_t warning_count;
    const char *const *warnings;
    size_t unmapped_count;      /* metadata the output could not carry */
    const char *const *unmapped_what;
    const char *const *unmapped_why;
    double input_seconds;       /* audio length of the input used; 0 if unknown */
    double output_seconds;      /* audio length of the written output */
    uint64_t input_bytes;
    uint64_t output_bytes;
    const char *codec;          /* output codec ("mp3"); NULL if none */
    const char *input_codec;    /* NULL when the input was not opened */
    double wall_seconds;        /* time spent on this file */
} segue_batch_item;

/* A snapshot for progress displays. */
typedef struct segue_batch_progress {
    size_t files_total;         /* files to look at (ignored ones excluded) */
    size_t files_done;          /* of those, finished in any state */
    size_t files_running;
    double audio_seconds_done;  /* input audio converted so far */
    double elapsed_seconds;     /* wall time since the workers started */
} segue_batch_progress;

/* Counts of a whole run, by status. */
typedef struct segue_batch_summary {
    size_t converted, up_to_date, ignored, failed, cancelled, deleted;
    size_t would_convert, would_delete;
    double audio_seconds;       /* input audio converted */
    double wall_seconds;
    int stopped;                /* the run was stopped (on_progress returned non-zero) */
} segue_batch_summary;

/* ---- the whole run ------------------------------------------------------- */

typedef struct segue_batch_config {
    size_t struct_size;           /* sizeof(segue_batch_config) */
    const char *src_dir;          /* must exist and be a folder */
    const char *dst_dir;          /* created (with parents) unless dry_run */
    const segue_profile *profile; /* required; kept alive by the caller */
    unsigned jobs;                /* worker threads 1..64; 0 (default): online CPUs */
    int dry_run;                  /* decide and report; write nothing */
    int delete_orphans;           /* remove outputs whose source is gone */
    /* Callbacks, all optional, all made on the calling thread one at a time.
     * on_item: each file as it finishes. on_progress: about 5 times a second;
     * a non-zero return stops the run (no new file starts, running ones are
     * cancelled and their temp files removed, finished ones stay recorded).
     * on_warning: notes about the run itself ("the manifest is corrupt"). */
    void (*on_item)(void *user, const segue_batch_item *item);
    int (*on_progress)(void *user, const segue_batch_progress *progress);
    void (*on_warning)(void *user, const char *message);
    void *user;
} segue_batch_config;

/* Fills `cfg` with the defaults (everything 0/NULL but struct_size). */
SEGUE_API void segue_batch_config_default(segue_batch_config *cfg);

/* Converts the tree cfg->src_dir into cfg->dst_dir. `summary` (required)
 * receives the counts. Returns
 *   SEGUE_OK                    the run finished (some files may have
 *                               failed: summary->failed) or was stopped
 *                               (summary->stopped);
 *   SEGUE_ERR_OPEN              SRC is missing or not a readable folder;
 *   SEGUE_ERR_IO                DST cannot be created, locked (another run
 *                               is writing there) or its manifest written;
 *   SEGUE_ERR_INVALID_ARGUMENT  a bad config (NULL, wrong struct_size, no
 *                               profile, jobs > 64, SRC equal to DST);
 *   SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_run_tree(const segue_batch_config *cfg,
                                            segue_batch_summary *summary, char *err,
                                            size_t err_size);

/* ---- plans: the output name of every source -------------------------------- */

typedef struct segue_batch_plan segue_batch_plan;

/* One source of a plan. Strings are owned by the plan. */
typedef struct segue_batch_entry {
    const char *input;   /* relative to SRC ("a/b.flac") */
    const char *output;  /* relative to DST; NULL when ignored or no name
                            could be made */
    const char *ignored; /* reason it is skipped (not audio by name, not a
                            regular file); NULL otherwise */
    const char *error;   /* why it fails before conversion (broken link,
                            unusable name); NULL otherwise */
} segue_batch_entry;

/* Walks `src_dir` exactly as segue_batch_run_tree() does (byte order,
 * symlinked folders not followed, loops and `dst_dir` skipped; `dst_dir`
 * may be NULL or not exist yet) and names each output by the profile.
 * *out is set to NULL or a plan the caller frees with
 * segue_batch_plan_destroy(). Returns SEGUE_OK, SEGUE_ERR_OPEN (SRC not a
 * readable folder), SEGUE_ERR_INVALID_ARGUMENT (NULL argument, a profile
 * without a usable extension or with bad naming keys), SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_plan_tree(segue_batch_plan **out, const char *src_dir,
                                             const char *dst_dir, const segue_profile *profile,
                                             char *err, size_t err_size);

/* The same naming for a list of relative source paths (from a manifest
 * rather than a folder): the entries are put in the order a walk would
 * visit them, folders are mapped once each, and names that collide in one
 * output folder are numbered in that order, so a list of every file of a
 * tree gives the names segue_batch_plan_tree() gives (a list cannot know
 * of empty folders, which in a walk still reserve their names). Files are
 * ignored by
 * name as in a walk; nothing is read from disk. Paths must be relative,
 * '/'-separated, without empty, "." or ".." components (such an entry
 * gets `error` set); duplicates keep the first. Returns SEGUE_OK,
 * SEGUE_ERR_INVALID_ARGUMENT, SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_plan_list(segue_batch_plan **out, const char *const *inputs,
                                             size_t count, const segue_profile *profile,
                                             char *err, size_t err_size);

/* Number of entries; 0 for NULL. */
SEGUE_API size_t segue_batch_plan_count(const segue_batch_plan *plan);
/* Fills *entry for index < count. Returns SEGUE_OK or
 * SEGUE_ERR_INVALID_ARGUMENT. */
SEGUE_API segue_status segue_batch_plan_at(const segue_batch_plan *plan, size_t index,
                                           segue_batch_entry *entry);
/* NULL-safe. */
SEGUE_API void segue_batch_plan_destroy(segue_batch_plan *plan);

/* ---- one file ------------------------------------------------------------ */

typedef struct segue_batch_file {
    size_t struct_size;           /* sizeof(segue_batch_file) */
    const char *src_path;         /* the file to read (any path) */
    const char *input;            /* its name relative to SRC, for the record */
    const char *dst_dir;          /* DST; created with parents if missing */
    const char *output;           /* relative to DST, from a plan */
    const segue_profile *profile; /* required */
    /* The size and modification time to record for the source. 0 (default):
     * taken from src_path with stat(). Set to 1 when src_path is a local
     * copy of a remote source, so the record keeps the original's. */
    int have_source_stat;
    uint64_t source_size;
    int64_t source_mtime_ns;      /* nanoseconds since the epoch */
    /* Polled during the conversion; non-zero cancels it (the temp file is
     * removed, the item is CANCELLED). May be NULL. */
    int (*cancel)(void *user);
    void *user;
} segue_batch_file;

/* Fills `f` with the defaults. */
SEGUE_API void segue_batch_file_default(segue_batch_file *f);

typedef struct segue_batch_result segue_batch_result;

/* Converts one file into DST/output through a hidden temp file beside it
 * (fsync, header read-back, rename, fsync of the folder): on any failure
 * nothing is left at the output name or in temp files. Neither the
 * manifest nor the lock is touched. *out is set to NULL (only on
 * SEGUE_ERR_NO_MEMORY or a bad argument) or a result the caller frees with
 * segue_batch_result_destroy(); the file's outcome, failure included, is
 * in that result. Returns SEGUE_OK, SEGUE_ERR_INVALID_ARGUMENT (NULL or
 * unusable arguments, an absolute or ".." output), SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_convert_file(const segue_batch_file *f,
                                                segue_batch_result **out, char *err,
                                                size_t err_size);
/* The file's item; valid while the result lives. NULL for NULL. */
SEGUE_API const segue_batch_item *segue_batch_result_item(const segue_batch_result *r);
/* For CONVERTED: the manifest line to pass to segue_batch_session_record()
 * (text, newline included). NULL otherwise. Owned by the result. */
SEGUE_API const char *segue_batch_result_record(const segue_batch_result *r);
/* NULL-safe. */
SEGUE_API void segue_batch_result_destroy(segue_batch_result *r);

/* ---- the coordinator's session on DST ------------------------------------ */

typedef struct segue_batch_session segue_batch_session;

/* Creates `dst_dir` if needed, takes its lock (held until close), removes
 * temp files of earlier runs, loads the manifest (a corrupt one is ignored
 * with a warning, as in a run) and rewrites it compactly. `on_warning` may
 * be NULL. *out is set to NULL or a session to close with
 * segue_batch_session_close(). Returns SEGUE_OK, SEGUE_ERR_IO (DST cannot
 * be created, is locked by another run, or its manifest cannot be
 * written), SEGUE_ERR_INVALID_ARGUMENT, SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_session_open(segue_batch_session **out, const char *dst_dir,
                                                const segue_profile *profile,
                                                void (*on_warning)(void *user, const char *message),
                                                void *user, char *err, size_t err_size);

/* The up-to-date test of docs/batch.md for one planned file: sets
 * *up_to_date to 1 when the manifest has a record for `output` naming
 * `input`, with this profile's digest and this segue version, the output
 * still exists with the recorded size, and the source's size and mtime are
 * `source_size` and `source_mtime_ns`; else 0. When it is 1 and
 * `output_bytes` is not NULL, that gets the output's size. Returns
 * SEGUE_OK or SEGUE_ERR_INVALID_ARGUMENT. */
SEGUE_API segue_status segue_batch_session_check(segue_batch_session *s, const char *input,
                                                 const char *output, uint64_t source_size,
                                                 int64_t source_mtime_ns, int *up_to_date,
                                                 uint64_t *output_bytes);

/* Records a converted file: `line` is segue_batch_result_record()'s text.
 * The line is appended to the manifest and synced, as a run does when a
 * file completes. Returns SEGUE_OK, SEGUE_ERR_CORRUPT (not a valid record
 * line; nothing recorded), SEGUE_ERR_IO (the append failed; the record is
 * still kept for the final rewrite), SEGUE_ERR_INVALID_ARGUMENT,
 * SEGUE_ERR_NO_MEMORY. */
SEGUE_API segue_status segue_batch_session_record(segue_batch_session *s, const char *line,
                                                  char *err, size_t err_size);

/* Removes every temp file under DST (those of converters that died: call
 * it only when no conversion into DST is running), rewrites the manifest
 * with every record, releases the lock and frees the session. `removed`
 * (may be NULL) gets the count of temp files removed. NULL-safe. Returns
 * SEGUE_OK or SEGUE_ERR_IO (the manifest could not be rewritten; the
 * appended lines are still there). */
SEGUE_API segue_status segue_batch_session_close(segue_batch_session *s, size_t *removed,
                                                 char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
