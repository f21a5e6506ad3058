// bench/bench_dsp.cc - throughput of each simd/dsp.h kernel at each level the
// host runs, beside a memcpy of the same number of bytes.
//
// Every benchmark works on n = 4096 frames. "Bytes processed" counts the
// bytes a call reads (for scale_add both src and dst), and the memcpy
// baseline copies exactly that many, so the GB/s columns compare directly:
// a kernel near its memcpy line is bound by memory, not arithmetic.
// Names are kernel/level, e.g. f32_to_s16/avx2 and f32_to_s16/memcpy.
//
// Quote CPU time on shared machines (google-benchmark's "CPU" column).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "simd/dsp.h"
}

namespace {

constexpr std::size_t kFrames = 4096;
constexpr unsigned kChannels = 6;  // 5.1: exercises the generic channel path

// Inputs and outputs shared by every benchmark; the values matter only in
// that they are ordinary audio (no denormals, nothing clipped).
struct Buffers {
    std::vector<float> f32_in, f32_out, f32_inter_in, f32_inter_out, accum;
    std::vector<int16_t> s16_in, s16_out;
    std::vector<int32_t> s32_in, s32_out;
    std::vector<std::vector<float>> planes_in, planes_out;
    std::vector<const float *> plane_in_ptrs;
    std::vector<float *> plane_out_ptrs;

    Buffers()
        : f32_in(kFrames), f32_out(kFrames), f32_inter_in(kFrames * kChannels),
          f32_inter_out(kFrames * kChannels), accum(kFrames), s16_in(kFrames), s16_out(kFrames),
          s32_in(kFrames), s32_out(kFrames), planes_in(kChannels, std::vector<float>(kFrames)),
          planes_out(kChannels, std::vector<float>(kFrames))
    {
        std::mt19937 gen(12345);
        std::uniform_real_distribution<float> audio(-1.0f, 1.0f);
        std::uniform_int_distribution<int32_t> s24(-(1 << 23), (1 << 23) - 1);
        for (std::size_t i = 0; i < kFrames; i++) {
            f32_in[i] = audio(gen);
            accum[i] = audio(gen);
            s16_in[i] = static_cast<int16_t>(s24(gen) >> 8);
            s32_in[i] = s24(gen);
        }
        for (auto &v : f32_inter_in) v = audio(gen);
        for (unsigned c = 0; c < kChannels; c++) {
            for (auto &v : planes_in[c]) v = audio(gen);
            plane_in_ptrs.push_back(planes_in[c].data());
            plane_out_ptrs.push_back(planes_out[c].data());
        }
    }
};

Buffers &buffers()
{
    static Buffers b;
    return b;
}

enum class Kernel {
    F32ToS16,
    F32ToS24,
    F32ToS32,
    S16ToF32,
    S32ToF32,
    Interleave2,
    Deinterleave2,
    InterleaveN,
    DeinterleaveN,
    ScaleAdd,
    Scale,
};

struct KernelInfo {
    Kernel kernel;
    const char *name;
    std::size_t bytes_read;
};

const KernelInfo kKernels[] = {
    {Kernel::F32ToS16, "f32_to_s16", kFrames * sizeof(float)},
    {Kernel::F32ToS24, "f32_to_s24", kFrames * sizeof(float)},
    {Kernel::F32ToS32, "f32_to_s32", kFrames * sizeof(float)},
    {Kernel::S16ToF32, "s16_to_f32", kFrames * sizeof(int16_t)},
    {Kernel::S32ToF32, "s32_to_f32", kFrames * sizeof(int32_t)},
    {Kernel::Interleave2, "interleave2_f32", 2 * kFrames * sizeof(float)},
    {Kernel::Deinterleave2, "deinterleave2_f32", 2 * kFrames * sizeof(float)},
    {Kernel::InterleaveN, "interleave_f32_6ch", kChannels * kFrames * sizeof(float)},
    {Kernel::DeinterleaveN, "deinterleave_f32_6ch", kChannels * kFrames * sizeof(float)},
    {Kernel::ScaleAdd, "scale_add_f32", 2 * kFrames * sizeof(float)},
    {Kernel::Scale, "scale_f32", kFrames * sizeof(float)},
};

void run_kernel(const segue_dsp &d, Kernel k, Buffers &b)
{
    const std::size_t n = kFrames;
    switch (k) {
    case Kernel::F32ToS16:
        d.f32_to_s16(b.s16_out.data(), b.f32_in.data(), n);
        break;
    case Kernel::F32ToS24:
        d.f32_to_s24(b.s32_out.data(), b.f32_in.data(), n);
        break;
    case Kernel::F32ToS32:
        d.f32_to_s32(b.s32_out.data(), b.f32_in.data(), n);
        break;
    case Kernel::S16ToF32:
        d.s16_to_f32(b.f32_out.data(), b.s16_in.data(), n);
        break;
    case Kernel::S32ToF32:
        d.s32_to_f32(b.f32_out.data(), b.s32_in.data(), n, 1.0f / 8388608.0f);
        break;
    case Kernel::Interleave2:
        d.interleave2_f32(b.f32_inter_out.data(), b.planes_in[0].data(), b.planes_in[1].data(), n);
        break;
    case Kernel::Deinterleave2:
        d.deinterleave2_f32(b.planes_out[0].data(), b.planes_out[1].data(), b.f32_inter_in.data(), n);
        break;
    case Kernel::InterleaveN:
        d.interleave_f32(b.f32_inter_out.data(), b.plane_in_ptrs.data(), kChannels, n);
        break;
    case Kernel::DeinterleaveN:
        d.deinterleave_f32(b.plane_out_ptrs.data(), b.f32_inter_in.data(), kChannels, n);
        break;
    case Kernel::ScaleAdd:
        // A gain that keeps the accumulator bounded over millions of calls.
        d.scale_add_f32(b.accum.data(), b.f32_in.data(), 1e-7f, n);
        break;
    case Kernel::Scale:
        d.scale_f32(b.f32_out.data(), b.f32_in.data(), 0.5f, n);
        break;
    }
}

void register_all()
{
    for (const KernelInfo &info : kKernels) {
        const std::size_t bytes = info.bytes_read;
        benchmark::RegisterBenchmark((std::string(info.name) + "/memcpy").c_str(),
                                     [bytes](benchmark::State &state) {
                                         std::vector<unsigned char> src(bytes, 0x5a), dst(bytes);
                                         for (auto _ : state) {
                                             std::memcpy(dst.data(), src.data(), bytes);
                                             benchmark::DoNotOptimize(dst.data());
                                             benchmark::ClobberMemory();
                                         }
                                         state.SetBytesProcessed(
                                             static_cast<int64_t>(state.iterations()) *
                                             static_cast<int64_t>(bytes));
                                     });
        for (int l = SEGUE_CPU_SCALAR; l <= SEGUE_CPU_NEON; l++) {
            segue_dsp table;
            auto level = static_cast<segue_cpu_level>(l);
            if (segue_dsp_init_level(&table, level) != 0) {
                continue;
            }
            const Kernel kernel = info.kernel;
            std::string name = std::string(info.name) + "/" + segue_cpu_level_name(level);
            benchmark::RegisterBenchmark(name.c_str(), [table, kernel, bytes](benchmark::State &state) {
                Buffers &b = buffers();
                for (auto _ : state) {
                    run_kernel(table, kernel, b);
                    benchmark::ClobberMemory();
                }
                state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                                        static_cast<int64_t>(bytes));
            });
        }
    }
}

// Whatever runs first otherwise pays for the clock ramping up and cold
// caches/TLBs; google-benchmark 1.7 has no warm-up option of its own.
void warm_up()
{
    std::vector<unsigned char> a(1 << 20, 1), b(1 << 20);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < until) {
        std::memcpy(b.data(), a.data(), a.size());
        benchmark::DoNotOptimize(b.data());
    }
    (void)buffers();
}

}  // namespace

int main(int argc, char **argv)
{
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    warm_up();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
