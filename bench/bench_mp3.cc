// bench/bench_mp3.cc - our MP3 decoder against libmpg123 and libavcodec's
// mp3float, in one process, on the same bytes.
//
//     SEGUE_CPU=avx2 bench_mp3 [benchmark flags] FILE.mp3 [FILE.mp3 ...]
//
// Every file is read into memory once. Per file three benchmarks are
// registered one after the other, "<file>/segue/<level>", "<file>/mpg123"
// and "<file>/libavcodec", each iteration decoding the whole file to 32-bit
// float:
//   ours:   segue_decoder over segue_io_from_memory, segue_decoder_read_f32,
//           interleaved, gapless;
//   mpg123: mpg123_open_handle with memory reader callbacks (no copy of the
//           stream into feed buffers), MPG123_ENC_FLOAT_32, mpg123_read,
//           interleaved, gapless;
//   libavcodec: the mp3float decoder fed by av_parser (AV_CODEC_ID_MP3)
//           over the same bytes (bench_peers.c); planar float, its native
//           output, and no gapless trimming (that belongs to libavformat,
//           which a player without a demuxer does not have).
// All include opening and closing the stream, which is part of decoding a
// file. Unless the command line says otherwise, 9 repetitions with random
// interleaving: the repetitions of both decoders alternate in one process,
// so a frequency change or a noisy neighbour hits both alike; compare the
// median aggregates. The counter audio_s is the audio per iteration, so
// CPU ms per audio second = cpu_time(ms) / audio_s (tools/bench_mp3.py).
//
// Our level is the one the library picks, capped by SEGUE_CPU as
// everywhere (set it per process; the dispatch is fixed at first use). The
// mpg123 label names the synthesis libmpg123 chose for this CPU.

#include <benchmark/benchmark.h>
#include <mpg123.h>
#include <sys/types.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include "bench_peers.h"
#include "segue/decoder.h"
#include "simd/dsp.h"
}

namespace {

struct DecodeResult {
    unsigned long long frames = 0;
    unsigned channels = 0;
    unsigned rate = 0;
    bool ok = false;
};

// 4096 frames of stereo float, reused by every iteration of both sides.
std::vector<float> &scratch()
{
    static std::vector<float> pcm(4096 * 2);
    return pcm;
}

DecodeResult decode_segue(const unsigned char *data, size_t size)
{
    DecodeResult r;
    segue_io io;
    if (segue_io_from_memory(&io, data, size) != SEGUE_OK) {
        return r;
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    cfg.gapless = 1;
    segue_decoder *d = nullptr;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        std::fprintf(stderr, "segue: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return r;
    }
    const segue_stream_info *info = segue_decoder_info(d);
    r.channels = info->channels;
    r.rate = info->sample_rate;
    std::vector<float> &pcm = scratch();
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, pcm.data(), pcm.size() / 2, &got);
        if (st == SEGUE_END_OF_STREAM) {
            r.ok = true;
            break;
        }
        if (st < 0) {
            std::fprintf(stderr, "segue: %s\n", segue_decoder_last_error(d));
            break;
        }
        benchmark::DoNotOptimize(pcm.data());
        r.frames += got;
    }
    segue_decoder_destroy(d);
    return r;
}

struct MemReader {
    const unsigned char *data;
    size_t size;
    size_t pos;
};

mpg123_ssize_t mem_read(void *h, void *buf, size_t n)
{
    auto *m = static_cast<MemReader *>(h);
    size_t left = m->size - m->pos;
    if (n > left) {
        n = left;
    }
    std::memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return static_cast<mpg123_ssize_t>(n);
}

off_t mem_seek(void *h, off_t off, int whence)
{
    auto *m = static_cast<MemReader *>(h);
    off_t base = whence == SEEK_SET   ? 0
                 : whence == SEEK_CUR ? static_cast<off_t>(m->pos)
                                      : static_cast<off_t>(m->size);
    off_t to = base + off;
    if (to < 0 || static_cast<size_t>(to) > m->size) {
        return -1;
    }
    m->pos = static_cast<size_t>(to);
    return to;
}

DecodeResult decode_mpg123(const unsigned char *data, size_t size, std::string *decoder = nullptr)
{
    DecodeResult r;
    int err = MPG123_OK;
    mpg123_handle *mh = mpg123_new(nullptr, &err);
    if (!mh) {
        return r;
    }
    mpg123_param(mh, MPG123_FLAGS, MPG123_GAPLESS | MPG123_QUIET, 0.0);
    mpg123_format_none(mh);
    static const long rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (long rate : rates) {
        mpg123_format(mh, rate, MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
    }
    MemReader m{data, size, 0};
    if (mpg123_replace_reader_handle(mh, mem_read, mem_seek, nullptr) != MPG123_OK ||
        mpg123_open_handle(mh, &m) != MPG123_OK) {
        mpg123_delete(mh);
        return r;
    }
    std::vector<float> &pcm = scratch();
    for (;;) {
        size_t done = 0;
        int st = mpg123_read(mh, pcm.data(), pcm.size() * sizeof(float), &done);
        if (st == MPG123_NEW_FORMAT) {
            long rate = 0;
            int ch = 0;
            int enc = 0;
            mpg123_getformat(mh, &rate, &ch, &enc);
            r.rate = static_cast<unsigned>(rate);
            r.channels = static_cast<unsigned>(ch);
        } else if (st != MPG123_OK && st != MPG123_DONE) {
            std::fprintf(stderr, "mpg123: %s\n", mpg123_plain_strerror(st));
            break;
        }
        benchmark::DoNotOptimize(pcm.data());
        if (r.channels) {
            r.frames += done / sizeof(float) / r.channels;
        }
        if (st == MPG123_DONE) {
            r.ok = true;
            break;
        }
    }
    if (decoder) {
        const char *name = mpg123_current_decoder(mh);
        *decoder = name ? name : "?";
    }
    mpg123_delete(mh);
    return r;
}

struct File {
    std::string name;
    std::vector<unsigned char> bytes;  // plus BENCH_INPUT_PADDING zero bytes
    size_t size = 0;
    double audio_s = 0.0;
};

void run_segue(benchmark::State &state, const File *f)
{
    for (auto _ : state) {
        DecodeResult r = decode_segue(f->bytes.data(), f->size);
        if (!r.ok) {
            state.SkipWithError("segue decode failed");
            break;
        }
    }
    state.counters["audio_s"] = f->audio_s;
    state.SetLabel(segue_cpu_level_name(segue_cpu_active()));
}

void run_mpg123(benchmark::State &state, const File *f, const std::string *decoder)
{
    for (auto _ : state) {
        DecodeResult r = decode_mpg123(f->bytes.data(), f->size);
        if (!r.ok) {
            state.SkipWithError("mpg123 decode failed");
            break;
        }
    }
    state.counters["audio_s"] = f->audio_s;
    state.SetLabel(*decoder);
}

void run_avcodec(benchmark::State &state, const File *f, const std::string *label)
{
    bench_result r;
    for (auto _ : state) {
        if (bench_avcodec_decode_parsed("mp3float", f->bytes.data(), f->size, &r) != 0) {
            state.SkipWithError(bench_peer_error());
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    state.counters["audio_s"] = f->audio_s;
    state.SetLabel(*label);
}

std::string base_name(const std::string &path)
{
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool has_flag(int argc, char **argv, const char *prefix)
{
    for (int i = 1; i < argc; i++) {
        if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

int main(int argc, char **argv)
{
    // Defaults for what the comparison needs, unless given.
    std::vector<char *> args(argv, argv + argc);
    static char reps[] = "--benchmark_repetitions=9";
    static char interleave[] = "--benchmark_enable_random_interleaving=true";
    if (!has_flag(argc, argv, "--benchmark_repetitions")) {
        args.push_back(reps);
    }
    if (!has_flag(argc, argv, "--benchmark_enable_random_interleaving")) {
        args.push_back(interleave);
    }
    int nargs = static_cast<int>(args.size());
    benchmark::Initialize(&nargs, args.data());

    mpg123_init();  // a no-op since libmpg123 1.27, required before
    // Whatever benchmark did not consume is a file.
    static std::vector<File> files;
    static std::string mpg123_decoder = "?";
    for (int i = 1; i < nargs; i++) {
        std::ifstream in(args[i], std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "bench_mp3: cannot read %s\n", args[i]);
            return 2;
        }
        File f;
        f.name = base_name(args[i]);
        f.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        f.size = f.bytes.size();
        // The libavcodec parser reads a little past the end it is given.
        f.bytes.resize(f.size + BENCH_INPUT_PADDING, 0);
        files.push_back(std::move(f));
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: bench_mp3 [benchmark flags] FILE.mp3 ...\n");
        return 2;
    }
    // One untimed decode each: the audio length, and a check that both
    // decoders see the same stream (same frame count after gapless trim).
    static std::string avcodec_label = std::string(bench_avcodec_version()) + " mp3float";
    bool avcodec_ok = avcodec_label.size() > std::strlen(" mp3float");
    for (File &f : files) {
        DecodeResult ours = decode_segue(f.bytes.data(), f.size);
        DecodeResult ref = decode_mpg123(f.bytes.data(), f.size, &mpg123_decoder);
        if (!ours.ok || !ref.ok || ours.rate == 0) {
            std::fprintf(stderr, "bench_mp3: %s does not decode\n", f.name.c_str());
            return 1;
        }
        if (ours.frames != ref.frames) {
            std::fprintf(stderr, "bench_mp3: %s: %llu frames (segue) vs %llu (mpg123)\n",
                         f.name.c_str(), ours.frames, ref.frames);
        }
        f.audio_s = static_cast<double>(ours.frames) / ours.rate;
        bench_result av;
        if (avcodec_ok && bench_avcodec_decode_parsed("mp3float", f.bytes.data(), f.size, &av) != 0) {
            std::fprintf(stderr, "bench_mp3: libavcodec left out: %s\n", bench_peer_error());
            avcodec_ok = false;
        }
    }
    const char *level = segue_cpu_level_name(segue_cpu_active());
    for (const File &f : files) {
        benchmark::RegisterBenchmark((f.name + "/segue/" + level).c_str(), run_segue, &f)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((f.name + "/mpg123").c_str(), run_mpg123, &f,
                                     &mpg123_decoder)
            ->Unit(benchmark::kMillisecond);
        if (avcodec_ok) {
            benchmark::RegisterBenchmark((f.name + "/libavcodec").c_str(), run_avcodec, &f,
                                         &avcodec_label)
                ->Unit(benchmark::kMillisecond);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
