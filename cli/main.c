/* cli/main.c - the segue command: dispatch, --version, --help, --cpu. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "simd/dsp.h"

static void print_help(FILE *f)
{
    fputs("usage: segue [--cpu LEVEL] COMMAND [ARGS]\n"
          "\n"
          "Decode, inspect and convert audio files.\n"
          "\n"
          "commands:\n"
          "  probe FILE [--json] [--loudness]\n"
          "                               format, codec, rate, channels, length, tags;\n"
          "                               --loudness measures EBU R 128 loudness\n"
          "  decode FILE -o OUT [--format s16|s24|f32] [--raw]\n"
          "                               decode to WAV (or raw PCM with --raw)\n"
          "  convert IN OUT [options]     convert between formats, with profiles,\n"
          "                               trims, fades, gain, loudness, resampling\n"
          "  batch SRC DST --profile NAME [options]\n"
          "                               convert a folder tree; reruns skip what is\n"
          "                               up to date\n"
          "  profiles [--json] [NAME]     the built-in conversion profiles\n"
          "  check FILE... --device NAME  will the files play on the device, and why not\n"
          "\n"
          "options:\n"
          "  --cpu LEVEL    cap SIMD kernels at scalar|sse2|avx2|neon (also SEGUE_CPU)\n"
          "  -h, --help     this help; 'segue COMMAND --help' for a command\n"
          "  --version      print the version\n"
          "\n"
          "FILE, IN and OUT may be '-' for standard input or output (check needs files).\n"
          "Input formats: WAV (RIFF, RF64, extensible), AIFF, AIFF-C, FLAC, Ogg Vorbis,\n"
          "Ogg Opus, MP3/MP2/MP1, AAC-LC and ALAC (M4A/MP4, ADTS), ATRAC3 (OMA/AA3,\n"
          "RIFF AT3), ATRAC1 (AEA). OpenMG- and FairPlay-protected files are refused.\n"
          "Output formats: WAV, raw PCM, FLAC, Ogg Vorbis, Ogg Opus, MP3, and AAC in\n"
          "M4A or ADTS when the build has the AAC encoder.\n"
          "\n"
          "exit status: 0 ok, 1 batch or check finished with some files failed, 64\n"
          "usage, 65 corrupt or unrecognised input, 66 input cannot be opened, 69\n"
          "unsupported format or feature or DRM-protected input, 70 internal error or\n"
          "failed --verify, 71 out of memory, 73 output cannot be created, 74 I/O\n"
          "error, 130/143 batch stopped by SIGINT/SIGTERM.\n",
          f);
}

int cli_print_version(void)
{
    printf("segue %s (simd: %s)\n", segue_version_string(), segue_cpu_level_name(segue_cpu_active()));
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
        const char *arg = argv[i];
        if (strcmp(arg, "--version") == 0)
            return cli_print_version();
        if (strcmp(arg, "--help") == 0) {
            print_help(stdout);
            return EXIT_OK;
        }
        if (strcmp(arg, "--cpu") == 0 || strncmp(arg, "--cpu=", 6) == 0) {
            const char *v = arg[5] == '=' ? arg + 6 : (i + 1 < argc ? argv[++i] : NULL);
            int level = v ? segue_cpu_level_parse(v) : -1;
            if (level < 0)
                return cli_usage_error("", "--cpu needs scalar, sse2, avx2 or neon");
            segue_dsp_set_cap((segue_cpu_level)level);
            i++;
            continue;
        }
        return cli_usage_error("", "unknown option '%s'", arg);
    }
    if (i < argc && strcmp(argv[i], "-h") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (i >= argc) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (strcmp(cmd, "probe") == 0)
        return cli_probe(sub_argc, sub_argv);
    if (strcmp(cmd, "decode") == 0)
        return cli_decode(sub_argc, sub_argv);
    if (strcmp(cmd, "convert") == 0)
        return cli_convert(sub_argc, sub_argv);
    if (strcmp(cmd, "help") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "batch") == 0)
        return cli_batch(sub_argc, sub_argv);
    if (strcmp(cmd, "profiles") == 0)
        return cli_profiles(sub_argc, sub_argv);
    if (strcmp(cmd, "check") == 0)
        return cli_check(sub_argc, sub_argv);
    if (strcmp(cmd, "bench") == 0) {
        fprintf(stderr, "segue: '%s' is not available in this version\n", cmd);
        return EXIT_UNAVAILABLE;
    }
    return cli_usage_error("", "unknown command '%s'", cmd);
}
