/* cli/batch.c - `segue batch`: argument parsing, signals, progress display
 * and the JSON Lines report around the runner in engine/batch.c
 * (docs/batch.md). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine/batch.h"

static void batch_help(FILE *f)
{
    fputs("usage: segue batch SRC DST (--profile NAME | --profile-file FILE) [options]\n"
          "\n"
          "Converts every audio file under SRC into the same folder layout under DST\n"
          "with one profile, skipping files whose output is already up to date\n"
          "(DST/.segue-manifest records what was converted from what). Files that\n"
          "are clearly not audio (images, text, playlists, cue sheets, logs) are\n"
          "ignored; every other file is attempted, and one file's failure never\n"
          "stops the others.\n"
          "\n"
          "  --profile NAME        a built-in profile (segue profiles lists them)\n"
          "  --profile-file FILE   a profile file (docs/profiles.md)\n"
          "  -j, --jobs N          files converted at once (default: CPUs, at most 64)\n"
          "  --report FILE.jsonl   one JSON object per file, written as each finishes\n"
          "  --dry-run             print what would be done; write nothing in DST\n"
          "  --delete-orphans      delete outputs (and their records) whose source is\n"
          "                        gone; only files segue wrote are touched\n"
          "  --quiet               print only failures and warnings\n"
          "\n"
          "Ctrl-C (SIGINT) or SIGTERM stops starting files, cancels running ones,\n"
          "removes their temporary files and keeps the finished work; press Ctrl-C\n"
          "again to quit at once (the next run cleans up).\n"
          "\n"
          "exit status: 0 all files converted or up to date (ignored files do not\n"
          "count), 1 some files failed, 64 usage (including an unknown profile\n"
          "name), 65 an invalid profile file, 66 SRC missing, 73 DST cannot be\n"
          "created or is in use by another run, 130 SIGINT, 143 SIGTERM.\n",
          f);
}

/* Raised by the signal handler; read by the runner's threads. */
static atomic_int stop_flag;
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    atomic_store(&stop_flag, 1);
    /* A second signal ends the process the default way. */
    signal(sig, SIG_DFL);
}

typedef struct batch_ui {
    FILE *report;
    int tty;             /* stderr is a terminal: one updating line */
    int quiet;
    int line_shown;      /* the progress line is on screen */
    size_t shown_done;
} batch_ui;

static void clear_progress(batch_ui *ui)
{
    if (ui->tty && ui->line_shown) {
        fputs("\r\033[K", stderr);
        ui->line_shown = 0;
    }
}

static void json_string_or_null(FILE *f, const char *s)
{
    if (s)
        json_string(f, s);
    else
        fputs("null", f);
}

static void write_report(FILE *f, const segue_batch_item *item)
{
    fputs("{\"input\":", f);
    json_string_or_null(f, item->input);
    fputs(",\"output\":", f);
    json_string_or_null(f, item->output);
    fprintf(f, ",\"status\":\"%s\",\"error\":", segue_batch_status_name(item->status));
    json_string_or_null(f, item->status == SEGUE_BATCH_IGNORED ? NULL : item->error);
    if (item->status == SEGUE_BATCH_IGNORED) {
        fputs(",\"reason\":", f);
        json_string_or_null(f, item->error);
    }
    fputs(",\"warnings\":[", f);
    for (size_t i = 0; i < item->warning_count; i++) {
        if (i)
            fputc(',', f);
        json_string(f, item->warnings[i]);
    }
    fputs("],\"unmapped\":[", f);
    for (size_t i = 0; i < item->unmapped_count; i++) {
        fputs(i ? ",{\"what\":" : "{\"what\":", f);
        json_string(f, item->unmapped_what[i]);
        fputs(",\"why\":", f);
        json_string(f, item->unmapped_why[i]);
        fputc('}', f);
    }
    fprintf(f,
            "],\"input_seconds\":%.6f,\"output_seconds\":%.6f,\"input_bytes\":%llu,"
            "\"output_bytes\":%llu,\"codec\":",
            item->input_seconds, item->output_seconds, (unsigned long long)item->input_bytes,
            (unsigned long long)item->output_bytes);
    json_string_or_null(f, item->codec);
    fputs(",\"input_codec\":", f);
    json_string_or_null(f, item->input_codec);
    fprintf(f, ",\"seconds\":%.3f}\n", item->wall_seconds);
    fflush(f);
}

static void on_item(void *user, const segue_batch_item *item)
{
    batch_ui *ui = user;
    if (ui->report)
        write_report(ui->report, item);
    int failure = item->status == SEGUE_BATCH_FAILED;
    if (ui->quiet && !failure)
        return;
    /* On a terminal only failures (and would-be actions) get lines of
     * their own; the rest shows in the progress line. */
    if (ui->tty && !failure && item->status != SEGUE_BATCH_WOULD_CONVERT &&
        item->status != SEGUE_BATCH_WOULD_DELETE && item->status != SEGUE_BATCH_DELETED)
        return;
    clear_progress(ui);
    switch (item->status) {
    case SEGUE_BATCH_CONVERTED: {
        double speed = item->wall_seconds > 0 ? item->input_seconds / item->wall_seconds : 0;
        fprintf(stderr, "converted %s -> %s (%.1f s audio, %.0fx)\n", item->input, item->output,
                item->input_seconds, speed);
        break;
    }
    case SEGUE_BATCH_UP_TO_DATE: fprintf(stderr, "up to date %s\n", item->input); break;
    case SEGUE_BATCH_IGNORED: fprintf(stderr, "ignored %s (%s)\n", item->input, item->error); break;
    case SEGUE_BATCH_FAILED: fprintf(stderr, "failed %s: %s\n", item->input, item->error); break;
    case SEGUE_BATCH_WOULD_CONVERT:
        fprintf(stderr, "would convert %s -> %s\n", item->input, item->output);
        break;
    case SEGUE_BATCH_CANCELLED: fprintf(stderr, "cancelled %s\n", item->input); break;
    case SEGUE_BATCH_DELETED: fprintf(stderr, "deleted orphan %s\n", item->output); break;
    case SEGUE_BATCH_WOULD_DELETE: fprintf(stderr, "would delete orphan %s\n", item->output); break;
    }
}

static void on_warning(void *user, const char *message)
{
    clear_progress(user);
    fprintf(stderr, "segue: batch: warning: %s\n", message);
}

static void format_duration(double seconds, char *out, size_t size)
{
    if (seconds < 0 || seconds != seconds || seconds > 359999)
        seconds = 0;
    unsigned long s = (unsigned long)(seconds + 0.5);
    snprintf(out, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

static void on_tick(void *user, const segue_batch_progress *p)
{
    batch_ui *ui = user;
    if (!ui->tty || ui->quiet)
        return;
    double speed = p->elapsed_seconds > 0 ? p->audio_seconds_done / p->elapsed_seconds : 0;
    char eta[32] = "--:--:--";
    if (p->files_done > 0 && p->files_total > p->files_done)
        format_duration(p->elapsed_seconds / (double)p->files_done *
                            (double)(p->files_total - p->files_done),
                        eta, sizeof eta);
    else if (p->files_total == p->files_done)
        format_duration(0, eta, sizeof eta);
    fprintf(stderr, "\r\033[K%zu/%zu files, %.2f h audio, %.0fx realtime, ETA %s", p->files_done,
            p->files_total, p->audio_seconds_done / 3600.0, speed, eta);
    fflush(stderr);
    ui->line_shown = 1;
}

static int parse_jobs(const char *v, unsigned *out)
{
    char *end = NULL;
    if (!v || !*v || v[0] == '-')
        return cli_usage_error("batch ", "batch: -j needs a number in 1..%u", SEGUE_BATCH_MAX_JOBS);
    unsigned long n = strtoul(v, &end, 10);
    if (*end || n == 0 || n > SEGUE_BATCH_MAX_JOBS)
        return cli_usage_error("batch ", "batch: -j: '%s' is not a number in 1..%u", v,
                               SEGUE_BATCH_MAX_JOBS);
    *out = (unsigned)n;
    return 0;
}

/* Reads a whole profile file (bounded: profiles are a few KiB). */
static int load_profile_file(const char *path, segue_profile **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "segue: batch: %s: %s\n", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    enum { PROFILE_MAX = 1 << 20 };
    char *text = malloc(PROFILE_MAX + 1);
    size_t n = text ? fread(text, 1, PROFILE_MAX + 1, f) : 0;
    int read_error = ferror(f);
    fclose(f);
    if (!text || read_error || n > PROFILE_MAX) {
        free(text);
        fprintf(stderr, "segue: batch: %s: %s\n", path,
                !text ? "out of memory" : read_error ? "read error" : "too large for a profile");
        return !text ? EXIT_OSERR : EXIT_DATAERR;
    }
    char why[256] = "";
    segue_status st = segue_profile_parse(out, text, n, NULL, why, sizeof why);
    free(text);
    if (st < 0) {
        fprintf(stderr, "segue: batch: %s: %s\n", path, why[0] ? why : segue_status_str(st));
        return EXIT_DATAERR;
    }
    return 0;
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
        return argv[*i] + len + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static int is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > (long)SEGUE_BATCH_MAX_JOBS ? SEGUE_BATCH_MAX_JOBS : (unsigned)n;
}

int cli_batch(int argc, char **argv)
{
    const char *src = NULL, *dst = NULL, *profile_name = NULL, *profile_file = NULL;
    const char *report_path = NULL;
    unsigned jobs = 0;
    int dry_run = 0, delete_orphans = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            batch_help(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            return cli_print_version();
        } else if (is_option(a, "--profile")) {
            if (!(profile_name = option_value(argc, argv, &i, "--profile")))
                return cli_usage_error("batch ", "batch: --profile needs a name");
        } else if (is_option(a, "--profile-file")) {
            if (!(profile_file = option_value(argc, argv, &i, "--profile-file")))
                return cli_usage_error("batch ", "batch: --profile-file needs a file");
        } else if (strcmp(a, "-j") == 0 || is_option(a, "--jobs")) {
            int rc = parse_jobs(option_value(argc, argv, &i, "--jobs"), &jobs);
            if (rc)
                return rc;
        } else if (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9') {
            int rc = parse_jobs(a + 2, &jobs);
            if (rc)
                return rc;
        } else if (is_option(a, "--report")) {
            if (!(report_path = option_value(argc, argv, &i, "--report")))
                return cli_usage_error("batch ", "batch: --report needs a file");
        } else if (strcmp(a, "--dry-run") == 0) {
            dry_run = 1;
        } else if (strcmp(a, "--delete-orphans") == 0) {
            delete_orphans = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("batch ", "batch: unknown option '%s'", a);
        } else if (!src) {
            src = a;
        } else if (!dst) {
            dst = a;
        } else {
            return cli_usage_error("batch ", "batch: unexpected argument '%s'", a);
        }
    }
    if (!src || !dst)
        return cli_usage_error("batch ", "batch: needs SRC and DST folders");
    if (!profile_name == !profile_file)
        return cli_usage_error("batch ", "batch: give exactly one of --profile and --profile-file");
    if (strcmp(src, "-") == 0 || strcmp(dst, "-") == 0)
        return cli_usage_error("batch ", "batch: SRC and DST are folders, not '-'");

    segue_profile *parsed = NULL;
    const segue_profile *profile = NULL;
    if (profile_name) {
        profile = segue_profile_find(profile_name);
        if (!profile)
            return cli_usage_error("batch ", "batch: no built-in profile '%s' (see segue profiles)",
                                   profile_name);
    } else {
        int rc = load_profile_file(profile_file, &parsed);
        if (rc)
            return rc;
        profile = parsed;
    }

    batch_ui ui;
    memset(&ui, 0, sizeof ui);
    ui.quiet = quiet;
    ui.tty = isatty(fileno(stderr));
    if (report_path) {
        ui.report = strcmp(report_path, "-") == 0 ? stdout : fopen(report_path, "w");
        if (!ui.report) {
            fprintf(stderr, "segue: batch: %s: %s\n", report_path, strerror(errno));
            segue_profile_destroy(parsed);
            return EXIT_CANTCREAT;
        }
    }

    atomic_store(&stop_flag, 0);
    stop_signal = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    segue_batch_options opt;
    memset(&opt, 0, sizeof opt);
    opt.src_dir = src;
    opt.dst_dir = dst;
    opt.profile = profile;
    opt.jobs = jobs ? jobs : default_jobs();
    opt.dry_run = dry_run;
    opt.delete_orphans = delete_orphans;
    opt.stop = &stop_flag;
    opt.on_item = on_item;
    opt.on_tick = on_tick;
    opt.on_warning = on_warning;
    opt.user = &ui;
    segue_batch_summary summary;
    segue_error err;
    segue_error_clear(&err);
    segue_status st = segue_batch_run(&opt, &summary, &err);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    clear_progress(&ui);
    if (ui.report && ui.report != stdout && fclose(ui.report) != 0)
        fprintf(stderr, "segue: batch: %s: write error\n", report_path);
    segue_profile_destroy(parsed);

    if (st < 0) {
        fprintf(stderr, "segue: batch: %s\n", err.detail[0] ? err.detail : segue_status_str(st));
        switch (st) {
        case SEGUE_ERR_OPEN: return EXIT_NOINPUT;
        case SEGUE_ERR_IO: return EXIT_CANTCREAT;
        case SEGUE_ERR_INVALID_ARGUMENT: return EXIT_USAGE;
        default: return cli_exit_code(st);
        }
    }
    if (!quiet) {
        char wall[32];
        format_duration(summary.wall_seconds, wall, sizeof wall);
        if (dry_run)
            fprintf(stderr, "%zu would convert, %zu up to date, %zu ignored, %zu failed%s in %s\n",
                    summary.would_convert, summary.up_to_date, summary.ignored, summary.failed,
                    summary.would_delete ? ", orphans would be deleted" : "", wall);
        else
            fprintf(stderr,
                    "%zu converted, %zu up to date, %zu ignored, %zu failed, %zu deleted%s in %s"
                    " (%.1f s audio)\n",
                    summary.converted, summary.up_to_date, summary.ignored, summary.failed,
                    summary.deleted, summary.stopped ? ", stopped" : "", wall, summary.audio_seconds);
    }
    if (summary.stopped)
        return stop_signal == SIGTERM ? 143 : 130;
    return summary.failed ? EXIT_BATCH_PARTIAL : EXIT_OK;
}
