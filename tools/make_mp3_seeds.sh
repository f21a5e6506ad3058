#!/usr/bin/env bash
# tools/make_mp3_seeds.sh - cuts the seed corpus of tests/fuzz/fuzz_mp3frame.c
# (tests/fuzz/corpus/mp3frame/) from the MPEG audio conformance streams in
# ../shared/conformance/mp3 (CC0; see the corpus README). Each seed is a
# short run of whole frames, under 8 KiB, chosen to reach one decoder path.
#
# Usage: tools/make_mp3_seeds.sh [conformance-dir]
set -eu
cd "$(dirname "$0")/.."
src=${1:-../shared/conformance/mp3}
dst=tests/fuzz/corpus/mp3frame
[ -d "$src" ] || { echo "make_mp3_seeds: $src not present" >&2; exit 1; }
mkdir -p "$dst"

# cut NAME SOURCE SKIP_BYTES COUNT_BYTES
cut() {
    dd if="$src/$2" of="$dst/$1" bs=1 skip="$3" count="$4" status=none
}

cut layer1_stereo.bin   l1-fl1.bit            0 2304   # Layer I, 4 frames of 576 bytes
cut layer1_mono.bin     l1-fl4.bit            0 192    # Layer I mono
cut layer2_jstereo.bin  l2-fl10.bit           0 3456   # Layer II, joint stereo, 4 frames
cut layer2_lsf.bin      l2-test32.bit         0 3072   # Layer II at 24 kHz (LSF table)
cut layer2_crc.bin      ILL2_wrongcrc.bit     0 1152   # Layer II with CRC
cut layer2_free.bin     l2-nonstandard-fl1_fl2_ff.bit 0 3512 # free format mixed in
cut layer3_block.bin    l3-si_block.bit       7500 2500 # block switching, mixed blocks
cut layer3_huff.bin     l3-si_huff.bit        0 2600   # Huffman tables
cut layer3_lsf_is.bin   l3-test46.bit         2600 4000 # LSF with intensity + M/S
cut layer3_mode.bin     l3-he_mode.bit        3800 3800 # mono/stereo switching
cut layer3_free.bin     l3-he_free.bit        0 2400   # free format Layer III
cut layer3_16k.bin      M2L3_bitrate_16_all.bit 0 2000 # MPEG-2 LSF, 16 kHz
cut layer3_crc.bin      l3-hecommon.bit       2000 2600 # CRC-protected frames, emphasis values
cut layer3_tag.bin      l3-nonstandard-sin1k0db_lame_vbrtag.bit 0 1500 # Info/LAME frame first
ls -l "$dst"
