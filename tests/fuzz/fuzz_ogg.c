/*
 * tests/fuzz/fuzz_ogg.c - libFuzzer target for the Ogg demuxer
 * (container/ogg.c: page sync, CRC, lacing, packet assembly, chains,
 * granule arithmetic, bisection seeking, Vorbis setup header parsing) and
 * the Vorbis and Opus decoders behind it.
 *
 * Each input is opened with the container forced to "ogg" twice: over a
 * seekable memory io (the end scan for the length, then a full decode,
 * seeks to a few places and reads after each), and over a pipe that hands
 * out 1..13 bytes per read, in strict mode. Metadata is walked so ASan
 * checks every string and picture.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "fuzz_common.h"

static void run(const segue_io *io, int strict)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "ogg";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d));
        uint64_t frames = fuzz_drain(d, info->channels, UINT64_MAX);
        if (info->seekable) {
            const uint64_t at[] = {frames / 2, frames / 7, 0, frames + 3, frames ? frames - 1 : 0};
            for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
                if (segue_decoder_seek(d, (int64_t)at[i]) == SEGUE_OK)
                    sink += (size_t)fuzz_drain(d, info->channels, 20000);
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0);
    fuzz_trickle t = {data, size, 13, 0};
    memset(&io, 0, sizeof io);
    io.read = fuzz_trickle_read;
    io.user = &t;
    run(&io, 1);
    return 0;
}
