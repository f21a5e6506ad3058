/* Uses only the installed public headers: encodes a short WAV in memory and
 * decodes it back. Exits 0 on success. */
#include <segue/segue.h>
#include <stdio.h>

int main(void)
{
    float pcm[64];
    for (int i = 0; i < 64; i++)
        pcm[i] = (float)(i - 32) / 64.0f;
    segue_io sink;
    if (segue_io_memory_sink(&sink, NULL) != SEGUE_OK)
        return 1;
    segue_encoder_config cfg;
    segue_encoder_config_default(&cfg);
    cfg.sample_rate = 8000;
    cfg.channels = 1;
    segue_encoder *e = NULL;
    if (segue_encoder_open(&e, &sink, &cfg) != SEGUE_OK || segue_encoder_write_f32(e, pcm, 64) != SEGUE_OK ||
        segue_encoder_finish(e) != SEGUE_OK)
        return 2;
    size_t size;
    const void *bytes = segue_io_memory_sink_data(&sink, &size);
    segue_io src;
    segue_decoder *d = NULL;
    if (segue_io_from_memory(&src, bytes, size) != SEGUE_OK || segue_decoder_open(&d, &src, NULL) != SEGUE_OK)
        return 3;
    float out[64];
    size_t frames = 0;
    segue_status st = segue_decoder_read_f32(d, out, 64, &frames);
    int ok = st == SEGUE_OK && frames == 64 && out[10] == pcm[10];
    printf("segue %s: %zu frames, %s\n", segue_version_string(), frames, ok ? "ok" : "MISMATCH");
    segue_decoder_destroy(d);
    segue_encoder_destroy(e);
    return ok ? 0 : 4;
}
