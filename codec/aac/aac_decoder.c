/*
 * codec/aac/aac_decoder.c - the AAC-LC decoder: descriptor "aac".
 *
 * Implements MPEG-4 AAC-LC (ISO/IEC 14496-3 subpart 4, audio object type 2)
 * and MPEG-2 AAC-LC (ISO/IEC 13818-7, the same raw_data_block syntax), 8 to
 * 96 kHz (sampling frequency indices 0..12), channel configurations 1..7
 * and program_config_element layouts of up to 8 channels. All LC tools:
 * long/start/short/stop windows with sine and KBD shapes, window grouping,
 * section data, scalefactors, M/S and intensity stereo, PNS, TNS and pulse
 * data. Gain control (SSR), prediction (Main), LTP, coupling channel
 * elements, 960-sample frames and the ER object types are refused.
 *
 * Stream parameters: extradata = the AudioSpecificConfig (1.6.2.1; from
 * the MP4 esds, or a 2-byte one an ADTS demuxer synthesises); without it,
 * AAC-LC with channel configuration = channels (1..6, 8 -> 7) at
 * sample_rate. HE-AAC signalled in the ASC (object type 5 or 29, or the
 * explicit 0x2b7 sync extension with SBR present) is refused at init with
 * SEGUE_ERR_UNSUPPORTED "unsupported: HE-AAC (SBR)"; implicit SBR (an
 * EXT_SBR_DATA fill element, 4.5.2.8.2) in the first packet is refused the
 * same way, never decoded band-limited; after a packet has decoded as LC
 * (not undone by reset), SBR data is skipped like any fill element and the
 * LC core is output.
 * One packet = one raw_data_block (4.4.2.1; ADTS header and CRC stripped).
 * decode outputs 1024 interleaved float frames, 1.0 = full scale (the
 * spec's 16-bit sample value / 32768), encoder delay not removed, in WAVE
 * channel order: configuration 3 FL FR FC, 4 FL FR FC BC, 5 FL FR FC BL BR,
 * 6 FL FR FC LFE BL BR, 7 FL FR FC LFE BL BR FLC FRC (the elements SCE, CPE,
 * CPE, CPE, LFE of configuration 7 are C, L/R, Lc/Rc, Ls/Rs, LFE). PCE
 * layouts: front SCE FC, front CPEs FL/FR then FLC/FRC, side CPE SL/SR, back
 * CPE BL/BR, back SCE BC, LFE; channels sorted in WAVE order. Other PCE
 * layouts (a side SCE, a third front pair...) are SEGUE_ERR_UNSUPPORTED.
 * PNS noise follows FFmpeg's generator (LCG 1664525, 1013904223 from
 * 0x1f2e3d4c, restarted by reset) so decodes can be compared with it.
 *
 * Damage: a raw_data_block with an impossible field (reserved codebook 12,
 * sections or pulses past max_sfb, scalefactor out of 0..255, escape longer
 * than 8191, TNS order above 12/7, a missing channel element, bits past the
 * end of the packet...) or an element this LC decoder does not implement
 * (a coupling channel element, Main prediction, SSR gain control) is
 * SEGUE_ERR_CORRUPT with a detail in strict mode. Otherwise the packet is
 * concealed: the channels not yet decoded in that frame output the tail of
 * the previous frame's overlap (a fade to silence) and restart, and decode
 * returns SEGUE_CODEC_CONCEALED with the detail "aac: <what> in packet N"
 * (N counts the packets from init, 1 first): the stream keeps going and the
 * core counts the packet.
 *
 * Memory: sizeof(aac_state) = 40 744 bytes on x86_64, 40 712 on mipsel (the
 * budget is 48 KiB for stereo; tests/aac/aac_unit.c checks it); mono and
 * stereo allocate nothing. More than two channels allocate one block at init
 * of channels * 2 * 4096 bytes (overlap + output; 64 KiB for 8 channels).
 * Nothing allocates after init.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/aac/aac_tables.h"
#include "core/alloc.h"
#include "simd/dsp.h"

enum {
    FRAME = 1024,
    MAX_CH = 8,
    MAX_ELEM = 8,
    MAX_BANDS = 128, /* window groups x bands: 1 x 51 long, 8 x 15 short */
    /* 4.5.2.3.3 codebooks */
    ZERO_HCB = 0,
    ESC_HCB = 11,
    RESERVED_HCB = 12,
    NOISE_HCB = 13,
    INTENSITY_HCB2 = 14,
    INTENSITY_HCB = 15,
    /* Table 4.85 window_sequence */
    ONLY_LONG = 0,
    LONG_START = 1,
    EIGHT_SHORT = 2,
    LONG_STOP = 3,
    /* Table 4.85 syntactic elements */
    ID_SCE = 0,
    ID_CPE = 1,
    ID_CCE = 2,
    ID_LFE = 3,
    ID_DSE = 4,
    ID_PCE = 5,
    ID_FIL = 6,
    ID_END = 7,
    /* Table 4.121 extension_type */
    EXT_SBR_DATA = 13,
    EXT_SBR_DATA_CRC = 14
};

/* WAVE speaker positions (bit numbers of the channel mask). */
enum { SP_FL, SP_FR, SP_FC, SP_LFE, SP_BL, SP_BR, SP_FLC, SP_FRC, SP_BC, SP_SL, SP_SR };

/* ---- bit reader, MSB first (reads past the end give zeros; br_overrun
 * tells afterwards) ----
 *
 * A 64-bit cache of the next bits, MSB first, refilled a whole number of
 * bytes at a time with one unaligned big-endian 8-byte load while 8 bytes
 * remain (byte by byte, zeros past the end, near it). After br_refill at
 * least 56 bits are valid. Bits below the valid ones may hold the bytes
 * that follow; the next refill ORs the same bits over them. */

typedef struct bitreader {
    const uint8_t *data;
    size_t size;    /* bytes */
    size_t next;    /* the next byte to load (may pass size: virtual zeros) */
    uint64_t cache; /* the unread bits from the top */
    unsigned avail; /* how many of them are valid, < 64 */
} bitreader;

#if defined(__GNUC__)
#define AAC_INLINE static inline __attribute__((always_inline))
#define AAC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define AAC_INLINE static inline
#define AAC_UNLIKELY(x) (x)
#endif

static inline uint64_t load_be64(const uint8_t *p)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
#endif
}

static void br_init(bitreader *br, const uint8_t *data, size_t size)
{
    br->data = data;
    br->size = size;
    br->next = 0;
    br->cache = 0;
    br->avail = 0;
}

/* Inline whole (the tail loop too), so that a bitreader copied into a
 * local stays in registers in the spectral loops. */
AAC_INLINE void br_refill(bitreader *br)
{
    if (br->next + 8 <= br->size) {
        br->cache |= load_be64(br->data + br->next) >> br->avail;
        br->next += (63u - br->avail) >> 3;
        br->avail |= 56u;
    } else {
        while (br->avail < 56) {
            uint64_t b = br->next < br->size ? br->data[br->next] : 0u;
            br->cache |= b << (56u - br->avail);
            br->next++;
            br->avail += 8;
        }
    }
}

/* Drops n <= avail bits. */
AAC_INLINE void br_consume(bitreader *br, unsigned n)
{
    br->cache <<= n;
    br->avail -= n;
}

static inline unsigned br_bit(bitreader *br)
{
    br_refill(br);
    unsigned b = (unsigned)(br->cache >> 63);
    br_consume(br, 1);
    return b;
}

/* The next n bits (any n; above 32 the low 32 bits of the value, for
 * fields read only to skip them). */
static inline unsigned br_read(bitreader *br, unsigned n)
{
    unsigned v = 0;
    for (; n > 32; n -= 32) {
        br_refill(br);
        v = (unsigned)(br->cache >> 32);
        br_consume(br, 32);
    }
    if (n == 0)
        return v;
    br_refill(br);
    v = (n < 32 ? v << n : 0u) | (unsigned)(br->cache >> (64u - n));
    br_consume(br, n);
    return v;
}

/* Bit position from the start. */
static size_t br_tell(const bitreader *br)
{
    return br->next * 8u - br->avail;
}

static void br_seek(bitreader *br, size_t pos)
{
    br->next = pos >> 3;
    br->cache = 0;
    br->avail = 0;
    br_refill(br);
    br_consume(br, (unsigned)(pos & 7u));
}

static int br_overrun(const bitreader *br)
{
    return br_tell(br) > br->size * 8u;
}

static void br_align(bitreader *br)
{
    br_consume(br, br->avail & 7u);
}

/* One Huffman table entry of a book's two-level table (aac_tables.h), its
 * bits consumed. */
AAC_INLINE uint32_t huff_entry(bitreader *br, const uint32_t *lut)
{
    br_refill(br);
    uint32_t e = lut[br->cache >> (64 - AAC_HUFF_LUT_BITS)];
    if (AAC_UNLIKELY(e & AAC_HUFF_SUB)) {
        br_consume(br, AAC_HUFF_LUT_BITS);
        e = lut[(e >> 8) + (uint32_t)(br->cache >> (64u - (e & 0x1fu)))];
    }
    br_consume(br, e & 0x3fu);
    return e;
}

/* A scalefactor codeword's index (Table 4.A.1). */
static inline unsigned huff_sf(bitreader *br)
{
    return (huff_entry(br, aac_huff_lut) >> 8) & 0xffu;
}

/* ---- state ---- */

/* 4.4.2.1 individual_channel_stream side information. */
typedef struct aac_ics {
    uint8_t window_sequence, window_shape, max_sfb, num_groups, num_windows, num_swb;
    uint8_t group_len[8];
    const uint16_t *swb;
    uint8_t band_type[MAX_BANDS];
    int16_t sf[MAX_BANDS]; /* scalefactor, intensity position or noise energy */
    uint8_t tns_n_filt[8];
    uint8_t tns_coef_res[8];
    uint8_t tns_length[8][3], tns_order[8][3], tns_direction[8][3];
    uint8_t tns_coef[8][3][12]; /* codes of 3 + coef_res bits */
} aac_ics;

/* Where an element's channels go. */
typedef struct aac_elem {
    uint8_t type; /* ID_SCE, ID_CPE, ID_LFE */
    uint8_t key;  /* instance tag (PCE layouts) or occurrence (configurations) */
    uint8_t ch[2];
} aac_elem;

typedef struct aac_state {
    const segue_dsp *dsp;
    uint32_t channels;
    unsigned sfi; /* sampling frequency index 0..12 */
    int strict;
    int by_tag;         /* match elements by instance tag (PCE) */
    int layout_pending; /* configuration 0 without a PCE yet */
    unsigned num_elem;
    aac_elem elem[MAX_ELEM];
    uint32_t random_state;
    uint8_t prev_shape[MAX_CH];
    uint8_t done[MAX_CH];
    unsigned long long frame_no;
    int lc_seen; /* a packet decoded without SBR data (kept by reset) */
    float *overlap; /* [channels][1024] */
    float *pcm;     /* [1024][channels] */
    void *ext;      /* the allocation of more than two channels */
    aac_ics ics[2];
    uint8_t ms_used[MAX_BANDS];
    unsigned ms_mask_present;
    int16_t q[FRAME];
    float spec[2][FRAME];
    float imdct[2 * FRAME];
    float work[FRAME];
    float overlap2[2 * FRAME];
    float pcm2[2 * FRAME];
} aac_state;

static const uint32_t sample_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                          22050, 16000, 12000, 11025, 8000,  7350};

static segue_status corrupt(aac_state *s, segue_error *err, const char *what)
{
    return segue_error_set(err, SEGUE_ERR_CORRUPT, "aac: %s in packet %llu", what, s->frame_no);
}

/* ---- channel layouts (1.6.3.5 Table 1.19, 4.5.1.2 PCE) ---- */

static void add_elem(aac_state *s, unsigned type, unsigned key, unsigned c0, unsigned c1)
{
    aac_elem *e = &s->elem[s->num_elem++];
    e->type = (uint8_t)type;
    e->key = (uint8_t)key;
    e->ch[0] = (uint8_t)c0;
    e->ch[1] = (uint8_t)c1;
}

/* Elements of channel configuration 1..7 in stream order (Table 1.19),
 * mapped to WAVE order; returns the channel count. */
static unsigned layout_from_config(aac_state *s, unsigned config)
{
    s->num_elem = 0;
    s->by_tag = 0;
    switch (config) {
    case 1:
        add_elem(s, ID_SCE, 0, 0, 0);
        return 1;
    case 2:
        add_elem(s, ID_CPE, 0, 0, 1);
        return 2;
    case 3:
        add_elem(s, ID_SCE, 0, 2, 0);
        add_elem(s, ID_CPE, 0, 0, 1);
        return 3;
    case 4:
        add_elem(s, ID_SCE, 0, 2, 0);
        add_elem(s, ID_CPE, 0, 0, 1);
        add_elem(s, ID_SCE, 1, 3, 0);
        return 4;
    case 5:
        add_elem(s, ID_SCE, 0, 2, 0);
        add_elem(s, ID_CPE, 0, 0, 1);
        add_elem(s, ID_CPE, 1, 3, 4);
        return 5;
    case 6:
        add_elem(s, ID_SCE, 0, 2, 0);
        add_elem(s, ID_CPE, 0, 0, 1);
        add_elem(s, ID_CPE, 1, 4, 5);
        add_elem(s, ID_LFE, 0, 3, 0);
        return 6;
    case 7:
        add_elem(s, ID_SCE, 0, 2, 0);
        add_elem(s, ID_CPE, 0, 0, 1);
        add_elem(s, ID_CPE, 1, 6, 7);
        add_elem(s, ID_CPE, 2, 4, 5);
        add_elem(s, ID_LFE, 0, 3, 0);
        return 8;
    default:
        return 0;
    }
}

/* 4.4.1.1 program_config_element (after the element_instance_tag when
 * `in_block`); builds the layout when `build`. Returns the channel count,
 * 0 when the layout is not one this decoder maps, -1 when truncated. */
static int parse_pce(aac_state *s, bitreader *br, int build)
{
    br_read(br, 2); /* object_type */
    unsigned sfi = br_read(br, 4);
    unsigned nf = br_read(br, 4), ns = br_read(br, 4), nb = br_read(br, 4);
    unsigned nl = br_read(br, 2), na = br_read(br, 3), nc = br_read(br, 4);
    if (br_read(br, 1))
        br_read(br, 4); /* mono_mixdown_element_number */
    if (br_read(br, 1))
        br_read(br, 4); /* stereo_mixdown_element_number */
    if (br_read(br, 1))
        br_read(br, 3); /* matrix_mixdown_idx, pseudo_surround_enable */
    unsigned is_cpe[3][16], tag[3][16], n[3] = {nf, ns, nb}, lfe_tag[4];
    for (unsigned w = 0; w < 3; w++)
        for (unsigned i = 0; i < n[w]; i++) {
            is_cpe[w][i] = br_read(br, 1);
            tag[w][i] = br_read(br, 4);
        }
    for (unsigned i = 0; i < nl; i++)
        lfe_tag[i] = br_read(br, 4);
    br_read(br, 4 * na);  /* assoc_data_element_tag_select */
    br_read(br, 5 * nc);  /* cc_element_is_ind_sw, valid_cc_element_tag_select */
    br_align(br);
    unsigned comment = br_read(br, 8);
    br_seek(br, br_tell(br) + 8u * comment);
    if (br_overrun(br))
        return -1;
    if (!build)
        return 1;
    (void)sfi;
    /* Speaker positions per element channel. */
    int pos[MAX_ELEM][2];
    unsigned types[MAX_ELEM], keys[MAX_ELEM], ne = 0, used = 0, count = 0, front_pairs = 0;
    for (unsigned w = 0; w < 3; w++)
        for (unsigned i = 0; i < n[w]; i++) {
            if (ne == MAX_ELEM)
                return 0;
            int a, b = -1;
            if (!is_cpe[w][i]) {
                a = w == 0 ? SP_FC : w == 2 ? SP_BC : -1;
            } else if (w == 0) {
                a = front_pairs == 0 ? SP_FL : front_pairs == 1 ? SP_FLC : -1;
                b = a + 1;
                front_pairs++;
            } else {
                a = w == 1 ? SP_SL : SP_BL;
                b = a + 1;
            }
            if (a < 0 || (used & (1u << a)) || (b >= 0 && (used & (1u << b))))
                return 0;
            used |= 1u << a;
            if (b >= 0)
                used |= 1u << b;
            types[ne] = is_cpe[w][i] ? ID_CPE : ID_SCE;
            keys[ne] = tag[w][i];
            pos[ne][0] = a;
            pos[ne][1] = b;
            ne++;
        }
    for (unsigned i = 0; i < nl; i++) {
        if (ne == MAX_ELEM || (used & (1u << SP_LFE)))
            return 0;
        used |= 1u << SP_LFE;
        types[ne] = ID_LFE;
        keys[ne] = lfe_tag[i];
        pos[ne][0] = SP_LFE;
        pos[ne][1] = -1;
        ne++;
    }
    for (unsigned i = 0; i < 16; i++)
        count += (used >> i) & 1u;
    if (count == 0 || count > MAX_CH)
        return 0;
    s->num_elem = 0;
    s->by_tag = 1;
    for (unsigned e = 0; e < ne; e++) {
        unsigned ch[2] = {0, 0};
        for (unsigned k = 0; k < 2; k++)
            if (pos[e][k] >= 0)
                for (int j = 0; j < pos[e][k]; j++)
                    ch[k] += (used >> j) & 1u;
        add_elem(s, types[e], keys[e], ch[0], ch[1]);
    }
    return (int)count;
}

/* ---- individual_channel_stream (4.4.2.6-4.4.2.7, 4.6) ---- */

static segue_status read_ics_info(aac_state *s, bitreader *br, aac_ics *ics, segue_error *err)
{
    if (br_read(br, 1))
        return corrupt(s, err, "ics_reserved_bit set");
    ics->window_sequence = (uint8_t)br_read(br, 2);
    ics->window_shape = (uint8_t)br_read(br, 1);
    if (ics->window_sequence == EIGHT_SHORT) {
        ics->max_sfb = (uint8_t)br_read(br, 4);
        unsigned grouping = br_read(br, 7);
        ics->num_windows = 8;
        ics->num_groups = 1;
        ics->group_len[0] = 1;
        /* 4.5.2.3.3: bit 6 - i set: window i + 1 joins the group of window i. */
        for (unsigned i = 0; i < 7; i++) {
            if ((grouping >> (6u - i)) & 1u) {
                ics->group_len[ics->num_groups - 1]++;
            } else {
                ics->group_len[ics->num_groups++] = 1;
            }
        }
        ics->num_swb = aac_num_swb_short[s->sfi];
        ics->swb = aac_swb_short[s->sfi];
    } else {
        ics->max_sfb = (uint8_t)br_read(br, 6);
        if (br_read(br, 1))
            return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                   "aac: predictor_data_present (AAC Main) in an LC stream, "
                                   "packet %llu", s->frame_no);
        ics->num_windows = 1;
        ics->num_groups = 1;
        ics->group_len[0] = 1;
        ics->num_swb = aac_num_swb_long[s->sfi];
        ics->swb = aac_swb_long[s->sfi];
    }
    if (ics->max_sfb > ics->num_swb)
        return corrupt(s, err, "max_sfb above the band count");
    return SEGUE_OK;
}

/* 4.4.2.7 section_data. */
static segue_status read_section_data(aac_state *s, bitreader *br, aac_ics *ics, segue_error *err)
{
    unsigned bits = ics->window_sequence == EIGHT_SHORT ? 3 : 5, esc = (1u << bits) - 1u;
    for (unsigned g = 0; g < ics->num_groups; g++) {
        unsigned k = 0;
        while (k < ics->max_sfb) {
            unsigned cb = br_read(br, 4), len = 0, inc;
            if (cb == RESERVED_HCB)
                return corrupt(s, err, "reserved codebook 12 in section_data");
            do {
                inc = br_read(br, bits);
                len += inc;
            } while (inc == esc && !br_overrun(br));
            if (br_overrun(br))
                return corrupt(s, err, "section_data past the end");
            if (len == 0 || k + len > ics->max_sfb)
                return corrupt(s, err, "bad section length in section_data");
            for (unsigned i = 0; i < len; i++)
                ics->band_type[g * ics->num_swb + k + i] = (uint8_t)cb;
            k += len;
        }
    }
    return SEGUE_OK;
}

/* 4.4.2.7 scale_factor_data, 4.6.2.3 (scalefactors), 4.6.8.2.3 (intensity
 * positions), 4.6.13.3 (noise energies). */
static segue_status read_scalefactors(aac_state *s, bitreader *br, aac_ics *ics,
                                      unsigned global_gain, segue_error *err)
{
    int sf = (int)global_gain, is_pos = 0, nrg = (int)global_gain - 90, first_noise = 1;
    for (unsigned g = 0; g < ics->num_groups; g++) {
        for (unsigned b = 0; b < ics->max_sfb; b++) {
            unsigned idx = g * ics->num_swb + b;
            switch (ics->band_type[idx]) {
            case ZERO_HCB:
                ics->sf[idx] = 0;
                break;
            case INTENSITY_HCB:
            case INTENSITY_HCB2:
                is_pos += (int)huff_sf(br) - 60;
                if (is_pos < -155 || is_pos > 155)
                    return corrupt(s, err, "intensity position out of range");
                ics->sf[idx] = (int16_t)is_pos;
                break;
            case NOISE_HCB:
                if (first_noise) {
                    nrg += (int)br_read(br, 9) - 256;
                    first_noise = 0;
                } else {
                    nrg += (int)huff_sf(br) - 60;
                }
                if (nrg < -100 || nrg > 155)
                    return corrupt(s, err, "noise energy out of range");
                ics->sf[idx] = (int16_t)nrg;
                break;
            default:
                sf += (int)huff_sf(br) - 60;
                if (sf < 0 || sf > 255)
                    return corrupt(s, err, "scalefactor out of range");
                ics->sf[idx] = (int16_t)sf;
                break;
            }
        }
    }
    if (br_overrun(br))
        return corrupt(s, err, "scale_factor_data past the end");
    return SEGUE_OK;
}

/* 4.4.2.7 tns_data. */
static segue_status read_tns(aac_state *s, bitreader *br, aac_ics *ics, segue_error *err)
{
    int is8 = ics->window_sequence == EIGHT_SHORT;
    unsigned max_order = is8 ? 7 : 12;
    for (unsigned w = 0; w < ics->num_windows; w++) {
        unsigned nf = br_read(br, is8 ? 1 : 2);
        ics->tns_n_filt[w] = (uint8_t)nf;
        if (!nf)
            continue;
        unsigned res = br_read(br, 1);
        ics->tns_coef_res[w] = (uint8_t)res;
        for (unsigned f = 0; f < nf; f++) {
            ics->tns_length[w][f] = (uint8_t)br_read(br, is8 ? 4 : 6);
            unsigned order = br_read(br, is8 ? 3 : 5);
            if (order > max_order)
                return corrupt(s, err, "TNS order above the LC maximum");
            ics->tns_order[w][f] = (uint8_t)order;
            if (!order)
                continue;
            ics->tns_direction[w][f] = (uint8_t)br_read(br, 1);
            unsigned compress = br_read(br, 1);
            unsigned bits = 3 + res - compress, full = 3 + res;
            for (unsigned i = 0; i < order; i++) {
                unsigned code = br_read(br, bits);
                /* Sign-extend from `bits` and re-code in `full` bits. */
                if (compress && (code >> (bits - 1)))
                    code |= 1u << bits;
                ics->tns_coef[w][f][i] = (uint8_t)(code & ((1u << full) - 1u));
            }
        }
    }
    return SEGUE_OK;
}

/* 4.6.3.3: escape_sequence after a codebook 11 value of 16: N ones, a
 * zero, N + 4 bits w; the value is 2^(N + 4) + w. N above 8 (a value above
 * 8191) is damage: -1. */
AAC_INLINE int read_escape(bitreader *br)
{
    br_refill(br);
    unsigned n = 0;
    while (br->cache >> 63) {
        br_consume(br, 1);
        if (++n > 8)
            return -1;
    }
    br_consume(br, 1);
    /* At most 9 bits (8 ones, the zero) consumed since the refill: the
     * 12 that follow are in the cache. */
    int v = (int)((1u << (n + 4)) + (unsigned)(br->cache >> (60u - n)));
    br_consume(br, n + 4);
    return v;
}

/* The sign bits of an entry whose signs did not fit in its table index
 * (one per nonzero value, in order, 4.6.3.3): the entry with them applied,
 * without branches (the signs are random). The cache holds them (see
 * spectral_band). */
AAC_INLINE uint32_t apply_signs(bitreader *br, uint32_t e, unsigned dim)
{
    unsigned nz = (e >> 8) & 7u, width = dim == 4 ? 4u : 6u;
    unsigned signs = (unsigned)(br->cache >> (64u - nz));
    br_consume(br, nz);
    uint32_t mask = (1u << width) - 1u;
    for (unsigned j = 0; j < dim; j++) {
        unsigned sh = 32u - width * (j + 1);
        uint32_t v = (e >> sh) & mask, has = v != 0;
        /* This value's sign is bit nz - 1 of what is left (when it has one). */
        uint32_t neg = (signs >> (nz - has)) & has;
        nz -= has;
        e ^= ((v ^ ((0u - v) & mask)) << sh) & (0u - neg);
    }
    return e & ~(uint32_t)AAC_HUFF_SIGNS;
}

/* Value j of a spectral entry (aac_tables.h): 4-bit fields for quads,
 * 6-bit for pairs, two's complement, first value on top. */
AAC_INLINE int spec_value(uint32_t e, unsigned dim, unsigned j)
{
    unsigned width = dim == 4 ? 4u : 6u, top = 1u << (width - 1);
    unsigned v = (e >> (32u - width * (j + 1))) & ((1u << width) - 1u);
    return (int)(v ^ top) - (int)top;
}

/* Where spectral_band puts a band's values: `q` (integers, for pulse data
 * to amend before inverse quantisation) or, fused with it (4.6.1.3), `f`
 * = sign(v) |v|^(4/3) * gain, the same floats the dsp kernel gives. */
typedef struct spec_out {
    int16_t *q;
    float *f;
    float gain;
    const segue_dsp *dsp;
} spec_out;

/* One codeword and its signs (no refill: the caller's leaves room), for
 * book 11 its escapes; the values to line k of `out` (`fused`: floats).
 * Returns -1 on a bad escape. */
AAC_INLINE int spectral_codeword(bitreader *br, const uint32_t *lut, const spec_out *out,
                                 unsigned k, unsigned dim, int esc, int fused)
{
    uint32_t e = lut[br->cache >> (64 - AAC_HUFF_LUT_BITS)];
    if (AAC_UNLIKELY(e & AAC_HUFF_SUB)) {
        br_consume(br, AAC_HUFF_LUT_BITS);
        e = lut[(e >> 8) + (uint32_t)(br->cache >> (64u - (e & 0x1fu)))];
    }
    br_consume(br, e & 0x3fu);
    if (AAC_UNLIKELY(e & AAC_HUFF_SIGNS))
        e = apply_signs(br, e, dim);
    if (esc && AAC_UNLIKELY(e & AAC_HUFF_ESC)) {
        int v[2] = {spec_value(e, 2, 0), spec_value(e, 2, 1)};
        for (unsigned j = 0; j < 2; j++) {
            if (v[j] == 16 || v[j] == -16) {
                int x = read_escape(br);
                if (x < 0)
                    return -1;
                v[j] = v[j] < 0 ? -x : x;
            }
        }
        br_refill(br);
        if (!fused) {
            out->q[k] = (int16_t)v[0];
            out->q[k + 1] = (int16_t)v[1];
        } else {
            int16_t t[2] = {(int16_t)v[0], (int16_t)v[1]};
            out->dsp->aac_dequant(out->f + k, t, 2, out->gain);
        }
        return 0;
    }
    if (!fused) {
        for (unsigned j = 0; j < dim; j++)
            out->q[k + j] = (int16_t)spec_value(e, dim, j);
    } else if (dim == 4) {
        for (unsigned j = 0; j < 4; j++)
            out->f[k + j] = aac_spec_pow43_quad[(e >> (28u - 4u * j)) & 15u] * out->gain;
    } else {
        out->f[k] = aac_spec_pow43_pair[e >> 26] * out->gain;
        out->f[k + 1] = aac_spec_pow43_pair[(e >> 20) & 63u] * out->gain;
    }
    return 0;
}

/* One band of one window, two codewords per refill: a codeword with its
 * signs is at most 20 bits (16 + 4, book 3), so the 56 bits after a refill
 * hold two, and the four sign bits of a pending entry. A band holds an even
 * number of pairs (widths are multiples of 4) but maybe an odd number of
 * quads. `dim`, `esc` and `fused` are constants at each call, so each shape
 * gets its own loop. Returns -1 on a bad escape. */
AAC_INLINE int spectral_band(bitreader *br, const uint32_t *lut, const spec_out *out,
                             unsigned k, unsigned end, unsigned dim, int esc, int fused)
{
    for (; k + 2 * dim <= end; k += 2 * dim) {
        br_refill(br);
        if (spectral_codeword(br, lut, out, k, dim, esc, fused) < 0 ||
            spectral_codeword(br, lut, out, k + dim, dim, esc, fused) < 0)
            return -1;
    }
    if (k < end) {
        br_refill(br);
        if (spectral_codeword(br, lut, out, k, dim, esc, fused) < 0)
            return -1;
    }
    return 0;
}

/* A band of book cb (1..11) in the shape its loop needs. */
AAC_INLINE int spectral_band_cb(bitreader *br, unsigned cb, const spec_out *out, unsigned start,
                                unsigned end, int fused)
{
    const uint32_t *lut = aac_huff_lut + aac_huff_lut_root[cb];
    if (cb < 5)
        return spectral_band(br, lut, out, start, end, 4, 0, fused);
    if (cb < ESC_HCB)
        return spectral_band(br, lut, out, start, end, 2, 0, fused);
    return spectral_band(br, lut, out, start, end, 2, 1, fused);
}

/* 4.4.2.7 spectral_data (window w's line k at w * 128 + k): with
 * `fused`, inverse quantised into spec (zeroed here; noise and intensity
 * bands are left zero), else the integers into s->q. */
static segue_status read_spectral(aac_state *s, bitreader *br_in, const aac_ics *ics,
                                  float *spec, int fused, segue_error *err)
{
    /* A local copy the compiler can keep in registers. */
    bitreader local = *br_in, *br = &local;
    spec_out out = {s->q, spec, 0.0f, s->dsp};
    if (fused)
        memset(spec, 0, FRAME * sizeof(float));
    else
        memset(s->q, 0, sizeof s->q);
    unsigned w0 = 0;
    for (unsigned g = 0; g < ics->num_groups; g++) {
        for (unsigned b = 0; b < ics->max_sfb; b++) {
            unsigned idx = g * ics->num_swb + b, cb = ics->band_type[idx];
            if (cb == ZERO_HCB || cb >= NOISE_HCB)
                continue;
            unsigned start = ics->swb[b], end = ics->swb[b + 1];
            out.gain = aac_sf_gain[ics->sf[idx]];
            for (unsigned win = 0; win < ics->group_len[g]; win++) {
                unsigned base = (w0 + win) * 128u;
                out.q = s->q + base;
                out.f = spec + base;
                int bad = fused ? spectral_band_cb(br, cb, &out, start, end, 1)
                                : spectral_band_cb(br, cb, &out, start, end, 0);
                if (bad)
                    return corrupt(s, err, "escape sequence too long");
            }
            if (br_overrun(br))
                return corrupt(s, err, "spectral_data past the end");
        }
        w0 += ics->group_len[g];
    }
    *br_in = local;
    return SEGUE_OK;
}

/* PNS noise generator (see the top): x' = a x + c mod 2^32. */
#define LCG_A 1664525u
#define LCG_C 1013904223u

/* Fills dst[0..n) with the generator's next n values as signed 32-bit
 * numbers (n a multiple of 4: band widths are) and returns their energy.
 * Four interleaved streams, each stepping 4 values at once (x[i + 4] =
 * a^4 x[i] + c (a^3 + a^2 + a + 1)), so the chains run in parallel; the
 * same sequence as one value at a time. */
static float noise_fill(uint32_t *state, float *dst, unsigned n)
{
    const uint32_t a2 = LCG_A * LCG_A, a4 = a2 * a2;
    const uint32_t c4 = LCG_C * (a2 * LCG_A + a2 + LCG_A + 1u);
    uint32_t x0 = *state * LCG_A + LCG_C;
    uint32_t x1 = x0 * LCG_A + LCG_C, x2 = x1 * LCG_A + LCG_C, x3 = x2 * LCG_A + LCG_C;
    float e0 = 0.0f, e1 = 0.0f, e2 = 0.0f, e3 = 0.0f;
    for (unsigned k = 0; k < n; k += 4) {
        float r0 = (float)(int32_t)x0, r1 = (float)(int32_t)x1;
        float r2 = (float)(int32_t)x2, r3 = (float)(int32_t)x3;
        dst[k] = r0;
        dst[k + 1] = r1;
        dst[k + 2] = r2;
        dst[k + 3] = r3;
        e0 += r0 * r0;
        e1 += r1 * r1;
        e2 += r2 * r2;
        e3 += r3 * r3;
        *state = x3;
        x0 = x0 * a4 + c4;
        x1 = x1 * a4 + c4;
        x2 = x2 * a4 + c4;
        x3 = x3 * a4 + c4;
    }
    return (e0 + e1) + (e2 + e3);
}

/* 4.6.1.3 inverse quantisation and scaling of s->q into spec (`from_q`;
 * else read_spectral did it), 4.6.13.3 noise substitution. Intensity bands
 * are left zero (filled by the CPE). */
static void dequantise(aac_state *s, const aac_ics *ics, float *spec, int from_q)
{
    if (from_q)
        memset(spec, 0, FRAME * sizeof(float));
    unsigned w0 = 0;
    for (unsigned g = 0; g < ics->num_groups; g++) {
        for (unsigned b = 0; b < ics->max_sfb; b++) {
            unsigned idx = g * ics->num_swb + b, cb = ics->band_type[idx];
            unsigned start = ics->swb[b], width = ics->swb[b + 1] - start;
            if (cb == ZERO_HCB || cb == INTENSITY_HCB || cb == INTENSITY_HCB2 ||
                (!from_q && cb != NOISE_HCB))
                continue;
            for (unsigned win = 0; win < ics->group_len[g]; win++) {
                unsigned off = (w0 + win) * 128u + start;
                if (cb == NOISE_HCB) {
                    float energy = noise_fill(&s->random_state, spec + off, width);
                    /* 2^(nrg / 4) in 1.0 = full scale units (see aac_sf_gain). */
                    float scale = exp2f(0.25f * (float)ics->sf[idx]) / (32768.0f * sqrtf(energy));
                    /* Pointer and count in size_t so the compiler sees a
                     * contiguous run and vectorises it. */
                    float *x = spec + off;
                    for (size_t k = 0; k < width; k++)
                        x[k] *= scale;
                } else if (from_q) {
                    s->dsp->aac_dequant(spec + off, s->q + off, width, aac_sf_gain[ics->sf[idx]]);
                }
            }
        }
        w0 += ics->group_len[g];
    }
}

/* 4.4.2.7 individual_channel_stream: side info, spectrum into `spec`. */
static segue_status read_ics(aac_state *s, bitreader *br, aac_ics *ics, int common_window,
                             float *spec, segue_error *err)
{
    unsigned global_gain = br_read(br, 8);
    segue_status st;
    if (!common_window && (st = read_ics_info(s, br, ics, err)) < 0)
        return st;
    if ((st = read_section_data(s, br, ics, err)) < 0)
        return st;
    if ((st = read_scalefactors(s, br, ics, global_gain, err)) < 0)
        return st;
    /* 4.4.2.7 pulse_data (4.6.4). */
    unsigned npulse = 0, pulse_pos[4] = {0, 0, 0, 0}, pulse_amp[4] = {0, 0, 0, 0};
    if (br_read(br, 1)) {
        if (ics->window_sequence == EIGHT_SHORT)
            return corrupt(s, err, "pulse data in a short window");
        npulse = br_read(br, 2) + 1;
        unsigned start = br_read(br, 6);
        if (start >= ics->num_swb)
            return corrupt(s, err, "pulse_start_sfb above the band count");
        unsigned k = ics->swb[start];
        for (unsigned i = 0; i < npulse; i++) {
            k += br_read(br, 5);
            pulse_pos[i] = k;
            pulse_amp[i] = br_read(br, 4);
        }
        if (k >= FRAME)
            return corrupt(s, err, "pulse past the spectrum");
    }
    memset(ics->tns_n_filt, 0, sizeof ics->tns_n_filt);
    if (br_read(br, 1) && (st = read_tns(s, br, ics, err)) < 0)
        return st;
    if (br_read(br, 1))
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "aac: gain_control_data (AAC SSR) in an LC stream, packet %llu",
                               s->frame_no);
    /* Without pulse data the spectrum is inverse quantised as it is read. */
    if ((st = read_spectral(s, br, ics, spec, npulse == 0, err)) < 0)
        return st;
    for (unsigned i = 0; i < npulse; i++) {
        int v = s->q[pulse_pos[i]];
        v += v > 0 ? (int)pulse_amp[i] : -(int)pulse_amp[i];
        if (v > 8191 || v < -8191)
            return corrupt(s, err, "pulse amplitude above 8191");
        s->q[pulse_pos[i]] = (int16_t)v;
    }
    dequantise(s, ics, spec, npulse != 0);
    return SEGUE_OK;
}

/* 4.6.9.3 TNS: all-pole filtering of each window's filtered bands. */
static void apply_tns(const aac_state *s, const aac_ics *ics, float *spec)
{
    int is8 = ics->window_sequence == EIGHT_SHORT;
    unsigned mmm = aac_tns_max_bands[is8][s->sfi];
    if (mmm > ics->max_sfb)
        mmm = ics->max_sfb;
    for (unsigned w = 0; w < ics->num_windows; w++) {
        float *x = spec + w * 128u;
        unsigned bottom = ics->num_swb;
        for (unsigned f = 0; f < ics->tns_n_filt[w]; f++) {
            unsigned top = bottom, order = ics->tns_order[w][f];
            bottom = top > ics->tns_length[w][f] ? top - ics->tns_length[w][f] : 0;
            if (!order)
                continue;
            /* Reflection coefficients to the direct form (4.6.9.3). */
            float lpc[13], tmp[13];
            lpc[0] = 1.0f;
            for (unsigned m = 1; m <= order; m++) {
                float k = aac_tns_coef[ics->tns_coef_res[w]][ics->tns_coef[w][f][m - 1]];
                for (unsigned i = 1; i < m; i++)
                    tmp[i] = lpc[i] + k * lpc[m - i];
                for (unsigned i = 1; i < m; i++)
                    lpc[i] = tmp[i];
                lpc[m] = k;
            }
            unsigned start = ics->swb[bottom < mmm ? bottom : mmm];
            unsigned end = ics->swb[top < mmm ? top : mmm];
            if (end <= start)
                continue;
            unsigned size = end - start;
            int inc = ics->tns_direction[w][f] ? -1 : 1;
            int pos = ics->tns_direction[w][f] ? (int)end - 1 : (int)start;
            float state[12] = {0};
            for (unsigned m = 0; m < size; m++, pos += inc) {
                float y = x[pos];
                for (unsigned i = 0; i < order; i++)
                    y -= lpc[i + 1] * state[i];
                for (unsigned i = order - 1; i > 0; i--)
                    state[i] = state[i - 1];
                state[0] = y;
                x[pos] = y;
            }
        }
    }
}

/* TNS, filterbank (4.6.11) and output of channel `ch`. */
static void synthesize(aac_state *s, const aac_ics *ics, float *spec, unsigned ch)
{
    apply_tns(s, ics, spec);
    const segue_dsp *dsp = s->dsp;
    unsigned seq = ics->window_sequence, prev = s->prev_shape[ch], cur = ics->window_shape;
    if (seq == EIGHT_SHORT) {
        for (unsigned w = 0; w < 8; w++)
            dsp->aac_imdct(s->imdct + 256 * w, spec + 128 * w, 8, s->work);
    } else {
        dsp->aac_imdct(s->imdct, spec, 11, s->work);
    }
    /* Rising halves: the left side's of the previous frame's shape, the
     * right side's of this frame's; long or short as the sequence says. */
    const float *left = seq == EIGHT_SHORT || seq == LONG_STOP
                            ? (prev ? aac_kbd_short : aac_sine_short)
                            : (prev ? aac_kbd_long : aac_sine_long);
    const float *right = seq == EIGHT_SHORT || seq == LONG_START
                             ? (cur ? aac_kbd_short : aac_sine_short)
                             : (cur ? aac_kbd_long : aac_sine_long);
    /* The spectrum is spent: the channel's samples go over it. */
    dsp->aac_window_overlap(spec, s->overlap + ch * FRAME, s->imdct, seq, left, right);
    s->prev_shape[ch] = ics->window_shape;
    s->done[ch] = 1;
}

/* Channel ch's samples (synthesize's, over its spectrum) into the
 * interleaved output. */
static void output_channel(aac_state *s, const float *x, unsigned ch)
{
    unsigned n = s->channels;
    float *pcm = s->pcm + ch;
    for (unsigned i = 0; i < FRAME; i++)
        pcm[i * n] = x[i];
}

/* 4.6.8.1 M/S and 4.6.8.2 intensity stereo of a CPE. */
static void apply_stereo(aac_state *s)
{
    const aac_ics *l = &s->ics[0], *r = &s->ics[1];
    float *sl = s->spec[0], *sr = s->spec[1];
    unsigned w0 = 0;
    for (unsigned g = 0; g < l->num_groups; g++) {
        for (unsigned b = 0; b < l->max_sfb; b++) {
            unsigned idx = g * l->num_swb + b, bl = l->band_type[idx], bt = r->band_type[idx];
            unsigned start = l->swb[b], end = l->swb[b + 1];
            if (bt == INTENSITY_HCB || bt == INTENSITY_HCB2) {
                float scale = exp2f(-0.25f * (float)r->sf[idx]);
                if (bt == INTENSITY_HCB2)
                    scale = -scale;
                /* 4.6.8.2.3 invert_intensity(): 1 - 2 ms_used only when
                 * ms_mask_present == 1; with 2 ("M/S on every band") the
                 * intensity bands are not inverted. libavcodec 5.1 inverts
                 * them too; faad2 follows the clause, and so do we: on
                 * ffmpeg's own forced-M/S streams the clause rebuilds the
                 * right channel closer to the source (docs/aac.md). */
                if (s->ms_mask_present == 1 && s->ms_used[idx])
                    scale = -scale;
                for (unsigned win = 0; win < l->group_len[g]; win++) {
                    size_t off = (w0 + win) * 128u;
                    s->dsp->scale_f32(sr + off + start, sl + off + start, scale, end - start);
                }
            } else if (s->ms_used[idx] && bl < NOISE_HCB && bt < NOISE_HCB) {
                for (unsigned win = 0; win < l->group_len[g]; win++) {
                    /* Distinct restrict pointers and a size_t count: a loop
                     * the compiler vectorises. */
                    float *restrict pl = sl + (w0 + win) * 128u + start;
                    float *restrict pr = sr + (w0 + win) * 128u + start;
                    for (size_t k = 0, n = end - start; k < n; k++) {
                        float m = pl[k], d = pr[k];
                        pl[k] = m + d;
                        pr[k] = m - d;
                    }
                }
            }
        }
        w0 += l->group_len[g];
    }
}

static const aac_elem *find_elem(const aac_state *s, unsigned type, unsigned key)
{
    for (unsigned i = 0; i < s->num_elem; i++)
        if (s->elem[i].type == type && s->elem[i].key == key)
            return &s->elem[i];
    return NULL;
}

/* 4.4.2.1 raw_data_block. */
static segue_status decode_block(aac_state *s, const uint8_t *data, size_t size, segue_error *err)
{
    bitreader br;
    br_init(&br, data, size);
    unsigned seen[4] = {0, 0, 0, 0};
    segue_status st;
    for (unsigned elements = 0;; elements++) {
        if (elements > 64)
            return corrupt(s, err, "too many elements");
        unsigned id = br_read(&br, 3);
        if (br_overrun(&br))
            return corrupt(s, err, "raw_data_block without ID_END");
        if (id == ID_END)
            break;
        switch (id) {
        case ID_SCE:
        case ID_LFE:
        case ID_CPE: {
            unsigned tag = br_read(&br, 4);
            if (s->layout_pending)
                return corrupt(s, err, "channel element before the program_config_element");
            const aac_elem *e = find_elem(s, id, s->by_tag ? tag : seen[id]);
            seen[id]++;
            if (!e)
                return segue_error_set(err, SEGUE_ERR_CORRUPT,
                                       "aac: %s element (tag %u) outside the channel "
                                       "configuration in packet %llu",
                                       id == ID_CPE ? "CPE" : id == ID_LFE ? "LFE" : "SCE", tag,
                                       s->frame_no);
            if (s->done[e->ch[0]] || (id == ID_CPE && s->done[e->ch[1]]))
                return corrupt(s, err, "channel element repeated");
            if (id != ID_CPE) {
                if ((st = read_ics(s, &br, &s->ics[0], 0, s->spec[0], err)) < 0)
                    return st;
                synthesize(s, &s->ics[0], s->spec[0], e->ch[0]);
                output_channel(s, s->spec[0], e->ch[0]);
                break;
            }
            unsigned common = br_read(&br, 1);
            memset(s->ms_used, 0, sizeof s->ms_used);
            s->ms_mask_present = 0;
            if (common) {
                if ((st = read_ics_info(s, &br, &s->ics[0], err)) < 0)
                    return st;
                s->ics[1] = s->ics[0];
                s->ms_mask_present = br_read(&br, 2);
                if (s->ms_mask_present == 3)
                    return corrupt(s, err, "reserved ms_mask_present 3");
                const aac_ics *ics = &s->ics[0];
                for (unsigned g = 0; g < ics->num_groups; g++)
                    for (unsigned b = 0; b < ics->max_sfb; b++)
                        s->ms_used[g * ics->num_swb + b] =
                            (uint8_t)(s->ms_mask_present == 2 ? 1 : s->ms_mask_present == 1
                                                                      ? br_read(&br, 1)
                                                                      : 0);
            }
            if ((st = read_ics(s, &br, &s->ics[0], (int)common, s->spec[0], err)) < 0)
                return st;
            if ((st = read_ics(s, &br, &s->ics[1], (int)common, s->spec[1], err)) < 0)
                return st;
            if (common)
                apply_stereo(s);
            synthesize(s, &s->ics[0], s->spec[0], e->ch[0]);
            synthesize(s, &s->ics[1], s->spec[1], e->ch[1]);
            if (s->channels == 2 && e->ch[0] == 0 && e->ch[1] == 1) {
                s->dsp->interleave2_f32(s->pcm, s->spec[0], s->spec[1], FRAME);
            } else {
                output_channel(s, s->spec[0], e->ch[0]);
                output_channel(s, s->spec[1], e->ch[1]);
            }
            break;
        }
        case ID_CCE:
            /* Coupling (4.4.2.1 coupling_channel_element) is not
             * implemented and LC encoders do not use it: in a stream the
             * AudioSpecificConfig calls LC, one is taken for damage. */
            return corrupt(s, err, "coupling_channel_element (not supported)");
        case ID_DSE: {
            br_read(&br, 4);
            unsigned align = br_read(&br, 1), count = br_read(&br, 8);
            if (count == 255)
                count += br_read(&br, 8);
            if (align)
                br_align(&br);
            br_seek(&br, br_tell(&br) + 8u * count);
            break;
        }
        case ID_PCE: {
            br_read(&br, 4);
            int n = parse_pce(s, &br, s->layout_pending);
            if (n < 0)
                return corrupt(s, err, "program_config_element past the end");
            if (s->layout_pending) {
                if ((unsigned)n != s->channels)
                    return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                           "aac: program_config_element with %d channels in a "
                                           "%u-channel stream",
                                           n, s->channels);
                s->layout_pending = 0;
            }
            break;
        }
        case ID_FIL: {
            unsigned count = br_read(&br, 4);
            if (count == 15)
                count += br_read(&br, 8) - 1u;
            if (count) {
                size_t start = br_tell(&br);
                unsigned type = br_read(&br, 4);
                /* Implicit SBR signalling (4.5.2.8.2): SBR data in the first
                 * packet makes this an HE-AAC stream, which is refused rather
                 * than played band-limited at half rate; once the stream has
                 * decoded as LC, SBR data is a fill element like any other and
                 * the LC core is what comes out. */
                if ((type == EXT_SBR_DATA || type == EXT_SBR_DATA_CRC) && !s->lc_seen)
                    return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                           "unsupported: HE-AAC (SBR)");
                br_seek(&br, start + 8u * count);
            }
            break;
        }
        default:
            break;
        }
        if (br_overrun(&br))
            return corrupt(s, err, "element past the end");
    }
    for (unsigned c = 0; c < s->channels; c++)
        if (!s->done[c])
            return corrupt(s, err, "missing channel element");
    return SEGUE_OK;
}

static void reset_state(aac_state *s)
{
    memset(s->overlap, 0, (size_t)s->channels * FRAME * sizeof(float));
    memset(s->prev_shape, 0, sizeof s->prev_shape);
    s->random_state = 0x1f2e3d4cu;
}

/* ---- AudioSpecificConfig (1.6.2.1) ---- */

static unsigned read_aot(bitreader *br)
{
    unsigned aot = br_read(br, 5);
    return aot == 31 ? 32 + br_read(br, 6) : aot;
}

static unsigned read_sfi(bitreader *br)
{
    unsigned sfi = br_read(br, 4);
    if (sfi != 15)
        return sfi;
    /* Explicit rate: the nearest table entry (4.5.1.1 Table 4.82 ranges). */
    uint32_t rate = br_read(br, 24);
    static const uint32_t lower[12] = {92017, 75132, 55426, 46009, 37566, 27713,
                                       23004, 18783, 13856, 11502, 9391,  0};
    for (unsigned i = 0; i < 12; i++)
        if (rate >= lower[i])
            return i;
    return 11;
}

static segue_status he_aac(segue_error *err)
{
    return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "unsupported: HE-AAC (SBR)");
}

static segue_status parse_asc(aac_state *s, const uint8_t *asc, size_t size, unsigned *channels,
                              segue_error *err)
{
    bitreader br;
    br_init(&br, asc, size);
    unsigned aot = read_aot(&br);
    unsigned sfi = read_sfi(&br);
    unsigned config = br_read(&br, 4);
    if (br_overrun(&br))
        return segue_error_set(err, SEGUE_ERR_CORRUPT,
                               "aac: AudioSpecificConfig of %zu bytes is truncated", size);
    if (aot == 5 || aot == 29)
        return he_aac(err);
    if (aot != 2)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "aac: audio object type %u not supported (AAC-LC, type 2, is)",
                               aot);
    if (sfi > 12)
        return segue_error_set(err, SEGUE_ERR_CORRUPT, "aac: sampling frequency index %u",
                               sfi);
    s->sfi = sfi;
    /* 4.4.1 GASpecificConfig */
    if (br_read(&br, 1))
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "aac: 960-sample frames (frameLengthFlag) not supported");
    if (br_read(&br, 1))
        br_read(&br, 14); /* coreCoderDelay */
    br_read(&br, 1);      /* extensionFlag: 0 for AAC-LC */
    if (config == 0) {
        size_t before = br_tell(&br);
        br_read(&br, 4); /* element_instance_tag */
        int n = parse_pce(s, &br, 1);
        if (n < 0) {
            /* No PCE here (a 2-byte ASC from ADTS): the first raw_data_block
             * brings it. */
            br_seek(&br, before);
            s->layout_pending = 1;
            *channels = 0;
        } else if (n == 0) {
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "aac: program_config_element layout not supported");
        } else {
            *channels = (unsigned)n;
        }
    } else if (config <= 7) {
        *channels = layout_from_config(s, config);
    } else {
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED, "aac: channel configuration %u",
                               config);
    }
    /* 1.6.2.1: explicit backward-compatible SBR signalling. */
    if (!s->layout_pending && br_tell(&br) + 16 <= size * 8u && br_read(&br, 11) == 0x2b7) {
        unsigned ext = read_aot(&br);
        if (ext == 5 && br_read(&br, 1))
            return he_aac(err);
    }
    return SEGUE_OK;
}

static segue_status aac_init(void *priv, const segue_codec_params *p, const segue_allocator *a,
                             segue_error *err)
{
    aac_state *s = priv;
    unsigned channels = 0;
    segue_status st;
    if (p->extradata && p->extradata_size) {
        if ((st = parse_asc(s, p->extradata, p->extradata_size, &channels, err)) < 0)
            return st;
        if (s->layout_pending) {
            if (p->channels < 1 || p->channels > MAX_CH)
                return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                       "aac: channel configuration 0 without a "
                                       "program_config_element and %u channels",
                                       p->channels);
            channels = p->channels;
        }
    } else {
        unsigned sfi = 13;
        for (unsigned i = 0; i < 13; i++)
            if (sample_rates[i] == p->sample_rate)
                sfi = i;
        if (sfi == 13)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "aac: no AudioSpecificConfig and a sample rate of %u Hz",
                                   p->sample_rate);
        s->sfi = sfi;
        unsigned config = p->channels == 8 ? 7 : p->channels <= 6 ? p->channels : 0;
        channels = layout_from_config(s, config);
        if (!channels)
            return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                                   "aac: no AudioSpecificConfig and %u channels", p->channels);
    }
    if (p->channels && p->channels != channels)
        return segue_error_set(err, SEGUE_ERR_UNSUPPORTED,
                               "aac: the AudioSpecificConfig has %u channels, the stream "
                               "parameters %u",
                               channels, p->channels);
    s->channels = channels;
    s->strict = p->strict;
    s->dsp = segue_dsp_get();
    if (channels <= 2) {
        s->overlap = s->overlap2;
        s->pcm = s->pcm2;
    } else {
        float *block = segue_mem_calloc(a, (size_t)channels * 2u * FRAME, sizeof(float));
        if (!block)
            return segue_error_set(err, SEGUE_ERR_NO_MEMORY, "aac: out of memory");
        s->ext = block;
        s->overlap = block;
        s->pcm = block + (size_t)channels * FRAME;
    }
    s->frame_no = 0;
    reset_state(s);
    return SEGUE_OK;
}

static segue_status aac_decode(void *priv, const segue_packet *pkt, const float **pcm,
                               size_t *frames, segue_error *err)
{
    aac_state *s = priv;
    *pcm = s->pcm;
    *frames = 0;
    if (!pkt || pkt->size == 0)
        return SEGUE_OK;
    s->frame_no++;
    memset(s->done, 0, sizeof s->done);
    segue_error local;
    memset(&local, 0, sizeof local);
    segue_status st = pkt->data ? decode_block(s, pkt->data, pkt->size, &local)
                                : corrupt(s, &local, "no data");
    size_t nf = FRAME;
    if (pkt->frames && pkt->frames < nf)
        nf = pkt->frames;
    if (st == SEGUE_OK) {
        s->lc_seen = 1;
        *frames = nf;
        return SEGUE_OK;
    }
    if (st == SEGUE_ERR_UNSUPPORTED) {
        segue_error_set(err, st, "%s", local.detail);
        return st;
    }
    if (s->strict) {
        segue_error_set(err, SEGUE_ERR_CORRUPT, "%s", local.detail);
        return SEGUE_ERR_CORRUPT;
    }
    /* Concealment: channels not decoded fade out with the previous frame's
     * overlap, then restart from silence; the channels decoded before the
     * damage keep their samples. */
    unsigned n = s->channels;
    for (unsigned c = 0; c < n; c++) {
        if (s->done[c])
            continue;
        float *ov = s->overlap + c * FRAME;
        for (unsigned i = 0; i < FRAME; i++)
            s->pcm[i * n + c] = ov[i];
        memset(ov, 0, FRAME * sizeof(float));
        s->prev_shape[c] = 0;
    }
    *frames = nf;
    /* local.detail names the damage and the packet ("aac: ... in packet N"). */
    return segue_error_set(err, SEGUE_CODEC_CONCEALED, "%s", local.detail);
}

static void aac_reset(void *priv)
{
    reset_state(priv);
}

static void aac_fini(void *priv, const segue_allocator *a)
{
    aac_state *s = priv;
    segue_mem_free(a, s->ext);
    s->ext = NULL;
}

const segue_codec_desc segue_codec_aac = {
    .name = "aac",
    .long_name = "AAC-LC (MPEG-4 / MPEG-2 Advanced Audio Coding, Low Complexity)",
    .caps = SEGUE_CODEC_DECODE,
    .priv_size = sizeof(aac_state),
    .decoder_init = aac_init,
    .decode = aac_decode,
    .reset = aac_reset,
    .fini = aac_fini,
};
