/*
 * bench/bench_peers.h - one whole-file run of our codecs and of their peers,
 * on bytes or PCM already in memory, for bench_codecs (timing) and
 * mp3_decode_driver (callgrind). Each function is one complete job: open,
 * run to the end, close; output is counted and discarded on both sides, so
 * neither pays for keeping it.
 *
 * Every function returns 0 or -1; after -1, bench_peer_error() says why.
 * Inputs for the libavcodec parser paths need BENCH_INPUT_PADDING zero
 * bytes after `size` (its parser reads ahead).
 */
#ifndef SEGUE_BENCH_PEERS_H
#define SEGUE_BENCH_PEERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_INPUT_PADDING 64

typedef struct bench_result {
    unsigned long long frames; /* PCM frames decoded or encoded */
    unsigned long long bytes;  /* bytes an encoder produced */
    unsigned channels;
    unsigned rate;
} bench_result;

/* Encoder settings shared by ours and the peers: CBR at kbps when vbr is
 * 0, else VBR at quality (LAME's -V). */
typedef struct bench_encode_settings {
    int vbr;
    int kbps;
    float quality;
} bench_encode_settings;

const char *bench_peer_error(void);

/* Ours, through the public API. */
int bench_segue_decode(const unsigned char *data, size_t size, bench_result *r);
int bench_segue_encode(const char *container, const char *codec, const float *pcm, size_t frames,
                       unsigned channels, unsigned rate, const bench_encode_settings *s,
                       bench_result *r);
int bench_segue_transcode(const unsigned char *data, size_t size, const char *container,
                          const char *codec, const bench_encode_settings *s, bench_result *r);

/* Peers. Each is compiled in only when its library was found (the
 * BENCH_HAVE_* macros); otherwise it returns -1 with "not linked". */
int bench_avcodec_decode_parsed(const char *decoder, const unsigned char *data, size_t size,
                                bench_result *r);
int bench_avcodec_decode_riff(const char *decoder, const unsigned char *data, size_t size,
                              bench_result *r);
int bench_avcodec_encode(const char *encoder, const float *pcm, size_t frames, unsigned channels,
                         unsigned rate, const bench_encode_settings *s, bench_result *r);
int bench_faad_decode(const unsigned char *data, size_t size, bench_result *r);
int bench_lame_encode(const float *pcm, size_t frames, unsigned channels, unsigned rate,
                      const bench_encode_settings *s, bench_result *r);
int bench_flac_lame_transcode(const unsigned char *data, size_t size,
                              const bench_encode_settings *s, bench_result *r);

/* "libavcodec 59.37.100" and so on, for labels; "" when not linked. */
const char *bench_avcodec_version(void);
const char *bench_lame_version(void);
const char *bench_faad_version(void);
const char *bench_flac_version(void);

#ifdef __cplusplus
}
#endif
#endif
