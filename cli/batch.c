/* cli/batch.c - `segue batch`. */
#include "cli.h"

int cli_batch(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "segue: 'batch' is not available in this version\n");
    return EXIT_UNAVAILABLE;
}
