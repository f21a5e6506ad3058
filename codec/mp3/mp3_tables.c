/*
 * codec/mp3/mp3_tables.c - the MPEG audio decoder's typed tables (values
 * from the standards cited beside each; see mp3_tables.h for the layout).
 */
#include "codec/mp3/mp3_tables.h"

/* ISO/IEC 11172-3 Table 3-B.8 (MPEG-1), ISO/IEC 13818-3 Table B.2 (LSF)
 * and the MPEG-2.5 extension (11.025 and 12 kHz use the 16 kHz bands of
 * 13818-3 for long blocks, 8 kHz has its own). */
const segue_mp3_sfb segue_mp3_sfb_table[9] = {
    /* 44.1 kHz */
    {{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 52, 62, 74, 90, 110, 134, 162, 196, 238, 288, 342, 418, 576},
     {0, 4, 8, 12, 16, 22, 30, 40, 52, 66, 84, 106, 136, 192}},
    /* 48 kHz */
    {{0, 4, 8, 12, 16, 20, 24, 30, 36, 42, 50, 60, 72, 88, 106, 128, 156, 190, 230, 276, 330, 384, 576},
     {0, 4, 8, 12, 16, 22, 28, 38, 50, 64, 80, 100, 126, 192}},
    /* 32 kHz */
    {{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 54, 66, 82, 102, 126, 156, 194, 240, 296, 364, 448, 550, 576},
     {0, 4, 8, 12, 16, 22, 30, 42, 58, 78, 104, 138, 180, 192}},
    /* 22.05 kHz */
    {{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
     {0, 4, 8, 12, 18, 24, 32, 42, 56, 74, 100, 132, 174, 192}},
    /* 24 kHz */
    {{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 114, 136, 162, 194, 232, 278, 332, 394, 464, 540, 576},
     {0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 136, 180, 192}},
    /* 16 kHz */
    {{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
     {0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192}},
    /* 11.025 kHz */
    {{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
     {0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192}},
    /* 12 kHz */
    {{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
     {0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192}},
    /* 8 kHz */
    {{0, 12, 24, 36, 48, 60, 72, 88, 108, 132, 160, 192, 232, 280, 336, 400, 476, 566, 568, 570, 572, 574, 576},
     {0, 8, 16, 24, 36, 52, 72, 96, 124, 160, 162, 164, 166, 192}},
};

/* Table 3-B.6. */
const uint8_t segue_mp3_pretab[22] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 2, 0};

/* ISO/IEC 11172-3 2.4.2.7 "scalefac_compress". */
const uint8_t segue_mp3_slen[2][16] = {
    {0, 0, 0, 0, 3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4},
    {0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 3},
};

/* ISO/IEC 13818-3 2.4.3.2, "nr_of_sfb_block". */
const uint8_t segue_mp3_lsf_nsf[6][3][4] = {
    {{6, 5, 5, 5}, {9, 9, 9, 9}, {6, 9, 9, 9}},
    {{6, 5, 7, 3}, {9, 9, 12, 6}, {6, 9, 12, 6}},
    {{11, 10, 0, 0}, {18, 18, 0, 0}, {15, 18, 0, 0}},
    {{7, 7, 7, 0}, {12, 12, 12, 0}, {6, 15, 12, 0}},
    {{6, 6, 6, 3}, {12, 9, 9, 6}, {6, 12, 9, 6}},
    {{8, 8, 5, 0}, {15, 12, 9, 0}, {6, 18, 9, 0}},
};

int segue_mp3_rate_index(uint32_t sample_rate)
{
    static const uint32_t rates[9] = {44100, 48000, 32000, 22050, 24000, 16000, 11025, 12000, 8000};
    for (int i = 0; i < 9; i++)
        if (rates[i] == sample_rate)
            return i;
    return -1;
}

/* Table 3-B.4: steps, bits (per codeword), grouping. */
const segue_mp2_class segue_mp2_classes[17] = {
    {3, 5, 1},     {5, 7, 1},     {7, 3, 0},     {9, 10, 1},    {15, 4, 0},    {31, 5, 0},
    {63, 6, 0},    {127, 7, 0},   {255, 8, 0},   {511, 9, 0},   {1023, 10, 0}, {2047, 11, 0},
    {4095, 12, 0}, {8191, 13, 0}, {16383, 14, 0}, {32767, 15, 0}, {65535, 16, 0},
};

/* Allocation rows shared by the tables. Class indices: 0 = 3 steps,
 * 1 = 5, 2 = 7, 3 = 9, 4 = 15, 5 = 31, ..., 16 = 65535. */
#define ROW_A 0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16       /* nbal 4: 3,7,15,31.. */
#define ROW_B 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16         /* nbal 4: 3,5,7,9,15.. */
#define ROW_C 0, 1, 2, 3, 4, 5, 16                                      /* nbal 3 */
#define ROW_D 0, 1, 16                                                  /* nbal 2 */
#define ROW_E 0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15        /* nbal 4: 3,5,9,15,31.. */
#define ROW_F 0, 1, 3, 4, 5, 6, 7                                       /* nbal 3: 3,5,9,15.. */
#define ROW_G 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14         /* nbal 4 (LSF) */
#define ROW_H 0, 1, 3                                                   /* nbal 2 (LSF): 3,5,9 */

/* Table 3-B.2a: 27 subbands (48 kHz at 56..192 kbit/s per channel, 44.1
 * and 32 kHz at 56..80). 3-B.2b is the same with 30 subbands. */
static const uint8_t nbal_ab[30] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3,
                                    3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2};
static const uint8_t classes_ab[] = {
    ROW_A, ROW_A, ROW_A, ROW_B, ROW_B, ROW_B, ROW_B, ROW_B, ROW_B, ROW_B, ROW_B,
    ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C, ROW_C,
    ROW_D, ROW_D, ROW_D, ROW_D, ROW_D, ROW_D, ROW_D,
};
/* Tables 3-B.2c (8 subbands) and 3-B.2d (12): the low bitrates. */
static const uint8_t nbal_cd[12] = {4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
static const uint8_t classes_cd[] = {
    ROW_E, ROW_E, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F,
};
/* ISO/IEC 13818-3 Table B.1: 30 subbands at 16, 22.05 and 24 kHz. */
static const uint8_t nbal_lsf[30] = {4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2,
                                     2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
static const uint8_t classes_lsf[] = {
    ROW_G, ROW_G, ROW_G, ROW_G, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F, ROW_F,
    ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H,
    ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H, ROW_H,
};

const segue_mp2_alloc segue_mp2_alloc_tables[5] = {
    {27, nbal_ab, classes_ab},   /* 3-B.2a */
    {30, nbal_ab, classes_ab},   /* 3-B.2b */
    {8, nbal_cd, classes_cd},    /* 3-B.2c */
    {12, nbal_cd, classes_cd},   /* 3-B.2d */
    {30, nbal_lsf, classes_lsf}, /* 13818-3 B.1 */
};

