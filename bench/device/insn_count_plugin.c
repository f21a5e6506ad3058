/*
 * bench/device/insn_count_plugin.c - a qemu TCG plugin (plugin API v1, as
 * exported by qemu 7.2's qemu-user) that counts the guest instructions
 * executed between two marker calls, exactly, per region (one region per
 * decode call), and classifies them: instruction mix, instructions the
 * device lacks, and counts per symbol.
 *
 *     qemu-mipsel -plugin ./insn_count_plugin.so,out=FILE,isa=allegrex \
 *                 ./mp3_device_driver in.mp3
 *
 * Arguments (key=value):
 *   out=FILE     where the report goes (required)
 *   begin=SYM    marker that opens a region (default segue_bench_mark_begin)
 *   end=SYM      marker that closes it (default segue_bench_mark_end)
 *   isa=NAME     which instructions to call lacking: allegrex (MIPS: the
 *                PSP's CPU), armv6 (ARM: ARM1176JZF-S with VFPv2), none
 *
 * How it counts. Every translated block gets an exec callback carrying a
 * record of the block (its instruction count and, per instruction, class,
 * lacking-instruction id and symbol). While a region is open the callback
 * adds the block's count to the region and to the record. Blocks of the
 * marker functions get no counting callback but open or close the region,
 * so the markers themselves are excluded. A block's callback runs when the
 * block starts; in user mode a block runs to its end (branches and syscalls
 * end blocks), so the count is exact. Nothing here depends on time or
 * addresses of the host, so equal guest runs give equal counts.
 *
 * Debian's qemu-user ships no plugin header, so the few API declarations
 * used are written out below, from the documented plugin API (v1).
 *
 * The report is line oriented text:
 *   target NAME / isa NAME / regions N / total N
 *   region INDEX COUNT            one per region, in order
 *   class NAME COUNT              instruction mix
 *   symbol NAME COUNT             per symbol (function)
 *   lacking SYMBOL MNEMONIC COUNT executed instructions the isa lacks
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the qemu plugin API v1, declared here ---------------------------- */

typedef uint64_t qemu_plugin_id_t;

typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

#define PLUGIN_EXPORT __attribute__((visibility("default")))
#define PLUGIN_API_VERSION 1

PLUGIN_EXPORT extern int qemu_plugin_version;
PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                      char **argv);

/* ---- instruction classes and lacking instructions ---------------------- */

enum insn_class {
    CLASS_ALU,
    CLASS_MULDIV,
    CLASS_LOAD,
    CLASS_STORE,
    CLASS_BRANCH,
    CLASS_FP_ADD_MUL,
    CLASS_FP_DIV_SQRT,
    CLASS_FP_LOAD_STORE,
    CLASS_FP_MOVE_CONVERT,
    CLASS_FP_DOUBLE,
    CLASS_SIMD,
    CLASS_THUMB,
    CLASS_SYSTEM,
    CLASS_OTHER,
    CLASS_COUNT
};

static const char *const class_names[CLASS_COUNT] = {
    "alu",         "mul-div",        "load",       "store",  "branch-jump",
    "fp-add-mul",  "fp-div-sqrt",    "fp-load-store", "fp-move-convert-compare",
    "fp-double",   "simd",           "thumb",      "system", "other",
};

typedef enum isa_kind { ISA_NONE, ISA_ALLEGREX, ISA_ARMV6 } isa_kind;
typedef enum arch_kind { ARCH_OTHER, ARCH_MIPS, ARCH_ARM } arch_kind;

/* Mnemonics of lacking instructions, interned: id 0 means "not lacking". */
#define MAX_LACK_NAMES 64
static const char *lack_names[MAX_LACK_NAMES] = {NULL};
static unsigned lack_name_count = 1;

static uint8_t lack_id(const char *mnemonic)
{
    for (unsigned i = 1; i < lack_name_count; i++)
        if (strcmp(lack_names[i], mnemonic) == 0)
            return (uint8_t)i;
    if (lack_name_count == MAX_LACK_NAMES)
        return (uint8_t)(MAX_LACK_NAMES - 1); /* last slot collects the rest */
    lack_names[lack_name_count] = mnemonic;
    return (uint8_t)lack_name_count++;
}

typedef struct insn_info {
    uint8_t cls;
    uint8_t lack;
} insn_info;

/* MIPS32 little-endian, classified against what Allegrex decodes: MIPS II
 * plus movz/movn, min/max, clz/clo and madd/msub (in the SPECIAL space),
 * ext/ins/seb/seh/wsbh/wsbw/bitrev/rotr, and a single-precision FPU. */
static insn_info classify_mips(uint32_t w, isa_kind isa)
{
    insn_info r = {CLASS_OTHER, 0};
    const bool psp = isa == ISA_ALLEGREX;
    unsigned op = w >> 26;
    unsigned rs = (w >> 21) & 31u;
    unsigned rt = (w >> 16) & 31u;
    unsigned funct = w & 63u;
    switch (op) {
    case 0x00: /* SPECIAL */
        if (funct == 0x08 || funct == 0x09)
            r.cls = CLASS_BRANCH;
        else if (funct == 0x0C || funct == 0x0D || funct == 0x0F || (funct >= 0x30 && funct <= 0x36))
            r.cls = CLASS_SYSTEM; /* syscall, break, sync, traps */
        else if ((funct >= 0x10 && funct <= 0x13) || (funct >= 0x18 && funct <= 0x1D) ||
                 funct == 0x2E || funct == 0x2F)
            r.cls = CLASS_MULDIV; /* hi/lo moves, mult/div, Allegrex's madd/msub */
        else
            r.cls = CLASS_ALU;
        if (psp) {
            /* Allegrex reuses 0x16/0x17 (clz/clo), 0x1C/0x1D (madd/maddu) and
             * 0x2C-0x2F (max/min/msub/msubu); the rest of MIPS64's SPECIAL
             * space, movci and the reserved slots it does not decode. */
            if (funct == 0x01)
                r.lack = lack_id(((w >> 16) & 1u) ? "movt" : "movf");
            else if (funct == 0x14 || funct == 0x1E || funct == 0x1F || funct >= 0x38)
                r.lack = lack_id("mips64 (special)");
            else if (funct == 0x05 || funct == 0x0E || funct == 0x15 || funct == 0x28 ||
                     funct == 0x29 || funct == 0x35 || funct == 0x37)
                r.lack = lack_id("reserved (special)");
        }
        break;
    case 0x01: /* REGIMM */
        r.cls = (rt >= 0x08 && rt <= 0x0E) ? CLASS_SYSTEM : CLASS_BRANCH;
        if (psp && rt == 0x1F)
            r.lack = lack_id("synci");
        break;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
    case 0x07:
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x17:
        r.cls = CLASS_BRANCH;
        break;
    case 0x1C: /* SPECIAL2: MIPS32 mul/madd/msub/clz; Allegrex has none */
        r.cls = funct <= 0x05 ? CLASS_MULDIV : CLASS_ALU;
        if (psp) {
            static const char *const names[6] = {"madd(special2)", "maddu(special2)", "mul",
                                                 "reserved", "msub(special2)", "msubu(special2)"};
            if (funct < 6)
                r.lack = lack_id(names[funct]);
            else if (funct == 0x20 || funct == 0x21)
                r.lack = lack_id(funct == 0x20 ? "clz(special2)" : "clo(special2)");
            else
                r.lack = lack_id("special2");
        }
        break;
    case 0x1F: { /* SPECIAL3 */
        r.cls = CLASS_ALU;
        unsigned sa = (w >> 6) & 31u;
        bool ok = funct == 0x00 || funct == 0x04 ||
                  (funct == 0x20 && (sa == 0x02 || sa == 0x03 || sa == 0x10 || sa == 0x14 ||
                                     sa == 0x18));
        if (psp && !ok)
            r.lack = lack_id(funct == 0x3B ? "rdhwr" : "special3");
        break;
    }
    case 0x10:
    case 0x12:
        r.cls = CLASS_SYSTEM;
        break;
    case 0x11: /* COP1 */
        if (rs == 0x08) {
            r.cls = CLASS_BRANCH;
        } else if (rs == 0x10) { /* fmt S */
            if (funct <= 0x02)
                r.cls = CLASS_FP_ADD_MUL;
            else if (funct == 0x03 || funct == 0x04 || funct == 0x15 || funct == 0x16)
                r.cls = CLASS_FP_DIV_SQRT;
            else
                r.cls = CLASS_FP_MOVE_CONVERT;
            if (psp) {
                bool ok = funct <= 0x07 || (funct >= 0x0C && funct <= 0x0F) || funct == 0x24 ||
                          funct >= 0x30;
                if (!ok) {
                    if (funct == 0x21)
                        r.lack = lack_id("cvt.d.s");
                    else if (funct == 0x11)
                        r.lack = lack_id("movf.s/movt.s");
                    else if (funct == 0x12 || funct == 0x13)
                        r.lack = lack_id("movz.s/movn.s");
                    else if (funct == 0x15 || funct == 0x16)
                        r.lack = lack_id("recip.s/rsqrt.s");
                    else
                        r.lack = lack_id("cop1.s-other");
                }
            }
        } else if (rs == 0x14) { /* fmt W */
            r.cls = CLASS_FP_MOVE_CONVERT;
            if (psp && funct != 0x20)
                r.lack = lack_id("cvt.d.w");
        } else if (rs == 0x11 || rs == 0x15 || rs == 0x16) { /* D, L, PS */
            r.cls = CLASS_FP_DOUBLE;
            if (psp)
                r.lack = lack_id(rs == 0x11 ? "cop1.d (double precision)"
                                            : rs == 0x15 ? "cop1.l (64-bit int)" : "cop1.ps");
        } else {
            r.cls = CLASS_FP_MOVE_CONVERT; /* mfc1/mtc1/cfc1/ctc1 and the 64-bit moves */
            if (psp && (rs == 0x01 || rs == 0x03 || rs == 0x05 || rs == 0x07)) {
                static const char *const names[8] = {"", "dmfc1", "", "mfhc1", "", "dmtc1", "",
                                                     "mthc1"};
                r.lack = lack_id(names[rs]);
            }
        }
        break;
    case 0x13: /* COP1X: indexed FP loads, madd.s */
        r.cls = funct < 0x10 ? CLASS_FP_LOAD_STORE : CLASS_FP_ADD_MUL;
        if (psp)
            r.lack = lack_id("cop1x");
        break;
    case 0x18:
    case 0x19:
    case 0x1A:
    case 0x1B:
    case 0x27:
    case 0x34:
    case 0x37:
    case 0x3C:
    case 0x3F:
        r.cls = (op == 0x18 || op == 0x19) ? CLASS_ALU : (op == 0x3C || op == 0x3F) ? CLASS_STORE
                                                                                   : CLASS_LOAD;
        if (psp)
            r.lack = lack_id("mips64");
        break;
    case 0x31:
    case 0x39:
        r.cls = CLASS_FP_LOAD_STORE;
        break;
    case 0x35:
    case 0x3D:
        r.cls = CLASS_FP_DOUBLE;
        if (psp)
            r.lack = lack_id(op == 0x35 ? "ldc1" : "sdc1");
        break;
    case 0x33:
        r.cls = CLASS_SYSTEM;
        if (psp)
            r.lack = lack_id("pref");
        break;
    case 0x2F:
        r.cls = CLASS_SYSTEM;
        break;
    case 0x32:
    case 0x36:
    case 0x3A:
    case 0x3E:
        r.cls = CLASS_OTHER;
        if (psp)
            r.lack = lack_id("cop2 load/store (VFPU encoding on Allegrex)");
        break;
    default:
        if (op >= 0x20 && op <= 0x26)
            r.cls = CLASS_LOAD;
        else if (op >= 0x28 && op <= 0x2E)
            r.cls = CLASS_STORE;
        else if (op == 0x30)
            r.cls = CLASS_LOAD;
        else if (op == 0x38)
            r.cls = CLASS_STORE;
        else
            r.cls = CLASS_ALU; /* immediates: addi(u), slti(u), andi, ori, xori, lui */
        break;
    }
    return r;
}

/* ARM (A32) and Thumb, classified against an ARM1176JZF-S (ARMv6, VFPv2):
 * no NEON, no VFPv3 immediate moves or fixed-point conversions, none of
 * ARMv7's movw/movt/bitfield/mls/barrier instructions, no Thumb-2. */
static insn_info classify_arm(uint32_t w, size_t size, isa_kind isa)
{
    insn_info r = {CLASS_OTHER, 0};
    const bool v6 = isa == ISA_ARMV6;
    if (size == 2) {
        r.cls = CLASS_THUMB; /* Thumb-1 exists on ARMv6: counted, not flagged */
        return r;
    }
    unsigned cond = w >> 28;
    if (size == 4 && cond == 0xF) { /* unconditional space: NEON, barriers, pld */
        if ((w & 0xFE000000u) == 0xF2000000u || (w & 0xFF100000u) == 0xF4000000u) {
            r.cls = CLASS_SIMD;
            if (v6)
                r.lack = lack_id("neon");
        } else if ((w & 0xFFFFFF00u) == 0xF57FF000u) {
            r.cls = CLASS_SYSTEM;
            if (v6)
                r.lack = lack_id("dmb/dsb/isb");
        } else {
            r.cls = CLASS_SYSTEM;
        }
        return r;
    }
    unsigned top3 = (w >> 25) & 7u;
    unsigned cp = (w >> 8) & 15u;
    if (top3 == 5u) {
        r.cls = CLASS_BRANCH;
    } else if (top3 == 2u || top3 == 3u) {
        r.cls = (w >> 20) & 1u ? CLASS_LOAD : CLASS_STORE;
        if (top3 == 3u && (w & 0x10u)) {
            r.cls = CLASS_ALU; /* media instructions */
            if (v6 && (((w >> 21) & 0x7Fu) == 0x3Fu || ((w >> 21) & 0x7Fu) == 0x3Du ||
                       ((w >> 21) & 0x7Fu) == 0x3Eu))
                r.lack = lack_id("ubfx/sbfx/bfi/bfc");
        }
    } else if (top3 == 4u) {
        r.cls = (w >> 20) & 1u ? CLASS_LOAD : CLASS_STORE; /* ldm/stm, push/pop */
    } else if ((top3 == 6u || top3 == 7u) && (cp == 10u || cp == 11u)) {
        bool dbl = cp == 11u;
        if (top3 == 6u) {
            r.cls = CLASS_FP_LOAD_STORE;
        } else if (((w >> 4) & 1u) == 0u) { /* VFP data processing */
            unsigned opc1 = ((w >> 20) & 0xBu);
            if (opc1 == 0x8u)
                r.cls = CLASS_FP_DIV_SQRT; /* vdiv */
            else if (opc1 == 0xBu)
                r.cls = CLASS_FP_MOVE_CONVERT; /* other: vmov, vcvt, vsqrt, vcmp */
            else
                r.cls = CLASS_FP_ADD_MUL;
            if (opc1 == 0xBu) {
                unsigned opc2 = (w >> 16) & 15u;
                if (((w >> 6) & 1u) == 0u) {
                    if (v6)
                        r.lack = lack_id("vmov immediate (VFPv3)");
                } else if (opc2 == 1u && ((w >> 7) & 1u)) {
                    r.cls = CLASS_FP_DIV_SQRT; /* vsqrt */
                } else if ((opc2 & 0xAu) == 0xAu) {
                    if (v6)
                        r.lack = lack_id("vcvt fixed-point (VFPv3)");
                }
            }
        } else {
            r.cls = CLASS_FP_MOVE_CONVERT; /* core <-> VFP register moves */
        }
        if (dbl && r.cls != CLASS_FP_LOAD_STORE)
            r.cls = CLASS_FP_DOUBLE;
    } else if (top3 == 7u && ((w >> 24) & 1u)) {
        r.cls = CLASS_SYSTEM; /* svc */
    } else if (top3 == 0u && (w & 0x0FC000F0u) == 0x00000090u) {
        r.cls = CLASS_MULDIV;
    } else if (top3 == 0u && (w & 0x0FF000F0u) == 0x00600090u) {
        r.cls = CLASS_MULDIV;
        if (v6)
            r.lack = lack_id("mls");
    } else if ((w & 0x0FF00000u) == 0x03000000u || (w & 0x0FF00000u) == 0x03400000u) {
        r.cls = CLASS_ALU;
        if (v6)
            r.lack = lack_id("movw/movt");
    } else if ((w & 0x0F9000F0u) == 0x00800090u || (w & 0x0F8000F0u) == 0x00800090u) {
        r.cls = CLASS_MULDIV; /* long multiplies */
    } else {
        r.cls = CLASS_ALU;
    }
    return r;
}

/* A 32-bit Thumb-2 instruction as qemu hands it: two halfwords. */
static insn_info classify_thumb32(isa_kind isa)
{
    insn_info r = {CLASS_THUMB, 0};
    if (isa == ISA_ARMV6)
        r.lack = lack_id("thumb-2 (32-bit)");
    return r;
}

/* ---- per-block records -------------------------------------------------- */

typedef struct block_record {
    uint64_t executions; /* in regions only */
    uint32_t n_insns;
    insn_info *insns;
    const char **symbols;
} block_record;

static block_record **records;
static size_t record_count, record_capacity;

static const char *begin_symbol = "segue_bench_mark_begin";
static const char *end_symbol = "segue_bench_mark_end";
static const char *out_path;
static isa_kind isa = ISA_NONE;
static arch_kind arch = ARCH_OTHER;
static const char *target_name = "?";

static bool in_region;
static uint64_t region_insns;
static uint64_t total_insns;
static uint64_t *region_counts;
static size_t region_count, region_capacity;
static bool out_of_memory;

static void on_block(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    if (!in_region)
        return;
    block_record *rec = userdata;
    rec->executions++;
    region_insns += rec->n_insns;
}

static void on_begin(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    in_region = true;
    region_insns = 0;
}

static void on_end(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (!in_region)
        return;
    in_region = false;
    if (region_count == region_capacity) {
        size_t cap = region_capacity ? region_capacity * 2 : 4096;
        uint64_t *grown = realloc(region_counts, cap * sizeof *grown);
        if (!grown) {
            out_of_memory = true;
            return;
        }
        region_counts = grown;
        region_capacity = cap;
    }
    region_counts[region_count++] = region_insns;
    total_insns += region_insns;
}

static bool symbol_is(const char *sym, const char *want)
{
    return sym && strcmp(sym, want) == 0;
}

static uint32_t read_word(const struct qemu_plugin_insn *insn, size_t *size)
{
    const unsigned char *p = qemu_plugin_insn_data(insn);
    *size = qemu_plugin_insn_size(insn);
    uint32_t w = 0;
    /* Both targets here are little-endian. */
    for (size_t i = 0; i < *size && i < 4; i++)
        w |= (uint32_t)p[i] << (8u * i);
    return w;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (n == 0)
        return;
    const char *first_symbol = qemu_plugin_insn_symbol(qemu_plugin_tb_get_insn(tb, 0));
    if (symbol_is(first_symbol, begin_symbol)) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        return;
    }
    if (symbol_is(first_symbol, end_symbol)) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        return;
    }
    block_record *rec = calloc(1, sizeof *rec);
    insn_info *infos = calloc(n, sizeof *infos);
    const char **symbols = calloc(n, sizeof *symbols);
    if (record_count == record_capacity) {
        size_t cap = record_capacity ? record_capacity * 2 : 4096;
        block_record **grown = realloc(records, cap * sizeof *grown);
        if (grown) {
            records = grown;
            record_capacity = cap;
        }
    }
    if (!rec || !infos || !symbols || record_count == record_capacity) {
        free(rec);
        free(infos);
        free(symbols);
        out_of_memory = true;
        return;
    }
    /* ARM or Thumb state is not visible to plugins: a block is Thumb when it
     * holds a 16-bit instruction or an instruction at a 2-aligned address.
     * (A Thumb block of only 4-aligned 32-bit instructions would pass as
     * A32; only the mix of such a block is affected, never the count.) */
    bool thumb = false;
    if (arch == ARCH_ARM)
        for (size_t i = 0; i < n; i++) {
            const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
            if (qemu_plugin_insn_size(insn) == 2 || (qemu_plugin_insn_vaddr(insn) & 2u))
                thumb = true;
        }
    rec->n_insns = (uint32_t)n;
    rec->insns = infos;
    rec->symbols = symbols;
    for (size_t i = 0; i < n; i++) {
        const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        size_t size = 0;
        uint32_t w = read_word(insn, &size);
        if (arch == ARCH_MIPS && size == 4)
            infos[i] = classify_mips(w, isa);
        else if (arch == ARCH_ARM && thumb && size == 4)
            infos[i] = classify_thumb32(isa);
        else if (arch == ARCH_ARM)
            infos[i] = classify_arm(w, size, isa);
        else
            infos[i] = (insn_info){CLASS_OTHER, 0};
        symbols[i] = qemu_plugin_insn_symbol(insn);
    }
    records[record_count++] = rec;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, rec);
}

/* ---- the report ---------------------------------------------------------- */

typedef struct symbol_total {
    const char *name;
    uint64_t count;
    uint64_t lacking[MAX_LACK_NAMES];
} symbol_total;

static symbol_total *symbol_totals;
static size_t symbol_total_count, symbol_total_capacity;

static symbol_total *find_symbol_total(const char *name)
{
    if (!name)
        name = "?";
    /* Symbols come from qemu's table as stable pointers; compare by text in
     * case two records carry different copies. A linear scan is fine: a
     * decoder touches a few hundred functions. */
    for (size_t i = 0; i < symbol_total_count; i++)
        if (symbol_totals[i].name == name || strcmp(symbol_totals[i].name, name) == 0)
            return &symbol_totals[i];
    if (symbol_total_count == symbol_total_capacity) {
        size_t cap = symbol_total_capacity ? symbol_total_capacity * 2 : 256;
        symbol_total *grown = realloc(symbol_totals, cap * sizeof *grown);
        if (!grown)
            return NULL;
        symbol_totals = grown;
        symbol_total_capacity = cap;
    }
    symbol_total *t = &symbol_totals[symbol_total_count++];
    memset(t, 0, sizeof *t);
    t->name = name;
    return t;
}

static void write_report(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    uint64_t class_totals[CLASS_COUNT] = {0};
    for (size_t r = 0; r < record_count; r++) {
        const block_record *rec = records[r];
        if (rec->executions == 0)
            continue;
        const char *last_name = NULL;
        symbol_total *t = NULL;
        for (uint32_t i = 0; i < rec->n_insns; i++) {
            class_totals[rec->insns[i].cls] += rec->executions;
            if (!t || rec->symbols[i] != last_name) {
                last_name = rec->symbols[i];
                t = find_symbol_total(last_name);
                if (!t) {
                    out_of_memory = true;
                    break;
                }
            }
            t->count += rec->executions;
            t->lacking[rec->insns[i].lack] += rec->executions;
        }
    }
    FILE *f = fopen(out_path, "w");
    if (!f) {
        qemu_plugin_outs("insn_count_plugin: cannot write the report\n");
        return;
    }
    static const char *const isa_names[] = {"none", "allegrex", "armv6"};
    fprintf(f, "target %s\nisa %s\nregions %zu\ntotal %llu\n", target_name, isa_names[isa],
            region_count, (unsigned long long)total_insns);
    if (out_of_memory)
        fprintf(f, "error out-of-memory\n");
    if (in_region)
        fprintf(f, "error region-left-open\n");
    for (size_t i = 0; i < region_count; i++)
        fprintf(f, "region %zu %llu\n", i, (unsigned long long)region_counts[i]);
    for (int c = 0; c < CLASS_COUNT; c++)
        fprintf(f, "class %s %llu\n", class_names[c], (unsigned long long)class_totals[c]);
    for (size_t s = 0; s < symbol_total_count; s++) {
        fprintf(f, "symbol %s %llu\n", symbol_totals[s].name,
                (unsigned long long)symbol_totals[s].count);
        for (unsigned k = 1; k < lack_name_count; k++)
            if (symbol_totals[s].lacking[k])
                fprintf(f, "lacking %s %s %llu\n", symbol_totals[s].name, lack_names[k],
                        (unsigned long long)symbol_totals[s].lacking[k]);
    }
    fclose(f);
}

/* ---- installation --------------------------------------------------------- */

static const char *arg_value(const char *arg, const char *key)
{
    size_t n = strlen(key);
    return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                      char **argv)
{
    if (info->system_emulation) {
        qemu_plugin_outs("insn_count_plugin: user mode only\n");
        return -1;
    }
    target_name = info->target_name;
    if (strncmp(target_name, "mips", 4) == 0)
        arch = ARCH_MIPS;
    else if (strcmp(target_name, "arm") == 0)
        arch = ARCH_ARM;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = arg_value(argv[i], "out")) != NULL) {
            out_path = v;
        } else if ((v = arg_value(argv[i], "begin")) != NULL) {
            begin_symbol = v;
        } else if ((v = arg_value(argv[i], "end")) != NULL) {
            end_symbol = v;
        } else if ((v = arg_value(argv[i], "isa")) != NULL) {
            if (strcmp(v, "allegrex") == 0)
                isa = ISA_ALLEGREX;
            else if (strcmp(v, "armv6") == 0)
                isa = ISA_ARMV6;
            else if (strcmp(v, "none") == 0)
                isa = ISA_NONE;
            else {
                qemu_plugin_outs("insn_count_plugin: isa must be allegrex, armv6 or none\n");
                return -1;
            }
        } else {
            qemu_plugin_outs("insn_count_plugin: unknown argument\n");
            return -1;
        }
    }
    if (!out_path) {
        qemu_plugin_outs("insn_count_plugin: out=FILE is required\n");
        return -1;
    }
    if ((isa == ISA_ALLEGREX && arch != ARCH_MIPS) || (isa == ISA_ARMV6 && arch != ARCH_ARM)) {
        qemu_plugin_outs("insn_count_plugin: isa does not match the target\n");
        return -1;
    }
    lack_names[0] = "";
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_report, NULL);
    return 0;
}
