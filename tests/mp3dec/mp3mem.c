/*
 * tests/mp3dec/mp3mem.c - the memory report of the own MPEG audio decoder:
 * the state (the codec's priv_size, which the caller allocates) plus what
 * init allocates (counted through a counting allocator), held against the
 * device budget of 20 KiB for a stereo decoder. The peak stack of one
 * decode() call is measured with -fstack-usage; the numbers are recorded in
 * codec/mp3/README.md (this program cannot see them).
 */
#include <stdio.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/mp3/mp3_internal.h"
#include "core/alloc.h"

#define BUDGET (20u * 1024u)

typedef struct counting {
    size_t live, peak, calls;
} counting;

static void *count_alloc(void *user, size_t size)
{
    counting *c = user;
    void *p = segue_mem_alloc(NULL, size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    c->live += size;
    c->calls++;
    if (c->live > c->peak)
        c->peak = c->live;
    return (char *)p + 16;
}

static void count_free(void *user, void *ptr)
{
    counting *c = user;
    size_t size;
    char *p = (char *)ptr - 16;
    memcpy(&size, p, sizeof size);
    c->live -= size;
    segue_mem_free(NULL, p);
}

int main(void)
{
    const segue_codec_desc *desc = segue_codec_find("mp3", SEGUE_CODEC_DECODE);
    if (!desc) {
        printf("FAIL: no mp3 decoder\n");
        return 1;
    }
    counting c = {0, 0, 0};
    segue_allocator a = {&c, count_alloc, count_free};
    void *priv = segue_mem_calloc(NULL, 1, desc->priv_size);
    segue_codec_params p;
    memset(&p, 0, sizeof p);
    p.codec = "mp3";
    p.sample_rate = 44100;
    p.channels = 2;
    p.max_packet_frames = 1152;
    segue_error err;
    memset(&err, 0, sizeof err);
    if (!priv || desc->decoder_init(priv, &p, &a, &err) != SEGUE_OK) {
        printf("FAIL: init\n");
        return 1;
    }
    size_t heap = c.peak;
    size_t total = desc->priv_size + heap;
    printf("mp3 decoder, stereo: state %zu bytes + heap from init %zu bytes (%zu allocations)"
           " = %zu bytes (budget %u)\n",
           desc->priv_size, heap, c.calls, total, BUDGET);
    printf("  output / work buffer   %6zu\n", sizeof(((mp3_state *)0)->pcm));
    printf("  IMDCT overlap          %6zu\n", sizeof(((mp3_state *)0)->overlap));
    printf("  synthesis history      %6zu\n", sizeof(segue_mpa_synth_state));
    printf("  bit reservoir          %6zu\n", sizeof(((mp3_state *)0)->resv));
    printf("  scale factors (scfsi)  %6zu\n", sizeof(((mp3_state *)0)->scf));
    printf("  other fields           %6zu\n",
           sizeof(mp3_state) - sizeof(((mp3_state *)0)->pcm) - sizeof(((mp3_state *)0)->overlap) -
               sizeof(segue_mpa_synth_state) - sizeof(((mp3_state *)0)->resv) -
               sizeof(((mp3_state *)0)->scf));
    desc->fini(priv, &a);
    segue_mem_free(NULL, priv);
    int ok = total <= BUDGET && c.live == 0;
    printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return ok ? 0 : 1;
}
