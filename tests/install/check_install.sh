#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds a consumer with
# find_package(segue) and another with pkg-config, and runs both.
set -euo pipefail
build_dir=$1
src_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$src_dir/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib:${LD_LIBRARY_PATH:-}" "$work/consumer/consumer_shared"
"$work/consumer/consumer_static"
# The shared library exports only the public API (visibility=hidden).
lib=$(ls "$work"/prefix/lib*/libsegue.so | head -n 1)
if nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^segue_' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' | grep .; then
    echo "FAIL: non-API symbols exported"; exit 1
fi
if nm -D --defined-only "$lib" | awk '{print $3}' | grep -E '^segue_(mem_|reader_|writer_|error_|dsp_|cpu_|codec_|demuxer_|muxer_)' | grep .; then
    echo "FAIL: internal segue_ symbols exported"; exit 1
fi
# pkg-config
export PKG_CONFIG_PATH="$(dirname "$lib")/pkgconfig"
cc -std=c11 "$src_dir/consumer/main.c" $(pkg-config --cflags --libs segue) -o "$work/pc_consumer"
LD_LIBRARY_PATH="$(dirname "$lib")" "$work/pc_consumer"
echo "install: find_package, pkg-config and exported symbols ok"
