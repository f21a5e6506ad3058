#!/usr/bin/python3
"""Device budgets: cross-build the decode-only library per device, decode
MP3s under qemu-user with the instruction-counting plugin, and hold the
figures against the budget table (bench/budgets.tsv; bench/README.md).

    device_bench.py --budgets bench/budgets.tsv --build build-device --out bench/results
        [--devices psp-1000@333,...] [--codecs mp3-128-cbr,mp3-v2]
        [--seconds S] [--source FILE.flac|FILE.wav] [--no-determinism-check]

Writes device_bench.md and device_bench.json into --out, prints the
Markdown, prints one "FAIL device codec: ..." line per exceeded item and
exits 1 when anything fails (2 when the harness itself cannot run).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Per build target: toolchain file, qemu, plugin isa, binutils prefix.
TARGETS = {
    "psp": {"toolchain": "cmake/toolchain-psp.cmake", "qemu": "qemu-mipsel", "isa": "allegrex",
            "cc": "mipsel-linux-gnu-gcc", "nm": "mipsel-linux-gnu-nm",
            "describe": "mipsel gcc -march=mips2 -msingle-float -fsingle-precision-constant -O2, static"},
    "armv6": {"toolchain": "cmake/toolchain-armv6.cmake", "qemu": "qemu-arm", "isa": "armv6",
              "cc": "arm-linux-gnueabihf-gcc", "nm": "arm-linux-gnueabihf-nm",
              "describe": "armhf gcc -march=armv6 -marm -mfpu=vfp -O2, static"},
    "host": {"toolchain": None, "qemu": "qemu-x86_64", "isa": "none", "cc": "cc", "nm": "nm",
             "describe": "host gcc -O2, static, under qemu-x86_64 (default CPU model; the dsp level its CPUID selects)"},
}

# Test signals: lame encodes of the source, 44.1 kHz stereo.
CODECS = {
    "mp3-128-cbr": ["-b", "128", "--cbr"],
    "mp3-v2": ["-V", "2"],
}

CORPUS_CLIP = os.path.join(ROOT, "..", "shared", "corpus", "orchestral_dense.flac")
MP3_FRAME = 1152

NUMERIC = ["clock_mhz", "ram_bytes", "icache_bytes", "dcache_bytes", "cpi", "decode_share_pct",
           "max_minsn_per_s", "max_state_bytes", "max_heap_bytes", "max_stack_bytes",
           "max_code_bytes", "max_table_bytes"]
REQUIRED = ["device", "target"] + NUMERIC + ["fpu", "documented", "assumed", "source"]


class HarnessError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def load_budgets(path):
    rows, header = [], None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                missing = [c for c in REQUIRED if c not in header]
                if missing:
                    raise HarnessError(f"{path}: header lacks {', '.join(missing)}")
                continue
            if len(cells) != len(header):
                raise HarnessError(f"{path}:{lineno}: {len(cells)} cells, header has {len(header)}")
            row = dict(zip(header, cells))
            if row["target"] not in TARGETS:
                raise HarnessError(f"{path}:{lineno}: unknown target {row['target']!r}")
            for k in NUMERIC:
                v = row[k].strip()
                try:
                    row[k] = None if v in ("-", "") else float(v)
                except ValueError as e:
                    raise HarnessError(f"{path}:{lineno}: {k} = {v!r} is not a number or '-'") from e
            rows.append(row)
    if not rows:
        raise HarnessError(f"{path}: no budget rows")
    return rows


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def need_tools(names):
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise HarnessError("missing tools: " + ", ".join(missing) + " (make deps installs them)")


def build_plugin(build):
    out = os.path.join(build, "insn_count_plugin.so")
    src = os.path.join(ROOT, "bench", "device", "insn_count_plugin.c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        run(["cc", "-std=c11", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra",
             "-Wpedantic", "-Wshadow", "-Wconversion", "-Wstrict-prototypes",
             "-Wmissing-prototypes", "-Wformat=2", "-Wundef", "-Werror", "-o", out, src])
    return out


def build_target(build, target):
    t = TARGETS[target]
    bdir = os.path.join(build, target)
    cfg = ["cmake", "-S", os.path.join(ROOT, "bench", "device"), "-B", bdir,
           "-DCMAKE_BUILD_TYPE=Release"]
    if t["toolchain"]:
        cfg.append("-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(ROOT, t["toolchain"]))
    try:
        run(cfg)
        run(["cmake", "--build", bdir, "-j", "2", "--target", "mp3_device_driver"])
    except subprocess.CalledProcessError as e:
        raise HarnessError(f"build of {target} failed:\n{e.stdout[-3000:]}{e.stderr[-3000:]}") from e
    return os.path.join(bdir, "mp3_device_driver"), bdir


def make_inputs(build, codecs, seconds, source):
    """Returns ({codec: mp3 path}, description of the signal)."""
    idir = os.path.join(build, "inputs")
    os.makedirs(idir, exist_ok=True)
    wav = os.path.join(idir, f"source-{seconds:g}s.wav")
    if source:
        desc = f"{os.path.basename(source)}, first {seconds:g} s"
    elif os.path.exists(CORPUS_CLIP):
        source = CORPUS_CLIP
        desc = f"../shared/corpus/orchestral_dense.flac, first {seconds:g} s"
    else:
        source = None
        desc = (f"synthetic (sox: pink noise + 440 Hz sine, {seconds:g} s) because "
                "../shared/corpus is not present")
    stamp = os.path.join(idir, f"source-{seconds:g}s.txt")
    if not (os.path.exists(wav) and os.path.exists(stamp) and open(stamp).read() == desc):
        need_tools(["sox"])
        if source and source.endswith(".flac"):
            need_tools(["flac"])
            tmp = wav + ".full.wav"
            run(["flac", "-s", "-d", "-f", source, "-o", tmp])
            run(["sox", tmp, "-r", "44100", "-c", "2", "-b", "16", wav, "trim", "0", f"{seconds:g}"])
            os.remove(tmp)
        elif source:
            run(["sox", source, "-r", "44100", "-c", "2", "-b", "16", wav, "trim", "0", f"{seconds:g}"])
        else:
            run(["sox", "-R", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", f"{seconds:g}",
                 "pinknoise", "sine", "440", "vol", "0.5"])
        with open(stamp, "w") as f:
            f.write(desc)
        for c in CODECS:
            p = os.path.join(idir, f"{c}-{seconds:g}s.mp3")
            if os.path.exists(p):
                os.remove(p)
    need_tools(["lame"])
    paths = {}
    for c in codecs:
        p = os.path.join(idir, f"{c}-{seconds:g}s.mp3")
        if not os.path.exists(p):
            run(["lame", "--quiet", "--noreplaygain"] + CODECS[c] + [wav, p])
        paths[c] = p
    return paths, desc


def parse_plugin_report(path):
    r = {"regions": [], "classes": {}, "symbols": {}, "lacking": [], "errors": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            key = parts[0]
            if key == "region":
                r["regions"].append(int(parts[2]))
            elif key == "total":
                r["total"] = int(parts[1])
            elif key == "class":
                r["classes"][parts[1]] = int(parts[2])
            elif key == "symbol":
                r["symbols"][parts[1]] = int(parts[2])
            elif key == "lacking":
                # lacking SYMBOL MNEMONIC... COUNT (the mnemonic may hold spaces)
                r["lacking"].append({"symbol": parts[1], "insn": " ".join(parts[2:-1]),
                                     "count": int(parts[-1])})
            elif key == "error":
                r["errors"].append(parts[1])
            elif key in ("target", "isa"):
                r[key] = parts[1]
    return r


def run_driver(plugin, target, driver, mp3, report):
    t = TARGETS[target]
    # An empty environment and a fixed working directory: nothing of the
    # caller leaks into the guest (the decode region is independent of them
    # anyway, see mp3_device_driver.c).
    cmd = [t["qemu"], "-plugin", f"{plugin},out={report},isa={t['isa']}", driver, mp3]
    try:
        p = run(cmd, env={}, cwd=os.path.dirname(report))
    except subprocess.CalledProcessError as e:
        raise HarnessError(f"{' '.join(cmd)} failed ({e.returncode}): {e.stderr.strip()}") from e
    m = re.search(r"segue-device (.*)", p.stdout)
    if not m:
        raise HarnessError(f"driver printed no result line: {p.stdout!r}")
    fields = dict(kv.split("=", 1) for kv in m.group(1).split())
    res = parse_plugin_report(report)
    res["driver"] = {k: (v if k == "checksum" else int(v)) for k, v in fields.items()}
    if res["errors"]:
        raise HarnessError(f"plugin reported {', '.join(res['errors'])} for {mp3}")
    if len(res["regions"]) != res["driver"]["calls"]:
        raise HarnessError(f"plugin saw {len(res['regions'])} regions, driver made "
                           f"{res['driver']['calls']} calls (markers not found?)")
    return res


# The objects of the MP3 decoding path (what a player embedding only the
# MP3 decoder links): codec/mp3, codec/common/mpa_header, simd/ (scalar),
# the MP3 demuxer with the tag readers it calls, and the core the decoder
# handle needs. Code and table budgets hold against these; the whole
# decode-only library as linked (every container, via the registry) is
# reported beside them.
MP3_PATH_OBJECTS = {
    "mp3_decoder.c.o", "mp3_layer3.c.o", "mp3_layer12.c.o", "mp3_tables.c.o", "mp3_gentables.c.o",
    "mpa_header.c.o", "dsp.c.o", "dsp_scalar.c.o", "dsp_mpa_tables.c.o", "cpu.c.o",
    "mp3.c.o", "demux_io.c.o", "id3v1.c.o", "id3v2.c.o", "apev2.c.o",
    "decoder.c.o", "reader.c.o", "io.c.o", "metadata.c.o", "alloc.c.o", "error.c.o", "status.c.o",
    "registry.c.o",
}
MP3_CODEC_OBJECTS = {"mp3_decoder.c.o", "mp3_layer3.c.o", "mp3_layer12.c.o", "mp3_tables.c.o",
                     "mp3_gentables.c.o", "mpa_header.c.o", "dsp_scalar.c.o", "dsp_mpa_tables.c.o"}


def our_symbols_and_sizes(target, bdir, driver):
    """Code (.text) and table (.rodata/.data) bytes of the library objects,
    from nm symbol sizes; also the set of symbols defined by our code (to
    tell our instructions from libc's)."""
    nm = TARGETS[target]["nm"]
    lib = os.path.join(bdir, "segue", "libsegue.a")
    linked = set(run([nm, "--defined-only", driver]).stdout.split())
    per_obj, obj = {}, None
    for line in run([nm, "-S", "--defined-only", lib]).stdout.splitlines():
        if line.endswith(".o:"):
            obj = line[:-1]
            per_obj[obj] = []
            continue
        parts = line.split()
        if obj and len(parts) == 4:
            per_obj[obj].append((int(parts[1], 16), parts[2], parts[3]))
    sizes = {k: 0 for k in ("code_bytes", "table_bytes", "codec_code_bytes", "codec_table_bytes",
                            "linked_code_bytes", "linked_table_bytes")}
    ours = set()
    for o, syms in per_obj.items():
        is_linked = any(t.isupper() and n in linked for _, t, n in syms)
        for size, typ, name in syms:
            ours.add(name)
            kind = "code" if typ in "tT" else "table" if typ in "rRdDgG" else None
            if kind is None:
                continue
            if o in MP3_PATH_OBJECTS:
                sizes[f"{kind}_bytes"] += size
            if o in MP3_CODEC_OBJECTS:
                sizes[f"codec_{kind}_bytes"] += size
            if is_linked:
                sizes[f"linked_{kind}_bytes"] += size
    drv = run([nm, "--defined-only", os.path.join(bdir, "CMakeFiles", "mp3_device_driver.dir",
                                                  "mp3_device_driver.c.o")]).stdout.split()
    ours.update(drv)
    return sizes, ours


def fmt_m(x):
    return f"{x / 1e6:.1f} M"


def evaluate(dev, codec, res, sizes, ours, determinism):
    """Budget items of one device and codec: list of dicts with name, value,
    limit, status (PASS/FAIL/INFO) and the FAIL message."""
    drv = res["driver"]
    seconds = drv["frames"] / drv["rate"]
    per_s = res["total"] / seconds
    worst = max(res["regions"]) if res["regions"] else 0
    worst_idx = res["regions"].index(worst) if res["regions"] else -1
    # A frame of 1152 samples lasts 1152/rate s; its worst case as a rate.
    worst_per_s = worst * drv["rate"] / MP3_FRAME
    cpi = dev["cpi"]
    mhz = per_s * cpi / 1e6 if cpi else None
    worst_mhz = worst_per_s * cpi / 1e6 if cpi else None
    clock = dev["clock_mhz"]
    share_pct = 100.0 * mhz / clock if (mhz is not None and clock) else None
    worst_share_pct = 100.0 * worst_mhz / clock if (worst_mhz is not None and clock) else None
    items = []
    tag = f"{dev['device']} {codec}"

    def item(name, value, limit, text_value, text_limit, what):
        if limit is None:
            items.append({"item": name, "value": value, "limit": None, "status": "INFO"})
            return
        ok = value <= limit
        entry = {"item": name, "value": value, "limit": limit, "status": "PASS" if ok else "FAIL"}
        if not ok:
            entry["message"] = f"FAIL {tag}: {text_value} {what} exceeds the budget {text_limit}"
        items.append(entry)

    lim = dev["max_minsn_per_s"]
    item("instructions_per_audio_second", per_s, lim * 1e6 if lim is not None else None,
         fmt_m(per_s), fmt_m(lim * 1e6) if lim is not None else "", "instructions per audio second")
    share_lim = dev["decode_share_pct"]
    if share_pct is not None:
        item("share_of_clock_pct", share_pct, share_lim, f"{share_pct:.1f}%",
             f"{share_lim:g}%" if share_lim is not None else "",
             f"of the {clock:g} MHz clock (est. {mhz:.1f} MHz at CPI {cpi:g})")
        item("worst_frame_share_of_clock_pct", worst_share_pct, share_lim, f"{worst_share_pct:.1f}%",
             f"{share_lim:g}%" if share_lim is not None else "",
             f"of the clock in the worst frame (#{worst_idx}, {worst} instructions)")
    for name, value, key in (("state_bytes", drv["state_bytes"], "max_state_bytes"),
                             ("heap_peak_bytes", drv["heap_peak_bytes"], "max_heap_bytes"),
                             ("stack_peak_bytes", drv["stack_peak_bytes"], "max_stack_bytes"),
                             ("code_bytes", sizes["code_bytes"], "max_code_bytes"),
                             ("table_bytes", sizes["table_bytes"], "max_table_bytes")):
        limit = dev[key]
        item(name, value, limit, f"{value} bytes", f"{int(limit)} bytes" if limit is not None else "",
             name.replace("_bytes", "").replace("_", " "))
    # Instructions the device lacks, executed while decoding: ours fail,
    # libc's (a Debian libc the device would not run) are reported only.
    lack_ours = [x for x in res["lacking"] if x["symbol"] in ours]
    lack_libc = [x for x in res["lacking"] if x["symbol"] not in ours]
    if TARGETS[dev["target"]]["isa"] != "none":
        n = sum(x["count"] for x in lack_ours)
        entry = {"item": "lacking_instructions_in_our_code", "value": n, "limit": 0,
                 "status": "PASS" if n == 0 else "FAIL", "detail": lack_ours}
        if n:
            kinds = ", ".join(sorted({f"{x['insn']} in {x['symbol']}" for x in lack_ours})[:6])
            entry["message"] = (f"FAIL {tag}: {n} executed instructions the device lacks "
                                f"({kinds})")
        items.append(entry)
        items.append({"item": "lacking_instructions_in_libc", "value":
                      sum(x["count"] for x in lack_libc), "limit": None, "status": "INFO",
                      "detail": lack_libc})
    if determinism is not None:
        entry = {"item": "identical_counts_in_two_runs", "value": determinism, "limit": True,
                 "status": "PASS" if determinism else "FAIL"}
        if not determinism:
            entry["message"] = f"FAIL {tag}: two runs counted different instructions"
        items.append(entry)
    top = sorted(res["symbols"].items(), key=lambda kv: -kv[1])[:12]
    return {
        "device": dev["device"], "target": dev["target"], "codec": codec,
        "audio_seconds": seconds, "frames": drv["frames"], "decode_calls": drv["calls"],
        "instructions": res["total"], "instructions_per_audio_second": per_s,
        "worst_frame": {"index": worst_idx, "instructions": worst,
                        "as_instructions_per_second": worst_per_s},
        "cpi_assumed": cpi, "est_mhz": mhz, "clock_mhz": clock, "share_of_clock_pct": share_pct,
        "state_bytes": drv["state_bytes"], "heap_peak_bytes": drv["heap_peak_bytes"],
        "heap_allocs": drv["heap_allocs"], "stack_peak_bytes": drv["stack_peak_bytes"],
        "code_bytes": sizes["code_bytes"], "table_bytes": sizes["table_bytes"],
        "sizes": sizes,
        "mix": res["classes"], "top_symbols": [{"symbol": s, "instructions": c} for s, c in top],
        "checksum": drv["checksum"], "regions": res["regions"], "items": items,
        "status": "FAIL" if any(i["status"] == "FAIL" for i in items) else "PASS",
    }


def markdown(report, with_fails=True):
    out = ["# Device budgets", "",
           f"Signal: {report['signal']}. Counts: guest instructions between the markers around "
           "each `segue_decoder_read_f32` of 1152 frames, from the qemu plugin "
           "(bench/README.md). Est. MHz = instructions per audio second x CPI (assumed) / 1e6.", ""]
    out.append("| device | codec | M insn / audio s | worst frame (insn, #) | CPI | est. MHz | "
               "share of clock | state | heap peak | stack peak | code | tables | result |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["results"]:
        mhz = f"{r['est_mhz']:.1f}" if r["est_mhz"] is not None else "-"
        share = f"{r['share_of_clock_pct']:.1f}%" if r["share_of_clock_pct"] is not None else "-"
        out.append(f"| {r['device']} | {r['codec']} | {r['instructions_per_audio_second'] / 1e6:.2f} | "
                   f"{r['worst_frame']['instructions']} (#{r['worst_frame']['index']}) | "
                   f"{r['cpi_assumed']:g} | {mhz} | {share} | {r['state_bytes']} | "
                   f"{r['heap_peak_bytes']} | {r['stack_peak_bytes']} | {r['code_bytes']} | "
                   f"{r['table_bytes']} | {r['status']} |")
    out.append("")
    out.append("## Items")
    out.append("")
    for r in report["results"]:
        out.append(f"- {r['device']} {r['codec']}: " + "; ".join(
            f"{i['item']} {i['status']}" for i in r["items"]))
    seen = set()
    for r in report["results"]:
        if r["target"] in seen:
            continue
        seen.add(r["target"])
        out += ["", f"## {r['target']} ({report['builds'][r['target']]}), {r['codec']}", "",
                f"Code / table bytes: MP3 decoding path {r['sizes']['code_bytes']} / "
                f"{r['sizes']['table_bytes']} (held to the budget); codec alone "
                f"{r['sizes']['codec_code_bytes']} / {r['sizes']['codec_table_bytes']}; whole "
                f"decode-only library as linked {r['sizes']['linked_code_bytes']} / "
                f"{r['sizes']['linked_table_bytes']}.", "",
                "Instruction mix (in the decode calls):", ""]
        total = r["instructions"] or 1
        for k, v in sorted(r["mix"].items(), key=lambda kv: -kv[1]):
            if v:
                out.append(f"- {k}: {v} ({100.0 * v / total:.1f}%)")
        out += ["", "Top functions:", ""]
        for s in r["top_symbols"]:
            out.append(f"- {s['symbol']}: {s['instructions']} ({100.0 * s['instructions'] / total:.1f}%)")
        for i in r["items"]:
            if i["item"].startswith("lacking") and i.get("detail"):
                out += ["", f"{i['item']} ({i['status']}):", ""]
                for x in i["detail"]:
                    out.append(f"- {x['insn']} in {x['symbol']}: {x['count']}")
    fails = [i["message"] for r in report["results"] for i in r["items"] if i["status"] == "FAIL"]
    if with_fails:
        out += ["", "## Result", ""] + (fails if fails else ["all budgets met"])
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--devices", help="comma-separated device names (default: all rows)")
    ap.add_argument("--codecs", default=",".join(CODECS), help="comma-separated: " + ", ".join(CODECS))
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the test signal")
    ap.add_argument("--source", help="WAV or FLAC to encode instead of the corpus clip")
    ap.add_argument("--no-determinism-check", action="store_true",
                    help="skip the second run that checks counts repeat exactly")
    args = ap.parse_args()
    try:
        budgets = load_budgets(args.budgets)
        if args.devices:
            want = args.devices.split(",")
            unknown = [d for d in want if d not in {b["device"] for b in budgets}]
            if unknown:
                raise HarnessError("no budget row for " + ", ".join(unknown))
            budgets = [b for b in budgets if b["device"] in want]
        codecs = args.codecs.split(",")
        for c in codecs:
            if c not in CODECS:
                raise HarnessError(f"unknown codec {c!r}")
        targets = list(dict.fromkeys(b["target"] for b in budgets))
        need_tools(["cmake", "cc"] + [TARGETS[t][k] for t in targets for k in ("qemu", "cc", "nm")])
        build = os.path.abspath(args.build)
        os.makedirs(build, exist_ok=True)
        plugin = build_plugin(build)
        inputs, signal = make_inputs(build, codecs, args.seconds, args.source)
        runs, sizes, ours = {}, {}, {}
        for t in targets:
            log(f"device-bench: building {t}")
            driver, bdir = build_target(build, t)
            sizes[t], ours[t] = our_symbols_and_sizes(t, bdir, driver)
            for c in codecs:
                log(f"device-bench: {t} {c} under {TARGETS[t]['qemu']}")
                runs[(t, c)] = run_driver(plugin, t, driver, inputs[c],
                                          os.path.join(build, f"{t}-{c}.counts"))
        determinism = {}
        if not args.no_determinism_check:
            t, c = targets[0], codecs[0]
            log(f"device-bench: {t} {c} again (determinism)")
            again = run_driver(plugin, t, os.path.join(build, t, "mp3_device_driver"), inputs[c],
                               os.path.join(build, f"{t}-{c}.again.counts"))
            determinism[(t, c)] = again["regions"] == runs[(t, c)]["regions"]
    except (HarnessError, subprocess.CalledProcessError, OSError) as e:
        detail = e.stderr if isinstance(e, subprocess.CalledProcessError) else ""
        print(f"device-bench: {e} {detail}".rstrip(), file=sys.stderr)
        return 2

    results = [evaluate(dev, c, runs[(dev["target"], c)], sizes[dev["target"]], ours[dev["target"]],
                        determinism.get((dev["target"], c)))
               for dev in budgets for c in codecs]
    report = {"signal": signal, "budgets": os.path.relpath(os.path.abspath(args.budgets), ROOT),
              "builds": {t: TARGETS[t]["describe"] for t in targets},
              "devices": budgets, "results": results}
    os.makedirs(args.out, exist_ok=True)
    md = markdown(report)
    with open(os.path.join(args.out, "device_bench.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.out, "device_bench.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(markdown(report, with_fails=False))
    fails = [i["message"] for r in results for i in r["items"] if i["status"] == "FAIL"]
    for m in fails:
        print(m)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
