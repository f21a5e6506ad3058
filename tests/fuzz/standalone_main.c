/*
 * tests/fuzz/standalone_main.c - runs a libFuzzer target without libFuzzer:
 * calls LLVMFuzzerTestOneInput once per file named on the command line, or
 * per regular file inside a named directory (not recursive). Used by the
 * `fuzz_demux_seeds` ctest in non-fuzzer builds, and to replay a crash file
 * under a debugger. Exit status 0 when every file ran, 1 if one could not be
 * read or nothing was found.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (64u << 20) /* inputs larger than this are skipped */

/* Reads one file and runs the target on it; returns 0 on success. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    int rc = 1;
    uint8_t *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || (unsigned long)size > MAX_INPUT || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot size %s (or over %u bytes)\n", path, MAX_INPUT);
        goto out;
    }
    /* One spare byte so a 0-byte input still gets a valid pointer. */
    buf = segue_mem_alloc(NULL, (size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        goto out;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    rc = 0;
out:
    segue_mem_free(NULL, buf);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    int failures = 0, ran = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "no such file or directory: %s\n", argv[i]);
            failures++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failures += run_file(argv[i]);
            ran++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            fprintf(stderr, "cannot list %s\n", argv[i]);
            failures++;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            int n = snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (n < 0 || (size_t)n >= sizeof path)
                continue;
            struct stat fs;
            if (stat(path, &fs) != 0 || !S_ISREG(fs.st_mode))
                continue;
            failures += run_file(path);
            ran++;
        }
        closedir(dir);
    }
    printf("%d input(s) run, %d failure(s)\n", ran, failures);
    return failures || ran == 0 ? 1 : 0;
}
