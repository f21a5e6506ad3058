/* cli/util.c - exit codes, error printing, safe outputs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(segue_status st)
{
    switch (st) {
    case SEGUE_OK:
    case SEGUE_END_OF_STREAM:
    case SEGUE_AGAIN:
        return EXIT_OK;
    case SEGUE_ERR_INVALID_ARGUMENT: return EXIT_USAGE;
    case SEGUE_ERR_OPEN: return EXIT_NOINPUT;
    case SEGUE_ERR_CORRUPT:
    case SEGUE_ERR_TOO_LARGE:
    case SEGUE_ERR_UNKNOWN_FORMAT:
        return EXIT_DATAERR;
    case SEGUE_ERR_UNSUPPORTED:
    case SEGUE_ERR_DRM:
    case SEGUE_ERR_NOT_SEEKABLE:
        return EXIT_UNAVAILABLE;
    case SEGUE_ERR_IO: return EXIT_IOERR;
    case SEGUE_ERR_NO_MEMORY: return EXIT_OSERR;
    case SEGUE_ERR_CANCELLED: return 130;
    case SEGUE_ERR_STATE:
    case SEGUE_ERR_INTERNAL:
        return EXIT_SOFTWARE;
    }
    return EXIT_SOFTWARE;
}

int cli_fail(segue_status st, const char *what, const char *detail)
{
    if (detail && *detail)
        fprintf(stderr, "segue: %s: %s\n", what, detail);
    else
        fprintf(stderr, "segue: %s: %s\n", what, segue_status_str(st));
    return cli_exit_code(st);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("segue: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "Try 'segue %s--help'.\n", command ? command : "");
    return EXIT_USAGE;
}

int cli_open_input(segue_io *io, const char *path)
{
    struct stat sb;
    if (strcmp(path, "-") != 0) {
        if (stat(path, &sb) != 0) {
            fprintf(stderr, "segue: %s: cannot open: %s\n", path, strerror(errno));
            return EXIT_NOINPUT;
        }
        if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "segue: %s: is a directory, not an audio file\n", path);
            return EXIT_NOINPUT;
        }
    }
    errno = 0;
    if (segue_io_from_path(io, path) < 0) {
        fprintf(stderr, "segue: %s: cannot open: %s\n", path,
                errno ? strerror(errno) : "unknown error");
        return EXIT_NOINPUT;
    }
    return 0;
}

/* The temporary file of the output being written, removed if a signal ends
 * the program part-way: a failure never leaves a partial output. */
static volatile sig_atomic_t temp_active;
static char temp_for_signal[4096];

static void remove_temp_on_signal(int sig)
{
    if (temp_active)
        unlink(temp_for_signal);
    signal(sig, SIG_DFL);
    raise(sig);
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int cli_output_open(cli_output *out, const char *path, const char *input_path)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0) {
        out->file = stdout;
        return 0;
    }
    struct stat in_sb, out_sb;
    if (stat(path, &out_sb) == 0 && !S_ISREG(out_sb.st_mode) && !S_ISDIR(out_sb.st_mode)) {
        /* A device or FIFO (/dev/null, a named pipe) is written directly:
         * renaming a temporary file over it would replace the node. */
        out->file = fopen(path, "wb");
        if (!out->file) {
            fprintf(stderr, "segue: %s: cannot open for writing: %s\n", path, strerror(errno));
            return EXIT_CANTCREAT;
        }
        return 0;
    }
    if (input_path && strcmp(input_path, "-") != 0 && stat(input_path, &in_sb) == 0 &&
        stat(path, &out_sb) == 0 && in_sb.st_dev == out_sb.st_dev && in_sb.st_ino == out_sb.st_ino) {
        fprintf(stderr, "segue: %s: output is the input file; refusing to overwrite it\n", path);
        return EXIT_CANTCREAT;
    }
    if (stat(path, &out_sb) == 0 && S_ISDIR(out_sb.st_mode)) {
        fprintf(stderr, "segue: %s: is a directory\n", path);
        return EXIT_CANTCREAT;
    }
    /* Temporary name in the destination folder so rename() stays atomic. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t need = dir_len + strlen(base) + 32;
    out->temp_path = malloc(need);
    out->final_path = dup_string(path);
    if (!out->temp_path || !out->final_path) {
        cli_output_discard(out);
        fprintf(stderr, "segue: out of memory\n");
        return EXIT_OSERR;
    }
    snprintf(out->temp_path, need, "%.*s.%s.segue-XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(out->temp_path);
    if (fd < 0) {
        fprintf(stderr, "segue: %s: cannot create output: %s\n", path, strerror(errno));
        free(out->temp_path);
        out->temp_path = NULL;
        cli_output_discard(out);
        return EXIT_CANTCREAT;
    }
    /* mkstemp creates 0600; give the output the mode fopen() would. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    out->file = fdopen(fd, "wb");
    out->seekable = 1;
    if (!out->file) {
        close(fd);
        unlink(out->temp_path);
        cli_output_discard(out);
        fprintf(stderr, "segue: %s: cannot create output\n", path);
        return EXIT_CANTCREAT;
    }
    if (strlen(out->temp_path) < sizeof temp_for_signal) {
        memcpy(temp_for_signal, out->temp_path, strlen(out->temp_path) + 1);
        temp_active = 1;
        signal(SIGINT, remove_temp_on_signal);
        signal(SIGTERM, remove_temp_on_signal);
        signal(SIGHUP, remove_temp_on_signal);
    }
    return 0;
}

int cli_output_commit(cli_output *out)
{
    if (!out->file)
        return EXIT_IOERR;
    if (!out->temp_path) {
        int bad = fflush(out->file) != 0 || ferror(out->file);
        if (out->file != stdout)
            bad |= fclose(out->file) != 0;
        out->file = NULL;
        if (bad) {
            fprintf(stderr, "segue: writing the output failed: %s\n", strerror(errno));
            return EXIT_IOERR;
        }
        return 0;
    }
    int bad = fflush(out->file) != 0 || ferror(out->file);
    bad |= fclose(out->file) != 0;
    out->file = NULL;
    if (bad) {
        fprintf(stderr, "segue: %s: write failed: %s\n", out->final_path, strerror(errno));
        cli_output_discard(out);
        return EXIT_IOERR;
    }
    if (rename(out->temp_path, out->final_path) != 0) {
        fprintf(stderr, "segue: %s: cannot move output into place: %s\n", out->final_path,
                strerror(errno));
        cli_output_discard(out);
        return EXIT_CANTCREAT;
    }
    temp_active = 0;
    free(out->temp_path);
    out->temp_path = NULL;
    free(out->final_path);
    out->final_path = NULL;
    return 0;
}

void cli_output_discard(cli_output *out)
{
    if (out->file && out->file != stdout)
        fclose(out->file);
    out->file = NULL;
    if (out->temp_path) {
        unlink(out->temp_path);
        temp_active = 0;
    }
    free(out->temp_path);
    free(out->final_path);
    out->temp_path = out->final_path = NULL;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_sequence_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || p[0] == 0xc0 || p[0] == 0xc1 || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
        (p[0] == 0xf4 && p[1] > 0x8f) || (p[0] == 0xed && p[1] > 0x9f))
        return 0; /* overlong, past U+10FFFF, or a surrogate */
    return n;
}

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            /* JSON must be UTF-8: an invalid byte becomes U+FFFD. */
            size_t n = utf8_sequence_length(p);
            if (n == 0) {
                fputs("\ufffd", f);
            } else {
                fwrite(p, 1, n, f);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}
