// bench/bench_codecs.cc - our encoders, transcoder and (as they land) AAC
// and ATRAC3 decoders beside their peers, in one process, on the same bytes.
//
//     bench_codecs [benchmark flags] --flac=CLIP.flac [--adts=CLIP.aac]
//                  [--at3=CLIP.at3] [--run-once=NAME]
//
// Benchmarks are named section/case/implementation, e.g.
// "mp3_encode/cbr128/segue" and "mp3_encode/cbr128/libmp3lame". Every
// iteration is one whole job over data already in memory (bench_peers.c):
//   mp3_encode      the FLAC clip's PCM (decoded once, untimed) to MP3:
//                   segue_encoder (container and codec "mp3") against
//                   libmp3lame called directly, same settings, 4096-frame
//                   writes on both sides;
//   aac_encode      the same PCM to AAC-LC 128 kbit/s: segue (container
//                   "m4a", codec "aac") against libavcodec's native "aac";
//   flac_to_mp3     the FLAC bytes to MP3 V2: segue_transcoder against
//                   libFLAC's stream decoder feeding libmp3lame;
//   flac_to_aac     the FLAC bytes to AAC through segue_transcoder;
//   aac_decode      an ADTS file: segue against libavcodec "aac" (framed by
//                   its ADTS parser) and libfaad;
//   atrac3_decode   a RIFF ATRAC3 file: segue against libavcodec "atrac3".
// Output bytes are counted and dropped on both sides.
//
// Before anything is timed each implementation runs once: a peer that fails
// is left out (stderr says why), and when ours fails (the codec is not in
// this build yet, or the library lacks the container) its benchmark is still
// registered and skips with the message "not built yet: <segue's error>",
// so the JSON says so instead of leaving the row out. Unless the command
// line says otherwise: 7 repetitions, randomly interleaved, so ours and the
// peers alternate in one process and a noisy neighbour hits all alike;
// compare medians. The counter audio_s is the audio per iteration.
//
// --run-once=NAME runs that one benchmark's job once, untimed, inside
// bench_measured_job() (for valgrind --toggle-collect=bench_measured_job).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include "bench_peers.h"
#include "segue/decoder.h"
}

namespace {

struct Input {
    std::vector<unsigned char> bytes;  // plus BENCH_INPUT_PADDING zero bytes
    size_t size = 0;
};

bool load(const std::string &path, Input *in)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        return false;
    }
    in->bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    in->size = in->bytes.size();
    in->bytes.resize(in->size + BENCH_INPUT_PADDING, 0);
    return true;
}

// Interleaved float PCM of the FLAC clip, the encoders' common input.
struct Pcm {
    std::vector<float> samples;
    size_t frames = 0;
    unsigned channels = 0;
    unsigned rate = 0;
};

bool decode_to_pcm(const Input &in, Pcm *pcm)
{
    segue_io io;
    if (segue_io_from_memory(&io, in.bytes.data(), in.size) != SEGUE_OK) {
        return false;
    }
    segue_decoder_config cfg;
    segue_decoder_config_default(&cfg);
    segue_decoder *d = nullptr;
    if (segue_decoder_open(&d, &io, &cfg) < 0) {
        std::fprintf(stderr, "bench_codecs: %s\n", segue_decoder_last_error(d));
        segue_decoder_destroy(d);
        return false;
    }
    pcm->channels = segue_decoder_info(d)->channels;
    pcm->rate = segue_decoder_info(d)->sample_rate;
    std::vector<float> chunk(4096 * static_cast<size_t>(pcm->channels));
    for (;;) {
        size_t got = 0;
        segue_status st = segue_decoder_read_f32(d, chunk.data(), 4096, &got);
        if (st == SEGUE_END_OF_STREAM) {
            break;
        }
        if (st < 0) {
            segue_decoder_destroy(d);
            return false;
        }
        pcm->samples.insert(pcm->samples.end(), chunk.begin(), chunk.begin() + got * pcm->channels);
        pcm->frames += got;
    }
    segue_decoder_destroy(d);
    return pcm->frames > 0;
}

using Job = std::function<int(bench_result *)>;

struct Case {
    std::string name;    // section/case/implementation
    std::string label;   // library and version, or the reason it is skipped
    bool ours = false;
    bool available = false;
    double audio_s = 0.0;
    Job job;
};

void run_case(benchmark::State &state, const Case *c)
{
    if (!c->available) {
        state.SkipWithError(c->label.c_str());
        for (auto _ : state) {
        }
        return;
    }
    bench_result r;
    for (auto _ : state) {
        if (c->job(&r) != 0) {
            state.SkipWithError(bench_peer_error());
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    state.counters["audio_s"] = c->audio_s;
    state.SetLabel(c->label);
}

}  // namespace

// Not inlined and not mangled, so callgrind's --toggle-collect finds it.
extern "C" __attribute__((noinline)) int bench_measured_job(const Job *job, bench_result *r)
{
    return (*job)(r);
}

namespace {

std::string option(int argc, char **argv, const char *name)
{
    size_t len = std::strlen(name);
    for (int i = 1; i < argc; i++) {
        if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') {
            return argv[i] + len + 1;
        }
    }
    return "";
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
    std::vector<char *> args(argv, argv + argc);
    static char reps[] = "--benchmark_repetitions=7";
    static char interleave[] = "--benchmark_enable_random_interleaving=true";
    if (!has_flag(argc, argv, "--benchmark_repetitions")) {
        args.push_back(reps);
    }
    if (!has_flag(argc, argv, "--benchmark_enable_random_interleaving")) {
        args.push_back(interleave);
    }
    int nargs = static_cast<int>(args.size());
    benchmark::Initialize(&nargs, args.data());
    std::string flac_path = option(nargs, args.data(), "--flac");
    std::string adts_path = option(nargs, args.data(), "--adts");
    std::string at3_path = option(nargs, args.data(), "--at3");
    std::string run_once = option(nargs, args.data(), "--run-once");
    if (flac_path.empty()) {
        std::fprintf(stderr, "usage: bench_codecs [benchmark flags] --flac=CLIP.flac "
                             "[--adts=CLIP.aac] [--at3=CLIP.at3] [--run-once=NAME]\n");
        return 2;
    }
    static Input flac, adts, at3;
    static Pcm pcm;
    // Under callgrind a decode-only run need not pay for the encoders' PCM.
    const bool need_pcm = run_once.empty() || run_once.find("_decode/") == std::string::npos;
    if (!load(flac_path, &flac) || (need_pcm && !decode_to_pcm(flac, &pcm))) {
        std::fprintf(stderr, "bench_codecs: cannot read or decode %s\n", flac_path.c_str());
        return 1;
    }
    const double clip_s = pcm.rate ? static_cast<double>(pcm.frames) / pcm.rate : 0.0;
    static const bench_encode_settings cbr128 = {0, 128, 0.0f};
    static const bench_encode_settings v2 = {1, 0, 2.0f};
    static const bench_encode_settings aac128 = {0, 128, 0.0f};
    const std::string lame = bench_lame_version();
    const std::string avcodec = bench_avcodec_version();
    const std::string faad = bench_faad_version();
    const std::string flac_lib = bench_flac_version();

    static std::vector<Case> cases;
    auto add = [&](const std::string &name, bool ours, const std::string &label, double audio_s,
                   Job job) {
        Case c;
        c.name = name;
        c.ours = ours;
        c.label = label;
        c.audio_s = audio_s;
        c.job = std::move(job);
        cases.push_back(std::move(c));
    };
    const float *samples = pcm.samples.data();
    const size_t frames = pcm.frames;
    const unsigned ch = pcm.channels;
    const unsigned rate = pcm.rate;
    for (const auto &setting : {std::make_pair("cbr128", &cbr128), std::make_pair("v2", &v2)}) {
        const bench_encode_settings *s = setting.second;
        std::string base = std::string("mp3_encode/") + setting.first;
        add(base + "/segue", true, "segue over " + lame, clip_s, [=](bench_result *r) {
            return bench_segue_encode("mp3", "mp3", samples, frames, ch, rate, s, r);
        });
        add(base + "/libmp3lame", false, lame, clip_s, [=](bench_result *r) {
            return bench_lame_encode(samples, frames, ch, rate, s, r);
        });
    }
    add("aac_encode/128k/segue", true, "segue", clip_s, [=](bench_result *r) {
        return bench_segue_encode("m4a", "aac", samples, frames, ch, rate, &aac128, r);
    });
    add("aac_encode/128k/libavcodec", false, avcodec + " aac", clip_s, [=](bench_result *r) {
        return bench_avcodec_encode("aac", samples, frames, ch, rate, &aac128, r);
    });
    const unsigned char *flac_bytes = flac.bytes.data();
    const size_t flac_size = flac.size;
    add("flac_to_mp3/v2/segue", true, "segue_transcoder over " + lame, clip_s,
        [=](bench_result *r) {
            return bench_segue_transcode(flac_bytes, flac_size, "mp3", "mp3", &v2, r);
        });
    add("flac_to_mp3/v2/libFLAC+libmp3lame", false, flac_lib + " + " + lame, clip_s,
        [=](bench_result *r) { return bench_flac_lame_transcode(flac_bytes, flac_size, &v2, r); });
    add("flac_to_aac/128k/segue", true, "segue_transcoder", clip_s, [=](bench_result *r) {
        return bench_segue_transcode(flac_bytes, flac_size, "m4a", "aac", &aac128, r);
    });
    if (!adts_path.empty() && load(adts_path, &adts)) {
        const unsigned char *b = adts.bytes.data();
        const size_t n = adts.size;
        add("aac_decode/adts128k/segue", true, "segue", 0.0,
            [=](bench_result *r) { return bench_segue_decode(b, n, r); });
        add("aac_decode/adts128k/libavcodec", false, avcodec + " aac", 0.0,
            [=](bench_result *r) { return bench_avcodec_decode_parsed("aac", b, n, r); });
        add("aac_decode/adts128k/libfaad", false, faad, 0.0,
            [=](bench_result *r) { return bench_faad_decode(b, n, r); });
    }
    if (!at3_path.empty() && load(at3_path, &at3)) {
        const unsigned char *b = at3.bytes.data();
        const size_t n = at3.size;
        add("atrac3_decode/lp2/segue", true, "segue", 0.0,
            [=](bench_result *r) { return bench_segue_decode(b, n, r); });
        add("atrac3_decode/lp2/libavcodec", false, avcodec + " atrac3", 0.0,
            [=](bench_result *r) { return bench_avcodec_decode_riff("atrac3", b, n, r); });
    }

    if (!run_once.empty()) {
        for (const Case &c : cases) {
            if (c.name == run_once) {
                bench_result r;
                if (bench_measured_job(&c.job, &r) != 0) {
                    std::fprintf(stderr, "bench_codecs: %s: %s\n", c.name.c_str(), bench_peer_error());
                    return 1;
                }
                std::printf("%s frames=%llu bytes=%llu channels=%u rate=%u\n", c.name.c_str(), r.frames,
                            r.bytes, r.channels, r.rate);
                return 0;
            }
        }
        std::fprintf(stderr, "bench_codecs: no case %s\n", run_once.c_str());
        return 2;
    }

    // One untimed run each: availability, and the audio length of decodes
    // (from the first implementation that decodes the file).
    std::string section_audio_key;
    double section_audio_s = 0.0;
    for (Case &c : cases) {
        bench_result r;
        std::string section = c.name.substr(0, c.name.rfind('/'));
        c.available = c.job(&r) == 0;
        if (!c.available) {
            std::string why = bench_peer_error();
            std::fprintf(stderr, "bench_codecs: %s: %s\n", c.name.c_str(), why.c_str());
            c.label = (c.ours ? "not built yet: " : "peer failed: ") + why;
            continue;
        }
        if (c.audio_s == 0.0 && r.rate) {
            if (section != section_audio_key) {
                section_audio_key = section;
                section_audio_s = static_cast<double>(r.frames) / r.rate;
            }
            c.audio_s = section_audio_s;
        }
    }
    for (const Case &c : cases) {
        if (!c.available && !c.ours) {
            continue;  // a peer that does not run here is simply not compared
        }
        auto *b = benchmark::RegisterBenchmark(c.name.c_str(), run_case, &c);
        b->Unit(benchmark::kMillisecond);
        // Whole-file encodes take seconds: one per repetition is enough;
        // decodes take milliseconds, so let them run a few iterations.
        if (c.name.find("_decode/") == std::string::npos) {
            b->Iterations(1);
        } else {
            b->MinTime(0.2);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
