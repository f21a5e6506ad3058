/*
 * tests/fuzz/fuzz_mp4.c - libFuzzer target for the MP4/M4A demuxer (container/mp4.c and
 * mp4_ilst.c: box walking, sample tables, fragments, esds/ASC, iTunes
 * metadata, gapless, DRM detection) and the decoder behind it.
 *
 * Each input is opened with the container forced to "mp4", over a seekable
 * memory io (then drained and seeked) and over a one-byte-per-read pipe in
 * strict mode. Seeds: tests/fuzz/corpus/mp4/ (tiny ffmpeg-made files and
 * crafted variants; frag_huge_runs.m4a has 20 fragments whose truns declare
 * 4,194,304 default-size samples each, moov_fixed_huge.m4a a fixed-size
 * stsz/stsc/stts declaring as many: both must cost what their bytes cost,
 * on the memory io and on the pipe).
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
    cfg.container = "mp4";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d)) + strlen(info->codec);
        uint64_t frames = fuzz_drain(d, info->channels, 1u << 20);
        if (info->seekable) {
            uint64_t span = frames + 1;
            int64_t targets[3] = {(int64_t)(frames / 2),
                                  (int64_t)((size >= 2 ? (uint64_t)data[size - 1] << 8 | data[size - 2] : 0) % span),
                                  (int64_t)frames + 1000};
            for (int i = 0; i < 3; i++)
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
