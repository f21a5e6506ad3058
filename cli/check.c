/* cli/check.c - `segue check FILE... --device NAME [--json] [--profile-file FILE]`:
 * will each file play on that device, and if not, why not (docs/check.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/device_check.h"

/* A profile file larger than this is not a profile (they are a few KiB). */
#define PROFILE_FILE_MAX (1024 * 1024)

static void check_help(FILE *f)
{
    fputs("usage: segue check FILE... --device NAME [--json] [--profile-file FILE]\n"
          "\n"
          "Says whether each FILE will play on the device NAME, and if not, why not:\n"
          "container, codec, MPEG version, sample rate, channels, bitrate, PCM bit\n"
          "depth, tag versions, cover pictures (format, size) and the file name\n"
          "(characters, length and names the device's FAT file system refuses).\n"
          "The device's limits come from the built-in profiles whose 'device' key is\n"
          "NAME ('segue profiles' lists them). FILE must be a file, not '-'.\n"
          "\n"
          "  --device NAME        the device to check against (e.g. psp)\n"
          "  --json               one JSON object per file, one per line: file, device,\n"
          "                       plays, findings [{rule, verdict, message, limit_source,\n"
          "                       remedy}], fix_profile\n"
          "  --profile-file FILE  also read device limits from this profile file; its\n"
          "                       keys override the built-in ones; its 'device' key\n"
          "                       names the device when --device is not given\n"
          "\n"
          "A 'fail' finding means the file will not play (or cannot be copied to the\n"
          "device); a 'warn' finding means it plays but tags or cover art will not show.\n"
          "\n"
          "exit status: 0 every file plays, 1 some file does not (or cannot be read),\n"
          "64 usage, 65 the profile file is invalid, 66 the profile file cannot be\n"
          "read, 69 unknown device (the known ones are listed).\n",
          f);
}

static const char *remedy_name(segue_check_remedy r)
{
    return r == SEGUE_REMEDY_CONVERT ? "convert" : r == SEGUE_REMEDY_RENAME ? "rename" : "none";
}

static int needs_conversion(const segue_check_report *rep)
{
    for (size_t i = 0; i < rep->count; i++)
        if (rep->findings[i].remedy == SEGUE_REMEDY_CONVERT)
            return 1;
    return 0;
}

static void print_json(const char *path, const segue_device_rules *rules, const segue_check_report *rep)
{
    FILE *f = stdout;
    fputs("{\"file\": ", f);
    json_string(f, path);
    fputs(", \"device\": ", f);
    json_string(f, rules->name);
    fprintf(f, ", \"plays\": %s, \"findings\": [", rep->plays ? "true" : "false");
    for (size_t i = 0; i < rep->count; i++) {
        const segue_check_finding *fi = &rep->findings[i];
        fputs(i ? ", {\"rule\": " : "{\"rule\": ", f);
        json_string(f, fi->rule);
        fputs(", \"verdict\": ", f);
        json_string(f, segue_check_verdict_name(fi->verdict));
        fputs(", \"message\": ", f);
        json_string(f, fi->message);
        fputs(", \"limit_source\": ", f);
        if (fi->limit_source)
            json_string(f, fi->limit_source);
        else
            fputs("null", f);
        fputs(", \"remedy\": ", f);
        json_string(f, remedy_name(fi->remedy));
        fputc('}', f);
    }
    fprintf(f, "], \"findings_dropped\": %zu, \"fix_profile\": ", rep->dropped);
    if (needs_conversion(rep))
        json_string(f, rules->fix_profile);
    else
        fputs("null", f);
    fputs("}\n", f);
}

static void print_text(const char *path, const segue_device_rules *rules, const segue_check_report *rep)
{
    if (rep->plays)
        printf("%s: OK: plays on %s\n", path, rules->name);
    else
        printf("%s: FAIL: will not play on %s\n", path, rules->name);
    for (size_t i = 0; i < rep->count; i++) {
        const segue_check_finding *fi = &rep->findings[i];
        printf("  %s %s: %s%s%s%s\n", segue_check_verdict_name(fi->verdict), fi->rule, fi->message,
               fi->limit_source ? " (limit " : "", fi->limit_source ? fi->limit_source : "",
               fi->limit_source ? ")" : "");
    }
    if (rep->dropped)
        printf("  ... and %zu more findings\n", rep->dropped);
    int rename = 0;
    for (size_t i = 0; i < rep->count; i++)
        rename |= rep->findings[i].remedy == SEGUE_REMEDY_RENAME;
    if (needs_conversion(rep))
        printf("  fix: segue convert '%s' OUT.mp3 --profile %s\n", path, rules->fix_profile);
    if (rename)
        printf("  fix: rename the file (FAT-safe characters, no trailing dot or space)\n");
}

/* Reads a whole profile file (bounded) and parses it. Returns 0 or an exit code. */
static int load_profile_file(const char *path, segue_profile **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "segue: %s: cannot open: %s\n", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    char *text = malloc(PROFILE_FILE_MAX + 1);
    if (!text) {
        fclose(f);
        fprintf(stderr, "segue: out of memory\n");
        return EXIT_OSERR;
    }
    size_t n = fread(text, 1, PROFILE_FILE_MAX + 1, f);
    int bad_read = ferror(f);
    fclose(f);
    if (bad_read) {
        free(text);
        fprintf(stderr, "segue: %s: read error\n", path);
        return EXIT_NOINPUT;
    }
    if (n > PROFILE_FILE_MAX) {
        free(text);
        fprintf(stderr, "segue: %s: larger than %d bytes; not a profile file\n", path, PROFILE_FILE_MAX);
        return EXIT_DATAERR;
    }
    text[n] = '\0';
    char why[256] = "";
    segue_status st = segue_profile_parse(out, text, n, NULL, why, sizeof why);
    free(text);
    if (st < 0) {
        fprintf(stderr, "segue: %s: %s\n", path, why[0] ? why : segue_status_str(st));
        return EXIT_DATAERR;
    }
    return 0;
}

/* Prints the devices the built-in profiles name, once each. */
static void list_devices(FILE *f)
{
    size_t n = segue_profile_count();
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        const char *dev = segue_profile_get(segue_profile_at(i), "device");
        if (!dev)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *d2 = segue_profile_get(segue_profile_at(j), "device");
            seen = d2 && strcmp(d2, dev) == 0;
        }
        if (!seen) {
            fprintf(f, "%s%s", any ? ", " : "", dev);
            any = 1;
        }
    }
    fputs(any ? "\n" : "(none)\n", f);
}

int cli_check(int argc, char **argv)
{
    const char *device = NULL, *profile_path = NULL;
    int json = 0;
    int nfiles = 0, dashes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashes) {
            nfiles++;
        } else if (strcmp(a, "--") == 0) {
            dashes = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            check_help(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--device") == 0 || strcmp(a, "--profile-file") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return cli_usage_error("check ", "check: %s needs a value", a);
            if (a[2] == 'd')
                device = argv[++i];
            else
                profile_path = argv[++i];
        } else if (strncmp(a, "--device=", 9) == 0) {
            device = a + 9;
        } else if (strncmp(a, "--profile-file=", 15) == 0) {
            profile_path = a + 15;
        } else if (strcmp(a, "-") == 0) {
            return cli_usage_error("check ", "check: needs file names, not '-' (it reads the "
                                             "name and both ends of each file)");
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("check ", "check: unknown option '%s'", a);
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0)
        return cli_usage_error("check ", "check: missing FILE");

    segue_profile *user = NULL;
    if (profile_path) {
        int rc = load_profile_file(profile_path, &user);
        if (rc)
            return rc;
        const char *udev = segue_profile_get(user, "device");
        if (!udev) {
            fprintf(stderr, "segue: %s: has no 'device' key, so it describes no device\n", profile_path);
            segue_profile_destroy(user);
            return EXIT_DATAERR;
        }
        if (!device)
            device = udev;
        else if (strcmp(device, udev) != 0) {
            fprintf(stderr, "segue: %s: describes device '%s', not '%s'\n", profile_path, udev, device);
            segue_profile_destroy(user);
            return EXIT_USAGE;
        }
    }
    if (!device) {
        segue_profile_destroy(user);
        return cli_usage_error("check ", "check: missing --device NAME");
    }

    /* The user's file first, so its keys win; then the built-in ones. */
    const segue_profile *profiles[SEGUE_DEVICE_MAX_PROFILES];
    size_t count = 0;
    if (user)
        profiles[count++] = user;
    size_t builtin = segue_device_find_builtin(device, profiles + count, SEGUE_DEVICE_MAX_PROFILES - count);
    if (builtin > SEGUE_DEVICE_MAX_PROFILES - count)
        builtin = SEGUE_DEVICE_MAX_PROFILES - count;
    count += builtin;
    if (count == 0) {
        fprintf(stderr, "segue: check: unknown device '%s'; known devices: ", device);
        list_devices(stderr);
        return EXIT_UNAVAILABLE;
    }
    segue_device_rules rules;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (segue_device_load(&rules, device, profiles, count, &err) < 0) {
        fprintf(stderr, "segue: check: %s\n", err.detail);
        segue_profile_destroy(user);
        return EXIT_DATAERR;
    }

    int all_play = 1;
    int rc = EXIT_OK;
    int after_dashes = 0;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *a = argv[i];
        if (!after_dashes) {
            if (strcmp(a, "--") == 0) {
                after_dashes = 1;
                continue;
            }
            if (strcmp(a, "--device") == 0 || strcmp(a, "--profile-file") == 0) {
                i++;
                continue;
            }
            if (a[0] == '-' && a[1] != '\0')
                continue;
        }
        segue_check_report rep;
        memset(&err, 0, sizeof err);
        segue_status st = segue_device_check_path(a, &rules, NULL, &rep, &err);
        if (st < 0) {
            rc = cli_fail(st, a, err.detail);
            break;
        }
        if (json)
            print_json(a, &rules, &rep);
        else
            print_text(a, &rules, &rep);
        all_play &= rep.plays;
    }
    segue_profile_destroy(user);
    if (fflush(stdout) != 0)
        return EXIT_IOERR;
    if (rc != EXIT_OK)
        return rc;
    return all_play ? EXIT_OK : EXIT_BATCH_PARTIAL;
}
