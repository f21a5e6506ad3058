/*
 * tests/fuzz/fuzz_mp3demux.c - libFuzzer target for the MP3 demuxer
 * (container/mp3.c: framing, resync, free format, Xing/Info/LAME/VBRI,
 * ID3v2/ID3v1/APEv2 at both ends, the seek index) and the MPEG audio
 * decoder behind it.
 *
 * Each input is opened with the container forced to "mp3" (so inputs the
 * probe would refuse still reach the demuxer's own search), twice: over a
 * seekable memory io (end tags, the open-time scan, seeking to a few
 * positions derived from the input and re-reading) and over a trickle io
 * that returns one byte per read and cannot seek (the pipe paths), the
 * second time in strict mode. Seeds: tests/fuzz/corpus/mp3demux/, made by
 * tools/make_mp3demux_seeds.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <segue/segue.h>

#include "fuzz_common.h"

static void run(const segue_io *io, int strict, const uint8_t *data, size_t size)
{
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.container = "mp3";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d)) + strlen(info->codec);
        uint64_t frames = fuzz_drain(d, info->channels, UINT64_MAX);
        if (info->seekable) {
            /* A few positions: the middle, near the end, from the input's
             * last bytes, and past the end (an error, not a crash). */
            uint64_t span = frames + 1;
            int64_t targets[4] = {(int64_t)(frames / 2), (int64_t)(frames > 10 ? frames - 10 : 0),
                                  (int64_t)((size >= 2 ? (uint64_t)data[size - 1] << 8 | data[size - 2] : 0) % span),
                                  (int64_t)frames + 1000};
            for (int i = 0; i < 4; i++)
                if (segue_decoder_seek(d, targets[i]) == SEGUE_OK)
                    sink += (size_t)fuzz_drain(d, info->channels, 5000);
        }
    }
    (void)sink;
    segue_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    segue_io io;
    if (segue_io_from_memory(&io, data, size) == SEGUE_OK)
        run(&io, 0, data, size);

    fuzz_trickle t = {data, size, 1, 0};
    memset(&io, 0, sizeof io);
    io.read = fuzz_trickle_read;
    io.user = &t;
    run(&io, 1, data, size);
    return 0;
}
