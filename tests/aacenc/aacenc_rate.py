#!/usr/bin/env python3
"""tests/aacenc/aacenc_rate.py - rate control of segue's AAC-LC encoder on
the 30 s music clips of ../shared/corpus (skipped when absent).

Per clip and setting, from the packet sizes aacenc_tool reports (--stats):
  - CBR: the mean rate over the clip within +-2 % of the target;
  - ABR and VBR: the mean within +-5 % of the target (VBR: the quality's
    nominal rate, which the tool's stats header gives as mean_bits);
  - CBR, the decoder buffer rule (14496-3 4.5.3.2; the ADTS
    buffer_fullness of 1.A.2.2): with R = the bits per frame of the target
    rate and a reservoir starting empty, after every frame
      0 <= level = sum(R - bits) <= 6144 N - R    (N channels, 5.1's LFE
                                                   not counted),
    so no frame uses more than R plus what earlier frames saved, and the
    saved bits never exceed what the decoder's 6144 N-bit buffer holds;
  - every setting: no frame above 6144 N bits.
Mono runs on the left channel (ffmpeg -ac 1 pan), stereo on the clip.

    aacenc_rate.py AACENC_TOOL CORPUS_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

TOOL, CORPUS = sys.argv[1], sys.argv[2]
CLIPS = ['orchestral_dense', 'drums_acoustic', 'midi_fluidsynth', 'orchestral_quiet']
FAILS = []


def fail(msg):
    print('FAIL: ' + msg)
    FAILS.append(msg)


def stats(path):
    with open(path) as f:
        head = f.readline().split('\t')
        sizes = [int(x) for x in f if x.strip()]
    return float(head[0]), int(head[1]), sizes


def check(name, src, tmp, opts, tol, cbr):
    aac = os.path.join(tmp, 'x.aac')
    st = os.path.join(tmp, 'x.tsv')
    r = subprocess.run([TOOL, src, aac, '--stats', st] + opts, capture_output=True)
    if r.returncode != 0:
        fail('%s: aacenc_tool exit %d: %s' % (name, r.returncode, r.stderr.decode().strip()))
        return
    mean, nch, sizes = stats(st)
    bits = [8 * b for b in sizes]
    got = sum(bits) / len(bits)
    dev = got / mean - 1.0
    print('%-44s %4d frames, %.1f bits/frame (target %.1f): %+.2f %%'
          % (name, len(bits), got, mean, 100 * dev))
    if abs(dev) > tol:
        fail('%s: mean %.1f bits/frame is %+.2f %% off %.1f (limit %.0f %%)'
             % (name, got, 100 * dev, mean, 100 * tol))
    # NCC: the LFE of 5.1 has no share of the buffer (13818-7 8.2.2).
    cap = 6144 * (5 if nch == 6 else nch)
    big = [i for i, b in enumerate(bits) if b > cap]
    if big:
        fail('%s: frame %d has %d bits > %d' % (name, big[0], bits[big[0]], cap))
    if cbr:
        level = 0.0
        for i, b in enumerate(bits):
            level += mean - b
            if level < -1e-6:
                fail('%s: frame %d overdraws the reservoir (level %.1f)' % (name, i, level))
                break
            if level > cap - mean + 1e-6:
                fail('%s: frame %d overfills the reservoir (level %.1f > %.1f)'
                     % (name, i, level, cap - mean))
                break


def main():
    if not os.path.isdir(CORPUS):
        print('skipped: %s not present' % CORPUS)
        return 0
    tmp = tempfile.mkdtemp(prefix='aacenc_rate_')
    try:
        for clip in CLIPS:
            src = os.path.join(CORPUS, clip + '.flac')
            if not os.path.exists(src):
                print('skipped: %s not present' % src)
                continue
            mono = os.path.join(tmp, clip + '_mono.wav')
            subprocess.run(['ffmpeg', '-v', 'error', '-y', '-i', src, '-af', 'pan=mono|c0=c0',
                            mono], check=True)
            for br in (64000, 128000, 256000):
                check('%s stereo CBR %d' % (clip, br), src, tmp,
                      ['--cbr', '--bitrate', str(br)], 0.02, True)
            check('%s mono CBR 64000' % clip, mono, tmp, ['--cbr', '--bitrate', '64000'],
                  0.02, True)
            for br in (96000, 128000):
                check('%s stereo ABR %d' % (clip, br), src, tmp,
                      ['--abr', '--bitrate', str(br)], 0.05, False)
            for q in ('2', '5', '9'):
                check('%s stereo VBR q%s' % (clip, q), src, tmp, ['--vbr', '--quality', q],
                      0.05, False)
        # 5.1 (the clip's channels and their swaps and sum, so every element
        # codes music): the buffer is 5 x 6144 bits, the LFE not counted;
        # the top CBR rate and the best VBR quality push frames hardest.
        src = os.path.join(CORPUS, CLIPS[0] + '.flac')
        if os.path.exists(src):
            s51 = os.path.join(tmp, 'surround.wav')
            subprocess.run(['ffmpeg', '-v', 'error', '-y', '-i', src, '-t', '10', '-af',
                            'pan=5.1|c0=c0|c1=c1|c2=0.5*c0+0.5*c1|c3=0.5*c0|c4=c1|c5=c0',
                            s51], check=True)
            check('orchestral_dense 5.1 CBR 1200000', s51, tmp, ['--cbr', '--bitrate', '1200000'],
                  0.02, True)
            check('orchestral_dense 5.1 VBR q10', s51, tmp, ['--vbr', '--quality', '10'],
                  0.05, False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print('%d failure(s)' % len(FAILS))
        return 1
    print('rate control within limits')
    return 0


if __name__ == '__main__':
    sys.exit(main())
