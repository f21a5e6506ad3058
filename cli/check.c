/* cli/check.c - `segue check`. */
#include "cli.h"

int cli_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segue: 'check' is not available in this version\n");
    return EXIT_UNAVAILABLE;
}
