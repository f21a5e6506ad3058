/*
 * tests/fuzz/fuzz_demux.c - libFuzzer target for the demuxers (WAV/RF64,
 * AIFF/AIFF-C, ID3v2 in their tag chunks) and the PCM decode path behind
 * them.
 *
 * Each input is opened twice: over a seekable memory io (the full chunk
 * walk, tags after the audio, seeking) and over a trickle io that returns
 * one byte per read and cannot seek (the pipe paths, the reader's short-read
 * handling), the second time in strict mode. All PCM is read into a stack
 * buffer, the metadata is walked, and the decoder is destroyed; ASan/UBSan
 * and LeakSanitizer report the bugs.
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
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d));
        uint64_t frames = fuzz_drain(d, info->channels, UINT64_MAX);
        if (info->seekable && frames > 0) {
            /* Back to the middle and read the rest again. */
            if (segue_decoder_seek(d, (int64_t)(frames / 2)) == SEGUE_OK)
                sink += (size_t)fuzz_drain(d, info->channels, UINT64_MAX);
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

    fuzz_trickle t = {data, size, 1, 0};
    memset(&io, 0, sizeof io);
    io.read = fuzz_trickle_read;
    io.user = &t;
    run(&io, 1);
    return 0;
}
