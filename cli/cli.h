/* cli/cli.h - shared pieces of the segue command. */
#ifndef SEGUE_CLI_H
#define SEGUE_CLI_H

#include <stdio.h>
#include <segue/segue.h>

/* Exit codes (sysexits.h values, DESIGN.md "CLI contract"). */
enum {
    EXIT_OK = 0,
    EXIT_BATCH_PARTIAL = 1,
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_UNAVAILABLE = 69,
    EXIT_SOFTWARE = 70,
    EXIT_OSERR = 71,
    EXIT_CANTCREAT = 73,
    EXIT_IOERR = 74
};

/* Maps a library status to the exit code DESIGN.md gives it. */
int cli_exit_code(segue_status st);

/* Prints "segue: <what>: <detail>" to stderr and returns the exit code. */
int cli_fail(segue_status st, const char *what, const char *detail);
/* Prints "segue: <msg>" plus a hint to run --help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* An output written to a temporary file beside its destination and renamed
 * into place only by cli_output_commit(). "-" writes to stdout directly. */
typedef struct cli_output {
    char *final_path;
    char *temp_path;  /* NULL when writing directly (stdout, a device, a FIFO) */
    FILE *file;
    int seekable;     /* the file can seek (a regular file) */
} cli_output;

/* Returns 0 or an exit code (73) after printing the reason. Refuses to
 * write over `input_path` (an input is never modified). */
int cli_output_open(cli_output *out, const char *path, const char *input_path);
/* Closes, checks for write errors, renames into place. 0 or 74. */
int cli_output_commit(cli_output *out);
/* Removes the temporary file. Safe after commit and on NULL file. */
void cli_output_discard(cli_output *out);

/* Opens `path` ("-" = stdin) for reading; 0 or an exit code after printing. */
int cli_open_input(segue_io *io, const char *path);

/* Prints the version line; returns EXIT_OK. */
int cli_print_version(void);

/* Commands. argv[0] is the command name. */
int cli_probe(int argc, char **argv);
int cli_decode(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_batch(int argc, char **argv);    /* cli/batch.c */
int cli_profiles(int argc, char **argv); /* cli/profiles.c */
int cli_check(int argc, char **argv);    /* cli/check.c */

/* Minimal JSON writer helpers. */
void json_string(FILE *f, const char *s);

#endif
