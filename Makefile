# segue: the README's commands. Every target that builds also installs what
# it needs (make deps), so each works on a fresh Debian 12 machine.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CMAKE_COMMON := -DSEGUE_WERROR=ON

# Debian 12 packages: build, test oracles, cross builds (DESIGN.md).
DEPS := build-essential cmake pkg-config git python3 python3-numpy python3-mutagen \
        python3-pytest python3-distributed python3-dask python3-pandas python3-fsspec \
        clang libclang-rt-14-dev libcmocka-dev libbenchmark-dev valgrind \
        ffmpeg sox \
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
        gcc-mipsel-linux-gnu libc6-dev-mipsel-cross gcc-arm-linux-gnueabihf \
        libmp3lame-dev libopus-dev libogg-dev libvorbis-dev libflac-dev \
        libsoxr-dev libebur128-dev libjpeg62-turbo-dev libpng-dev libavutil-dev libavcodec-dev libfaad-dev gnuplot-nox \
        libmpg123-dev mpg123 lame flac opus-tools vorbis-tools faad netpbm

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build demo test test-release test-asan test-aarch64 test-mipsel bench device-bench fuzz clean fixtures

deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all installed"; fi

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release $(CMAKE_COMMON)
	cmake --build build -j $(JOBS)

# The demo clips also go to the psp profile (AAC-LC in M4A), and `segue
# check --device psp` must pass every result. Needs the aac encoder: without
# it the conversion stops with "no aac encoder in this build".
demo: build
	/usr/bin/python3 tools/demo.py build/segue fixtures/demo build/demo
	rm -rf build/demo/psp && mkdir -p build/demo/psp
	set -e; for f in fixtures/demo/*.wav; do \
	  build/segue convert "$$f" "build/demo/psp/$$(basename "$$f" .wav).m4a" --profile psp; \
	done
	build/segue check --device psp build/demo/psp/*.m4a

test: deps test-release test-asan test-aarch64 test-mipsel

test-release:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release $(CMAKE_COMMON)
	cmake --build build -j $(JOBS)
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSEGUE_SANITIZE=ON $(CMAKE_COMMON)
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# NEON kernels: cross-built for aarch64, equivalence test run under qemu.
test-aarch64:
	cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake \
	  -DCMAKE_BUILD_TYPE=Release -DSEGUE_BUILD_CLI=OFF -DSEGUE_DECODE_ONLY=ON $(CMAKE_COMMON)
	cmake --build build-aarch64 -j $(JOBS)
	ctest --test-dir build-aarch64 --output-on-failure

# The device build (own decoders, libc/libm only) on 32-bit little-endian
# MIPS, tests under qemu-mipsel.
test-mipsel:
	cmake -S . -B build-mipsel -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mipsel.cmake \
	  -DCMAKE_BUILD_TYPE=Release -DSEGUE_BUILD_CLI=OFF -DSEGUE_DECODE_ONLY=ON $(CMAKE_COMMON)
	cmake --build build-mipsel -j $(JOBS)
	ctest --test-dir build-mipsel --output-on-failure

# Host benchmarks: every part writes under $(BENCH_BUILD)/results, then
# tools/bench_report.py merges them into bench/results/ (bench.json,
# bench.md, PNG charts) and README's benchmark section is regenerated.
BENCH_BUILD ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DSEGUE_BUILD_BENCH=ON -DSEGUE_BUILD_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	/usr/bin/python3 tools/bench_table.py $(BENCH_BUILD)/bench/bench_dsp $(BENCH_BUILD)/results
	/usr/bin/python3 tools/bench_mp3.py $(BENCH_BUILD)/bench $(BENCH_BUILD)/results
	/usr/bin/python3 tools/bench_codecs.py $(BENCH_BUILD)/bench $(BENCH_BUILD)/results
	/usr/bin/python3 tools/bench_wrappers.py $(BENCH_BUILD)/segue "" $(BENCH_BUILD)/results
	/usr/bin/python3 tools/bench_pipeline.py $(BENCH_BUILD)/segue $(BENCH_BUILD)/results
	/usr/bin/python3 tools/bench_report.py $(BENCH_BUILD)/results bench/results
	/usr/bin/python3 tools/update_readme_bench.py README.md bench/results

# Device budgets: the decode-only library cross-built per device, decoded
# under qemu-user with an instruction-counting plugin (bench/README.md).
device-bench: deps
	/usr/bin/python3 tools/device_bench.py --budgets bench/budgets.tsv --build build-device \
	  --out bench/results

# libFuzzer with ASan+UBSan (clang); each target runs FUZZ_SECONDS on a
# scratch copy of its seed corpus.
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSEGUE_FUZZ=ON -DSEGUE_SANITIZE=ON \
	  -DSEGUE_BUILD_CLI=OFF
	cmake --build build-fuzz -j $(JOBS)
	@set -e; for t in build-fuzz/tests/fuzz/fuzz_*; do \
	  [ -x "$$t" ] || continue; name=$$(basename $$t); seeds=tests/fuzz/corpus/$${name#fuzz_}; \
	  work=build-fuzz/corpus/$${name#fuzz_}; mkdir -p $$work; cp -n $$seeds/* $$work/ 2>/dev/null || true; \
	  echo "== $$name for $(FUZZ_SECONDS) s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -artifact_prefix=build-fuzz/ $$work; \
	done

fixtures:
	/usr/bin/python3 tools/make_fixtures.py fixtures
	/usr/bin/python3 tools/make_psp_fixtures.py fixtures

clean:
	rm -rf build build-asan build-aarch64 build-mipsel build-bench build-fuzz build-device
