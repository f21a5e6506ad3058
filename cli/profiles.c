/* cli/profiles.c - `segue profiles`. */
#include "cli.h"

int cli_profiles(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segue: 'profiles' is not available in this version\n");
    return EXIT_UNAVAILABLE;
}
