/* cli/profiles.c - `segue profiles [--json] [NAME]`: the built-in profiles.
 *
 * Without NAME: a table (name, codec, rate, channels, bitrate or quality,
 * description). With NAME: that profile's file, exactly as built in.
 * --json: every profile (or NAME's) with all its keys, as
 * {"profiles": [{"name", "description", "extension", "digest",
 * "settings": {key: value, ...}}, ...]}, keys in file order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/profile_data.h"

static void profiles_help(FILE *f)
{
    fputs("usage: segue profiles [--json] [NAME]\n"
          "\n"
          "List the built-in conversion profiles (for convert --profile and batch).\n"
          "\n"
          "  (no NAME)   a table: name, codec, sample rate, channels, bitrate or\n"
          "              quality, description\n"
          "  NAME        print that profile's file (key = value lines)\n"
          "  --json      every profile (or NAME only) with all its keys and its digest\n"
          "  -h, --help  this help\n"
          "\n"
          "docs/profiles.md describes the keys and the file format.\n"
          "exit status: 0 ok, 64 usage or unknown profile NAME.\n",
          f);
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

/* "192k cbr", "V0 vbr", "q4 vbr", "level 8", or "-". */
static void rate_summary(const segue_profile *p, char *buf, size_t size)
{
    const char *bitrate = segue_profile_get(p, "bitrate");
    const char *quality = segue_profile_get(p, "quality");
    const char *rc = segue_profile_get(p, "rate_control");
    const char *level = segue_profile_get(p, "compression_level");
    const char *codec = segue_profile_get(p, "codec");
    if (bitrate)
        snprintf(buf, size, "%sk%s%s", bitrate, rc ? " " : "", rc ? rc : "");
    else if (quality)
        snprintf(buf, size, "%s%s%s%s", codec && strcmp(codec, "mp3") == 0 ? "V" : "q", quality,
                 rc ? " " : "", rc ? rc : "");
    else if (level)
        snprintf(buf, size, "level %s", level);
    else
        snprintf(buf, size, "-");
}

static void print_table(void)
{
    printf("%-16s %-7s %-7s %-8s %-12s %s\n", "NAME", "CODEC", "RATE", "CHANNELS", "BITRATE", "DESCRIPTION");
    for (size_t i = 0; i < segue_profile_count(); i++) {
        const segue_profile *p = segue_profile_at(i);
        char rate[48];
        rate_summary(p, rate, sizeof rate);
        printf("%-16s %-7s %-7s %-8s %-12s %s\n", segue_profile_name(p), or_dash(segue_profile_get(p, "codec")),
               or_dash(segue_profile_get(p, "sample_rate")), or_dash(segue_profile_get(p, "channels")), rate,
               segue_profile_description(p));
    }
}

static void print_json_one(const segue_profile *p)
{
    char digest[65];
    segue_profile_digest(p, digest);
    fputs("{\"name\": ", stdout);
    json_string(stdout, segue_profile_name(p));
    fputs(", \"description\": ", stdout);
    json_string(stdout, segue_profile_description(p));
    fputs(", \"extension\": ", stdout);
    json_string(stdout, segue_profile_extension(p));
    fputs(", \"digest\": ", stdout);
    json_string(stdout, digest);
    fputs(", \"settings\": {", stdout);
    for (size_t k = 0; k < segue_profile_key_count(p); k++) {
        const char *value;
        const char *key = segue_profile_key_at(p, k, &value);
        fputs(k ? ", " : "", stdout);
        json_string(stdout, key);
        fputs(": ", stdout);
        json_string(stdout, value);
    }
    fputs("}}", stdout);
}

static void print_json(const segue_profile *only)
{
    fputs("{\"profiles\": [", stdout);
    int first = 1;
    for (size_t i = 0; i < segue_profile_count(); i++) {
        const segue_profile *p = segue_profile_at(i);
        if (only && p != only)
            continue;
        fputs(first ? "\n  " : ",\n  ", stdout);
        print_json_one(p);
        first = 0;
    }
    fputs("\n]}\n", stdout);
}

/* The embedded file whose profile is `p` (file name = name + ".profile"). */
static const segue_profile_source *source_of(const segue_profile *p)
{
    const char *name = segue_profile_name(p);
    size_t len = strlen(name);
    for (size_t i = 0; i < segue_builtin_profile_source_count; i++) {
        const char *file = segue_builtin_profile_sources[i].file;
        if (strncmp(file, name, len) == 0 && strcmp(file + len, ".profile") == 0)
            return &segue_builtin_profile_sources[i];
    }
    return NULL;
}

int cli_profiles(int argc, char **argv)
{
    int json = 0;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            profiles_help(stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("profiles ", "profiles: unknown option '%s'", argv[i]);
        } else if (name) {
            return cli_usage_error("profiles ", "profiles: one NAME only");
        } else {
            name = argv[i];
        }
    }
    const segue_profile *only = NULL;
    if (name) {
        only = segue_profile_find(name);
        if (!only)
            return cli_usage_error("profiles ", "profiles: no built-in profile '%s' ('segue profiles' lists them)",
                                   name);
    }
    if (json) {
        print_json(only);
    } else if (only) {
        const segue_profile_source *src = source_of(only);
        if (src) {
            fwrite(src->text, 1, src->size, stdout);
        } else {
            /* The file name differs from the name: print the keys instead. */
            for (size_t k = 0; k < segue_profile_key_count(only); k++) {
                const char *value;
                const char *key = segue_profile_key_at(only, k, &value);
                printf("%s = %s\n", key, value);
            }
        }
    } else {
        print_table();
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "segue: profiles: cannot write to standard output\n");
        return EXIT_IOERR;
    }
    return EXIT_OK;
}
