/* tests/aacenc/aacenc_tool.c - drives the "aac" encoder descriptor on any
 * input segue decodes (WAV, FLAC...), without the muxers: writes ADTS
 * (ISO/IEC 14496-3 1.A.2: a 7-byte header without CRC in front of each
 * raw_data_block) so that ffmpeg and faad read the stream, and can decode
 * the packets again with segue's own AAC decoder.
 *
 *   aacenc_tool IN OUT.aac [--cbr|--abr|--vbr] [--bitrate BPS] [--quality Q]
 *               [--decode OUT.f32] [--stats OUT.tsv]
 *
 * --decode: our decoder's output with the 1024 samples of encoder delay
 *   removed and cut to the input's length, interleaved f32le. The tool fails
 *   when the output is shorter than the input or holds NaN or infinity.
 * --stats: one line per packet, "bytes", for the rate-control checks, after
 *   a header line "mean_bits<TAB>channels<TAB>mode".
 * The tool also checks the packet protocol of codec/codec.h: pts counting
 * 1024 per packet from 0, frames 1024, 1 + ceil(n / 1024) packets for n
 * input frames.
 *
 * ADTS buffer_fullness (1.A.2.2.1): 0x7FF (variable rate) for ABR and VBR;
 * for CBR the encoder's reservoir after the frame, in units of 32 bits per
 * channel, recomputed from the packet sizes and the mean frame size.
 *
 * Exit 0 ok, 1 encode or decode failure (message on stderr), 2 usage or
 * unreadable input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segue/decoder.h>
#include <segue/encoder.h>

#include "codec/codec.h"

static int fail(const char *msg, const char *detail)
{
    fprintf(stderr, "aacenc_tool: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: aacenc_tool IN OUT.aac [--cbr|--abr|--vbr] [--bitrate BPS] "
                        "[--quality Q] [--decode OUT.f32] [--stats OUT.tsv]\n");
        return 2;
    }
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    const char *decode_path = NULL, *stats_path = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--cbr"))
            cfg.rate_control = SEGUE_RC_CBR;
        else if (!strcmp(argv[i], "--abr"))
            cfg.rate_control = SEGUE_RC_ABR;
        else if (!strcmp(argv[i], "--vbr"))
            cfg.rate_control = SEGUE_RC_VBR;
        else if (!strcmp(argv[i], "--bitrate") && i + 1 < argc)
            cfg.bitrate = (uint32_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--quality") && i + 1 < argc)
            cfg.quality = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--decode") && i + 1 < argc)
            decode_path = argv[++i];
        else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
            stats_path = argv[++i];
        else {
            fprintf(stderr, "aacenc_tool: unknown option %s\n", argv[i]);
            return 2;
        }
    }

    segue_io io;
    segue_decoder *dec = NULL;
    if (segue_io_from_path(&io, argv[1]) != SEGUE_OK) {
        fprintf(stderr, "aacenc_tool: cannot open %s\n", argv[1]);
        return 2;
    }
    if (segue_decoder_open(&dec, &io, NULL) != SEGUE_OK) {
        fprintf(stderr, "aacenc_tool: cannot decode %s: %s\n", argv[1],
                dec ? segue_decoder_last_error(dec) : "");
        segue_decoder_destroy(dec);
        return 2;
    }
    const segue_stream_info *info = segue_decoder_info(dec);
    unsigned nch = info->channels;
    cfg.sample_rate = info->sample_rate;
    cfg.channels = nch;

    const segue_codec_desc *enc = segue_codec_find("aac", SEGUE_CODEC_ENCODE);
    const segue_codec_desc *adec = segue_codec_find("aac", SEGUE_CODEC_DECODE);
    if (!enc || !adec) {
        segue_decoder_destroy(dec);
        return fail("no aac encoder or decoder in this build", NULL);
    }
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "aac";
    p.sample_rate = info->sample_rate;
    p.channels = nch;
    p.total_frames = -1;
    p.encoder_config = &cfg;
    void *priv = calloc(1, enc->priv_size);
    void *dpriv = calloc(1, adec->priv_size);
    segue_error err;
    memset(&err, 0, sizeof err);
    int rc = 0;
    FILE *out = fopen(argv[2], "wb");
    FILE *dout = decode_path ? fopen(decode_path, "wb") : NULL;
    FILE *stats = stats_path ? fopen(stats_path, "w") : NULL;
    float *in = malloc(sizeof(float) * 1024 * nch);
    if (!priv || !dpriv || !out || !in || (decode_path && !dout) || (stats_path && !stats)) {
        rc = fail("cannot allocate or open the outputs", NULL);
        goto done;
    }
    segue_status st = enc->encoder_init(priv, &p, NULL, &err);
    if (st != SEGUE_OK) {
        rc = fail("encoder_init", err.detail);
        enc->fini(priv, NULL);
        goto done;
    }
    segue_codec_params dp;
    memset(&dp, 0, sizeof dp);
    dp.codec = "aac";
    dp.sample_rate = p.sample_rate;
    dp.channels = nch;
    dp.max_packet_frames = 1024;
    dp.extradata = p.extradata;
    dp.extradata_size = p.extradata_size;
    dp.strict = 1;
    if (adec->decoder_init(dpriv, &dp, NULL, &err) != SEGUE_OK) {
        rc = fail("decoder_init", err.detail);
        adec->fini(dpriv, NULL);
        enc->fini(priv, NULL);
        goto done;
    }
    unsigned sfi = ((p.extradata[0] & 7u) << 1) | (p.extradata[1] >> 7);
    unsigned chcfg = (p.extradata[1] >> 3) & 15u;
    const segue_encoder_config *ec = &cfg;
    int cbr = ec->rate_control == SEGUE_RC_CBR;
    double mean = (double)p.avg_bitrate * 1024.0 / p.sample_rate, level = 0.0;
    if (stats)
        fprintf(stats, "%.3f\t%u\t%s\n", mean, nch, cbr ? "cbr" : "other");

    uint64_t total_in = 0, packets = 0, decoded = 0, skip = p.encoder_delay;
    int eof = 0;
    for (;;) {
        size_t got = 0;
        segue_packet pkt;
        if (!eof) {
            st = segue_decoder_read_f32(dec, in, 1024, &got);
            if (st == SEGUE_END_OF_STREAM || (st == SEGUE_OK && got == 0)) {
                eof = 1;
                got = 0;
            } else if (st != SEGUE_OK) {
                rc = fail("reading the input", segue_decoder_last_error(dec));
                break;
            }
            total_in += got;
        }
        if (!eof)
            st = enc->encode(priv, in, got, &pkt, &err);
        else
            st = enc->encode(priv, NULL, 0, &pkt, &err);
        if (st == SEGUE_END_OF_STREAM)
            break;
        if (st < 0) {
            rc = fail("encode", err.detail);
            break;
        }
        if (pkt.size == 0) {
            if (eof) {
                rc = fail("flush returned no packet and no end of stream", NULL);
                break;
            }
            continue;
        }
        if (pkt.pts != (int64_t)(packets * 1024) || pkt.frames != 1024) {
            fprintf(stderr, "aacenc_tool: packet %llu has pts %lld, frames %u\n",
                    (unsigned long long)packets, (long long)pkt.pts, pkt.frames);
            rc = 1;
            break;
        }
        /* ADTS header, 1.A.2.2.1. */
        size_t flen = pkt.size + 7;
        if (flen > 8191) {
            rc = fail("packet too large for ADTS", NULL);
            break;
        }
        level += mean - 8.0 * (double)pkt.size;
        unsigned fullness = 0x7FF;
        if (cbr) {
            double f = floor(level / (32.0 * nch));
            fullness = f < 0 ? 0u : f > 0x7FE ? 0x7FEu : (unsigned)f;
        }
        uint8_t h[7];
        h[0] = 0xFF;
        h[1] = 0xF1; /* MPEG-4, layer 0, no CRC */
        h[2] = (uint8_t)((1u << 6) | (sfi << 2) | (chcfg >> 2));
        h[3] = (uint8_t)(((chcfg & 3u) << 6) | (unsigned)(flen >> 11));
        h[4] = (uint8_t)(flen >> 3);
        h[5] = (uint8_t)(((flen & 7u) << 5) | (fullness >> 6));
        h[6] = (uint8_t)((fullness & 0x3Fu) << 2);
        fwrite(h, 1, 7, out);
        fwrite(pkt.data, 1, pkt.size, out);
        if (stats)
            fprintf(stats, "%zu\n", pkt.size);
        packets++;
        if (dout) {
            const float *pcm = NULL;
            size_t frames = 0;
            segue_packet dpk = {pkt.data, pkt.size, -1, 0, 0};
            st = adec->decode(dpriv, &dpk, &pcm, &frames, &err);
            if (st != SEGUE_OK) {
                fprintf(stderr, "aacenc_tool: our decoder, packet %llu: %s\n",
                        (unsigned long long)(packets - 1), err.detail);
                rc = 1;
                break;
            }
            for (size_t i = 0; i < frames; i++) {
                if (skip) {
                    skip--;
                    continue;
                }
                if (decoded >= total_in && eof)
                    break;
                for (unsigned c = 0; c < nch; c++) {
                    float v = pcm[i * nch + c];
                    if (!isfinite(v)) {
                        fprintf(stderr, "aacenc_tool: non-finite output at frame %llu\n",
                                (unsigned long long)decoded);
                        rc = 1;
                    }
                }
                fwrite(pcm + i * nch, sizeof(float), nch, dout);
                decoded++;
            }
        }
    }
    if (rc == 0) {
        uint64_t want = 1 + (total_in + 1023) / 1024;
        if (packets != want) {
            fprintf(stderr, "aacenc_tool: %llu packets for %llu frames (want %llu)\n",
                    (unsigned long long)packets, (unsigned long long)total_in,
                    (unsigned long long)want);
            rc = 1;
        }
        if (dout && decoded > total_in) {
            /* the last packet may be decoded before eof was known: cut */
            decoded = total_in;
        }
        if (dout && decoded < total_in) {
            fprintf(stderr, "aacenc_tool: decoded %llu of %llu frames\n",
                    (unsigned long long)decoded, (unsigned long long)total_in);
            rc = 1;
        }
    }
    adec->fini(dpriv, NULL);
    enc->fini(priv, NULL);
done:
    if (dout) {
        fclose(dout);
        if (decode_path && total_in == 0 && rc == 0) {
            /* nothing to write: an empty file */
        }
    }
    if (stats)
        fclose(stats);
    if (out)
        fclose(out);
    free(in);
    free(priv);
    free(dpriv);
    segue_decoder_destroy(dec);
    return rc;
}
