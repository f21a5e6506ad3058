/*
 * tests/fuzz/fuzz_oma.c - libFuzzer target for the OMA/AA3 demuxer
 * (container/oma.c: the ea3 tag block, the EA3 header, DRM detection, the
 * codec parameters, ATRAC/MP3/LPCM packets), and the decoder behind it when
 * one is registered.
 *
 * Each input is opened with the container forced to "oma" (so inputs the
 * probe would refuse still reach the demuxer), twice: over a seekable
 * memory io (a straight read, then a seek to the middle and near the end)
 * and over a trickle io that returns one byte per read and cannot seek,
 * the second time in strict mode. Seeds: tests/fuzz/corpus/oma/, short
 * prefixes of the ../shared/fixtures/atrac files (speech and sweep clips)
 * (< 4 KB each; the sweep has no third-party content, the speech is
 * machine-generated) and synthesised headers (LPCM and MP3 codec ids, a
 * v2.4 ea3 tag with an OpenMG key frame, fact + smpl chunks, mono AEA).
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
    cfg.container = "oma";
    cfg.strict = strict;
    cfg.max_metadata_bytes = 1u << 20;
    segue_decoder *d = NULL;
    segue_status st = segue_decoder_open(&d, io, &cfg);
    volatile size_t sink = strlen(segue_decoder_last_error(d));
    if (st == SEGUE_OK) {
        const segue_stream_info *info = segue_decoder_info(d);
        sink += fuzz_walk_metadata(segue_decoder_metadata(d)) + strlen(info->codec);
        uint64_t frames = fuzz_drain(d, info->channels, UINT64_MAX);
        if (info->seekable && frames > 0) {
            int64_t targets[2] = {(int64_t)(frames / 2), (int64_t)(frames > 100 ? frames - 100 : 0)};
            for (int i = 0; i < 2; i++)
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
        run(&io, 0);

    fuzz_trickle t = {data, size, 1, 0};
    memset(&io, 0, sizeof io);
    io.read = fuzz_trickle_read;
    io.user = &t;
    run(&io, 1);
    return 0;
}
