/*
 * tests/fuzz/fuzz_flac.c - libFuzzer target for the FLAC demuxer
 * (container/flac.c), the libFLAC-backed codec (codec/ext/flac) and the
 * Vorbis comment / PICTURE parsers behind them.
 *
 * Each input is:
 *   - opened with the container forced to "flac" over a seekable memory io
 *     (metadata walk, frame splitting, seek table, bisection seeking: all
 *     PCM is read, then three seeks each followed by a short read);
 *   - opened again over a one-byte-per-read io without seek, in strict mode
 *     (the pipe paths, short reads inside frame headers);
 *   - parsed directly as a Vorbis comment block and as a PICTURE block body.
 * The metadata is walked so ASan checks every string. Crashes, hangs, leaks
 * and sanitizer reports are the findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "fuzz_common.h"

#include "container/vorbiscomment.h"

static void run(const segue_io *io, int strict, uint32_t seed)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "flac";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d));
        /* Frames are capped: a lying block size in every frame header could
         * otherwise make a small input decode to a very long stream. */
        uint64_t frames = fuzz_drain(d, info->channels, 1u << 22);
        if (info->seekable) {
            int64_t span = info->frames > 0 ? info->frames : (int64_t)frames + 1;
            for (int k = 0; k < 3; k++) {
                seed = seed * 1103515245u + 12345u;
                int64_t target = (int64_t)(seed % (uint64_t)(span + 1));
                if (segue_decoder_seek(d, target) != SEGUE_OK)
                    break;
                sink += (size_t)fuzz_drain(d, info->channels, 20000);
            }
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = (uint32_t)size;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = seed * 31u + data[i];

    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0, seed);

    fuzz_trickle t = {data, size, 1, 0};
    memset(&io, 0, sizeof io);
    io.read = fuzz_trickle_read;
    io.user = &t;
    run(&io, 1, seed);

    segue_metadata *m = NULL;
    if (segue_metadata_create(&m, NULL) == SEGUE_OK) {
        segue_error err;
        segue_error_clear(&err);
        (void)segue_vorbiscomment_parse(data, size, m, NULL, &err);
        segue_error_clear(&err);
        (void)segue_flac_picture_parse(data, size, m, NULL, &err);
        volatile size_t sink = fuzz_walk_metadata(m);
        (void)sink;
    }
    segue_metadata_destroy(m);
    return 0;
}
