// bench/bench_aac_imdct.cc - our AAC IMDCT (segue_dsp aac_imdct, on our own
// FFT) against libavutil's av_tx inverse MDCT (AV_TX_FLOAT_MDCT), 2048 and
// 256 points, in one process on the same random spectrum.
//
//     bench_aac_imdct [benchmark flags]
//
// Benchmarks are named aac_imdct/<N>/<implementation>:
//   segue           the table of the active level (SEGUE_CPU caps it);
//   segue_<level>   each level this host runs (scalar, sse2, avx2, neon);
//   av_tx           av_tx with AV_TX_FULL_IMDCT: all N outputs, as ours;
//   av_tx half      the default half-length inverse (N/2 outputs, the
//                   redundant half left out), what FFmpeg's decoders call.
// One iteration is one transform; the counter audio_s is the audio it
// covers at 44.1 kHz (N/2 samples of one channel), so CPU time per audio
// second compares with the decoders' rows. Unless the command line says
// otherwise: 9 repetitions, randomly interleaved; compare medians. At
// start ours is checked against the full av_tx with scale 2/N (check(),
// on stderr): they agree to about 2e-7 of the peak with av_tx's output
// negated (its sign convention; the 14496-3 formula is ours).

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "simd/dsp.h"
#include <libavutil/avutil.h>
#include <libavutil/mem.h>
#include <libavutil/tx.h>
}

namespace {

// Buffers from av_malloc (64-byte aligned: av_tx's assembly needs its
// buffers aligned), the same for both sides.
struct Buf {
    float *p;
    explicit Buf(size_t n) : p(static_cast<float *>(av_mallocz(n * sizeof(float)))) {}
    ~Buf() { av_free(p); }
    Buf(const Buf &) = delete;
    Buf &operator=(const Buf &) = delete;
    float *data() { return p; }
    float &operator[](size_t i) { return p[i]; }
};

struct Spectrum {
    Buf in, out, work;
    explicit Spectrum(unsigned n) : in(n / 2), out(n), work(n / 2)
    {
        uint32_t r = 12345u;
        for (unsigned i = 0; i < n / 2; i++) {
            r = r * 1664525u + 1013904223u;
            in.p[i] = (float)((int)(r >> 8) - (1 << 23)) / 8388608.0f;
        }
    }
};

segue_dsp levels[4];
bool level_ok[4];

void bm_segue(benchmark::State &state, const segue_dsp *dsp, unsigned log2n)
{
    Spectrum s(1u << log2n);
    for (auto _ : state) {
        dsp->aac_imdct(s.out.data(), s.in.data(), log2n, s.work.data());
        benchmark::DoNotOptimize(s.out.data());
        benchmark::ClobberMemory();
    }
    state.counters["audio_s"] = (double)(1u << (log2n - 1)) / 44100.0;
}

void bm_avtx(benchmark::State &state, unsigned log2n, bool full)
{
    unsigned n = 1u << log2n;
    Spectrum s(n);
    AVTXContext *ctx = nullptr;
    av_tx_fn fn = nullptr;
    float scale = 2.0f / (float)n;
    if (av_tx_init(&ctx, &fn, AV_TX_FLOAT_MDCT, 1, (int)(n / 2), &scale,
                   full ? AV_TX_FULL_IMDCT : 0) < 0) {
        state.SkipWithError("av_tx_init failed");
        for (auto _ : state) {
        }
        return;
    }
    for (auto _ : state) {
        fn(ctx, s.out.data(), s.in.data(), sizeof(float));
        benchmark::DoNotOptimize(s.out.data());
        benchmark::ClobberMemory();
    }
    av_tx_uninit(&ctx);
    state.counters["audio_s"] = (double)(n / 2) / 44100.0;
    state.SetLabel(std::string("libavutil ") + av_version_info());
}

// Ours against the full av_tx on one spectrum: the largest difference
// relative to the peak. The two use the same definition up to the output
// sign convention, which is reported too.
void check(unsigned log2n)
{
    unsigned n = 1u << log2n;
    Spectrum a(n), b(n);
    segue_dsp_get()->aac_imdct(a.out.data(), a.in.data(), log2n, a.work.data());
    AVTXContext *ctx = nullptr;
    av_tx_fn fn = nullptr;
    float scale = 2.0f / (float)n;
    if (av_tx_init(&ctx, &fn, AV_TX_FLOAT_MDCT, 1, (int)(n / 2), &scale, AV_TX_FULL_IMDCT) < 0) {
        std::fprintf(stderr, "bench_aac_imdct: av_tx_init failed\n");
        return;
    }
    fn(ctx, b.out.data(), b.in.data(), sizeof(float));
    av_tx_uninit(&ctx);
    double peak = 0, same = 0, flipped = 0;
    for (unsigned i = 0; i < n; i++) {
        peak = std::fmax(peak, std::fabs((double)a.out[i]));
        same = std::fmax(same, std::fabs((double)a.out[i] - (double)b.out[i]));
        flipped = std::fmax(flipped, std::fabs((double)a.out[i] + (double)b.out[i]));
    }
    std::fprintf(stderr, "check %u: max |ours - av_tx| / peak = %.3g (negated: %.3g)\n", n,
                 same / peak, flipped / peak);
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<char *> args(argv, argv + argc);
    std::string reps = "--benchmark_repetitions=9";
    std::string inter = "--benchmark_enable_random_interleaving=true";
    bool have_reps = false, have_inter = false;
    for (int i = 1; i < argc; i++) {
        have_reps |= std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
        have_inter |= std::strncmp(argv[i], "--benchmark_enable_random_interleaving", 38) == 0;
    }
    if (!have_reps)
        args.push_back(reps.data());
    if (!have_inter)
        args.push_back(inter.data());
    int nargs = (int)args.size();
    benchmark::Initialize(&nargs, args.data());
    check(11);
    check(8);
    for (unsigned log2n : {11u, 8u}) {
        std::string n = std::to_string(1u << log2n);
        benchmark::RegisterBenchmark(("aac_imdct/" + n + "/segue").c_str(), bm_segue,
                                     segue_dsp_get(), log2n)
            ->MinTime(0.05);
        for (int l = SEGUE_CPU_SCALAR; l <= SEGUE_CPU_NEON; l++) {
            if (segue_dsp_init_level(&levels[l], (segue_cpu_level)l) != 0)
                continue;
            benchmark::RegisterBenchmark(("aac_imdct/" + n + "/segue_" +
                                          segue_cpu_level_name((segue_cpu_level)l))
                                             .c_str(),
                                         bm_segue, &levels[l], log2n)
                ->MinTime(0.05);
        }
        benchmark::RegisterBenchmark(("aac_imdct/" + n + "/av_tx").c_str(), bm_avtx, log2n, true)
            ->MinTime(0.05);
        benchmark::RegisterBenchmark(("aac_imdct/" + n + "/av_tx half").c_str(), bm_avtx, log2n,
                                     false)
            ->MinTime(0.05);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
