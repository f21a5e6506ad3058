#!/usr/bin/env bash
# The dependency rules of DESIGN.md, checked by grep over the library tree.
# Each rule prints the offending files; the test fails if any rule does.
set -u
cd "$(dirname "$0")/../.."
fail=0
lib="core codec container dsp simd engine"
existing=$(for d in $lib; do [ -d "$d" ] && echo "$d"; done)

report() { # rule-name, offending files
    if [ -n "$2" ]; then
        echo "FAIL: $1:"; echo "$2" | sed 's/^/  /'; fail=1
    else
        echo "ok:   $1"
    fi
}

src() { find $existing -name '*.c' -o -name '*.h' -o -name '*.cc' | sort; }

# Strip comments and string literals crudely enough for these patterns.
code_of() { sed -e 's://.*$::' "$1" | perl -0pe 's:/\*.*?\*/::gs'; }

hits=""
for f in $(src); do
    [ "$f" = core/alloc.c ] && continue
    code_of "$f" | grep -qE '(^|[^_a-zA-Z0-9.>])(malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign)[[:space:]]*\(' && hits="$hits$f"$'\n'
done
report "only core/alloc.c allocates" "$(echo -n "$hits" | sed '/^$/d')"

hits=$(grep -lE '#[[:space:]]*include[[:space:]]*<(immintrin|emmintrin|xmmintrin|pmmintrin|tmmintrin|smmintrin|nmmintrin|avxintrin|arm_neon)\.h>' $(src) /dev/null 2>/dev/null | grep -v '^simd/')
report "only simd/ includes SIMD intrinsics" "$hits"

hits=$(grep -lE '#[[:space:]]*include[[:space:]]*[<"](lame/|lame\.h|opus/|opus\.h|opusfile|vorbis/|FLAC/|ogg/)' $(src) /dev/null 2>/dev/null | grep -v '^codec/ext/')
report "only codec/ext/ includes codec library headers" "$hits"

hits=$(grep -lE '#[[:space:]]*include[[:space:]]*[<"](soxr\.h|ebur128\.h)' $(src) /dev/null 2>/dev/null | grep -v '^dsp/')
report "only dsp/ includes soxr and ebur128" "$hits"

hits=$(grep -lE '#[[:space:]]*include[[:space:]]*[<"](jpeglib\.h|png\.h)' $(src) /dev/null 2>/dev/null | grep -v '^engine/cover_art\.c$')
report "only engine/cover_art.c includes libjpeg and libpng" "$hits"

# Codecs never do IO: no stdio file calls and no reader/writer in codec/.
hits=$(grep -lE '\b(fopen|fread|fwrite|fseek|open|read|write)[[:space:]]*\(|core/(reader|writer)\.h|segue/io\.h' $(find codec -name '*.c' -o -name '*.h' | grep -v '^codec/ext/') /dev/null 2>/dev/null)
report "codecs do no IO" "$hits"

# A codec folder includes only codec/codec.h, codec/common/, simd/, core/
# and its own headers: never another codec's.
hits=""
for dir in codec/*/; do
    name=$(basename "$dir")
    case "$name" in common|ext) continue ;; esac
    for f in $(find "$dir" -name '*.c' -o -name '*.h'); do
        grep -oE '#[[:space:]]*include[[:space:]]*"codec/[a-z0-9_]+/' "$f" | grep -vE "codec/(common|$name)/" >/dev/null && hits="$hits$f"$'\n'
    done
done
report "codec folders include no other codec" "$(echo -n "$hits" | sed '/^$/d')"

# Public headers include only other public headers and the C library.
hits=$(grep -lE '#[[:space:]]*include[[:space:]]*"(core|codec|container|simd|dsp|engine)/' include/segue/*.h /dev/null)
report "public headers include no internal header" "$hits"

exit $fail
