#!/bin/sh
# Makes the seed corpus of tests/fuzz/fuzz_ogg.c: small Ogg Vorbis and Ogg
# Opus files (< 8 KiB each) from short generated signals, with oggenc and
# opusenc (vorbis-tools, opus-tools) and ffmpeg for the signals.
#
#     tools/make_ogg_seeds.sh [OUT_DIR]     (default tests/fuzz/corpus/ogg)
set -eu
out=${1:-tests/fuzz/corpus/ogg}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sig() { # name rate channels seconds source
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$5" -t "$4" -ar "$2" -ac "$3" \
        -c:a pcm_s16le -map_metadata -1 -fflags +bitexact "$tmp/$1.wav"
}
sig tone8k 8000 1 0.4 "sine=frequency=440:sample_rate=8000"
sig tone44 44100 2 0.12 "sine=frequency=1000:sample_rate=44100"
sig noise48 48000 2 0.08 "anoisesrc=c=pink:r=48000:a=0.2"
sig six48 48000 6 0.04 "sine=frequency=300:sample_rate=48000"
sig one 44100 1 0.00003 "sine=frequency=440:sample_rate=44100"

oggenc -Q -q -1 -o "$out/vorbis_mono_8k.ogg" "$tmp/tone8k.wav"
oggenc -Q -q 0 -o "$out/vorbis_stereo_44k.ogg" "$tmp/tone44.wav"
oggenc -Q -q 0 -t "Title" -a "Artist" -c "LYRICS=one two" -o "$out/vorbis_tags.ogg" "$tmp/one.wav"
oggenc -Q -q -1 -o "$tmp/a.ogg" "$tmp/one.wav"
oggenc -Q -q -1 -o "$tmp/b.ogg" "$tmp/tone8k.wav"
cat "$tmp/a.ogg" "$tmp/b.ogg" > "$out/vorbis_chain.ogg"
opusenc --quiet --bitrate 12 "$tmp/tone8k.wav" "$out/opus_mono_8k.opus"
opusenc --quiet --bitrate 24 --title "T" --artist "A" "$tmp/noise48.wav" "$out/opus_stereo_tags.opus"
opusenc --quiet --bitrate 48 "$tmp/six48.wav" "$out/opus_51.opus"
opusenc --quiet --bitrate 8 "$tmp/one.wav" "$out/opus_one_sample.opus"
opusenc --quiet --bitrate 8 "$tmp/one.wav" "$tmp/c.opus"
cat "$out/opus_one_sample.opus" "$tmp/c.opus" > "$out/opus_chain.opus"
# damage: garbage in front, a truncated file
{ printf 'garbage before the first page'; cat "$out/vorbis_mono_8k.ogg"; } > "$out/vorbis_garbage_prefix.ogg"
head -c 700 "$out/opus_stereo_tags.opus" > "$out/opus_truncated.opus"
for f in "$out"/*; do
    size=$(wc -c < "$f")
    [ "$size" -lt 8192 ] || { echo "$f is $size bytes (limit 8 KiB)" >&2; exit 1; }
done
ls -l "$out"
