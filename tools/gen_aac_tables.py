#!/usr/bin/env python3
"""tools/gen_aac_tables.py - writes codec/aac/aac_tables.c, the constant
tables of the own AAC-LC decoder (codec/aac).

    python3 tools/gen_aac_tables.py > codec/aac/aac_tables.c
    python3 tools/gen_aac_tables.py dsp > simd/dsp_aac_tables.c

Pure data of the format is typed in below in a compact form (Huffman
codebooks as 'length:code' words, scalefactor band offsets); everything
that follows a formula is computed here:

- two-level lookup tables of the scalefactor codebook and spectral
  codebooks 1..11 (ISO/IEC 14496-3 4.6.3, Tables 4.A.1-4.A.12) that decode
  9 bits at a time, a spectral codeword to its signed values with the sign
  bits that follow it when they fit in the index (aac_huff_lut: see
  build_lut and spectral_entry; build_tree checks that each book is a
  complete prefix code);
- sf_gain[s] = 2^((s - 100) / 4) / 32768, s = 0..255 (4.6.2.3, SF_OFFSET = 100;
  the 1/32768 turns the spec's 16-bit sample scale into 1.0 = full scale);
- sine and Kaiser-Bessel-derived window halves for N = 2048 and 256
  (4.6.11.3.2; KBD alpha 4 long, 6 short);
- the TNS coefficient tables of 4.6.9.3: sin(q / (2^(b-1) -+ 1/2) * pi/2)
  for coefficient resolution b = 3, 4 bits, indexed by the b-bit code.

With the argument "dsp" it writes simd/dsp_aac_tables.c, the tables of the
aac_* kernels of segue_dsp (simd/dsp.h): pow43[i] = i^(4/3), i < 8192
(4.6.1.3, inverse quantisation), the IMDCT pre/post twiddles
exp(i 2 pi (k + 1/8) / N), k < N/4, N = 2048 and 256, the per-stage
twiddles of the radix-2 FFT of N/4 points the IMDCT runs on, and the
9-bit bit reversal (main_dsp).
"""
import math
import sys

# Scalefactor Huffman codebook, ISO/IEC 14496-3 Table 4.A.1: (length, code) per
# index 0..120 (index 60 = difference 0).
SF_BOOK = """
18:3ffe8 18:3ffe6 18:3ffe7 18:3ffe5 19:7fff5 19:7fff1 19:7ffed 19:7fff6
19:7ffee 19:7ffef 19:7fff0 19:7fffc 19:7fffd 19:7ffff 19:7fffe 19:7fff7
19:7fff8 19:7fffb 19:7fff9 18:3ffe4 19:7fffa 18:3ffe3 17:1ffef 17:1fff0
16:fff5 17:1ffee 16:fff2 16:fff3 16:fff4 16:fff1 15:7ff6 15:7ff7 14:3ff9
14:3ff5 14:3ff7 14:3ff3 14:3ff6 14:3ff2 13:1ff7 13:1ff5 12:ff9 12:ff7 12:ff6
11:7f9 12:ff4 11:7f8 10:3f9 10:3f7 10:3f5 9:1f8 9:1f7 8:fa 8:f8 8:f6 7:79
6:3a 6:38 5:1a 4:b 3:4 1:0 4:a 4:c 5:1b 6:39 6:3b 7:78 7:7a 8:f7 8:f9 9:1f6
9:1f9 10:3f4 10:3f6 10:3f8 11:7f5 11:7f4 11:7f6 11:7f7 12:ff5 12:ff8 13:1ff4
13:1ff6 13:1ff8 14:3ff8 14:3ff4 16:fff0 15:7ff4 16:fff6 15:7ff5 18:3ffe2
19:7ffd9 19:7ffda 19:7ffdb 19:7ffdc 19:7ffdd 19:7ffde 19:7ffd8 19:7ffd2
19:7ffd3 19:7ffd4 19:7ffd5 19:7ffd6 19:7fff2 19:7ffdf 19:7ffe7 19:7ffe8
19:7ffe9 19:7ffea 19:7ffeb 19:7ffe6 19:7ffe0 19:7ffe1 19:7ffe2 19:7ffe3
19:7ffe4 19:7ffe5 19:7ffd7 19:7ffec 19:7fff4 19:7fff3
"""
# Spectral Huffman codebooks 1..11, ISO/IEC 14496-3 Tables 4.A.2-4.A.12:
# 'length:code(hex)' per codeword index.
SPECTRAL_BOOKS = [
    # codebook 1 (Table 4.A.2)
    """
11:7f8 9:1f1 11:7fd 10:3f5 7:68 10:3f0 11:7f7 9:1ec 11:7f5 10:3f1 7:72
10:3f4 7:74 5:11 7:76 9:1eb 7:6c 10:3f6 11:7fc 9:1e1 11:7f1 9:1f0 7:61 9:1f6
11:7f2 9:1ea 11:7fb 9:1f2 7:69 9:1ed 7:77 5:17 7:6f 9:1e6 7:64 9:1e5 7:67
5:15 7:62 5:12 1:0 5:14 7:65 5:16 7:6d 9:1e9 7:63 9:1e4 7:6b 5:13 7:71 9:1e3
7:70 9:1f3 11:7fe 9:1e7 11:7f3 9:1ef 7:60 9:1ee 11:7f0 9:1e2 11:7fa 10:3f3
7:6a 9:1e8 7:75 5:10 7:73 9:1f4 7:6e 10:3f7 11:7f6 9:1e0 11:7f9 10:3f2 7:66
9:1f5 11:7ff 9:1f7 11:7f4
""",
    # codebook 2 (Table 4.A.3)
    """
9:1f3 7:6f 9:1fd 8:eb 6:23 8:ea 9:1f7 8:e8 9:1fa 8:f2 6:2d 7:70 6:20 5:6
6:2b 7:6e 6:28 8:e9 9:1f9 7:66 8:f8 8:e7 6:1b 8:f1 9:1f4 7:6b 9:1f5 8:ec
6:2a 7:6c 6:2c 5:a 6:27 7:67 6:1a 8:f5 6:24 5:8 6:1f 5:9 3:0 5:7 6:1d 5:b
6:30 8:ef 6:1c 7:64 6:1e 5:c 6:29 8:f3 6:2f 8:f0 9:1fc 7:71 9:1f2 8:f4 6:21
8:e6 8:f7 7:68 9:1f8 8:ee 6:22 7:65 6:31 4:2 6:26 8:ed 6:25 7:6a 9:1fb 7:72
9:1fe 7:69 6:2e 8:f6 9:1ff 7:6d 9:1f6
""",
    # codebook 3 (Table 4.A.4)
    """
1:0 4:9 8:ef 4:b 5:19 8:f0 9:1eb 9:1e6 10:3f2 4:a 6:35 9:1ef 6:34 6:37 9:1e9
9:1ed 9:1e7 10:3f3 9:1ee 10:3ed 13:1ffa 9:1ec 9:1f2 11:7f9 11:7f8 10:3f8
12:ff8 4:8 6:38 10:3f6 6:36 7:75 10:3f1 10:3eb 10:3ec 12:ff4 5:18 7:76
11:7f4 6:39 7:74 10:3ef 9:1f3 9:1f4 11:7f6 9:1e8 10:3ea 13:1ffc 8:f2 9:1f1
12:ffb 10:3f5 11:7f3 12:ffc 8:ee 10:3f7 15:7ffe 9:1f0 11:7f5 15:7ffd 13:1ffb
14:3ffa 16:ffff 8:f1 10:3f0 14:3ffc 9:1ea 10:3ee 14:3ffb 12:ff6 12:ffa
15:7ffc 11:7f2 12:ff5 16:fffe 10:3f4 11:7f7 15:7ffb 12:ff7 12:ff9 15:7ffa
""",
    # codebook 4 (Table 4.A.5)
    """
4:7 5:16 8:f6 5:18 4:8 8:ef 9:1ef 8:f3 11:7f8 5:19 5:17 8:ed 5:15 4:1 8:e2
8:f0 7:70 10:3f0 9:1ee 8:f1 11:7fa 8:ee 8:e4 10:3f2 11:7f6 10:3ef 11:7fd 4:5
5:14 8:f2 4:9 4:4 8:e5 8:f4 8:e8 10:3f4 4:6 4:2 8:e7 4:3 4:0 7:6b 8:e3 7:69
9:1f3 8:eb 8:e6 10:3f6 7:6e 7:6a 9:1f4 10:3ec 9:1f0 10:3f9 8:f5 8:ec 11:7fb
8:ea 7:6f 10:3f7 11:7f9 10:3f3 12:fff 8:e9 7:6d 10:3f8 7:6c 7:68 9:1f5
10:3ee 9:1f2 11:7f4 11:7f7 10:3f1 12:ffe 10:3ed 9:1f1 11:7f5 11:7fe 10:3f5
11:7fc
""",
    # codebook 5 (Table 4.A.6)
    """
13:1fff 12:ff7 11:7f4 11:7e8 10:3f1 11:7ee 11:7f9 12:ff8 13:1ffd 12:ffd
11:7f1 10:3e8 9:1e8 8:f0 9:1ec 10:3ee 11:7f2 12:ffa 12:ff4 10:3ef 9:1f2 8:e8
7:70 8:ec 9:1f0 10:3ea 11:7f3 11:7eb 9:1eb 8:ea 5:1a 4:8 5:19 8:ee 9:1ef
11:7ed 10:3f0 8:f2 7:73 4:b 1:0 4:a 7:71 8:f3 11:7e9 11:7ef 9:1ee 8:ef 5:18
4:9 5:1b 8:eb 9:1e9 11:7ec 11:7f6 10:3eb 9:1f3 8:ed 7:72 8:e9 9:1f1 10:3ed
11:7f7 12:ff6 11:7f0 10:3e9 9:1ed 8:f1 9:1ea 10:3ec 11:7f8 12:ff9 13:1ffc
12:ffc 12:ff5 11:7ea 10:3f3 10:3f2 11:7f5 12:ffb 13:1ffe
""",
    # codebook 6 (Table 4.A.7)
    """
11:7fe 10:3fd 9:1f1 9:1eb 9:1f4 9:1ea 9:1f0 10:3fc 11:7fd 10:3f6 9:1e5 8:ea
7:6c 7:71 7:68 8:f0 9:1e6 10:3f7 9:1f3 8:ef 6:32 6:27 6:28 6:26 6:31 8:eb
9:1f7 9:1e8 7:6f 6:2e 4:8 4:4 4:6 6:29 7:6b 9:1ee 9:1ef 7:72 6:2d 4:2 4:0
4:3 6:2f 7:73 9:1fa 9:1e7 7:6e 6:2b 4:7 4:1 4:5 6:2c 7:6d 9:1ec 9:1f9 8:ee
6:30 6:24 6:2a 6:25 6:33 8:ec 9:1f2 10:3f8 9:1e4 8:ed 7:6a 7:70 7:69 7:74
8:f1 10:3fa 11:7ff 10:3f9 9:1f6 9:1ed 9:1f8 9:1e9 9:1f5 10:3fb 11:7fc
""",
    # codebook 7 (Table 4.A.8)
    """
1:0 3:5 6:37 7:74 8:f2 9:1eb 10:3ed 11:7f7 3:4 4:c 6:35 7:71 8:ec 8:ee 9:1ee
9:1f5 6:36 6:34 7:72 8:ea 8:f1 9:1e9 9:1f3 10:3f5 7:73 7:70 8:eb 8:f0 9:1f1
9:1f0 10:3ec 10:3fa 8:f3 8:ed 9:1e8 9:1ef 10:3ef 10:3f1 10:3f9 11:7fb 9:1ed
8:ef 9:1ea 9:1f2 10:3f3 10:3f8 11:7f9 11:7fc 10:3ee 9:1ec 9:1f4 10:3f4
10:3f7 11:7f8 12:ffd 12:ffe 11:7f6 10:3f0 10:3f2 10:3f6 11:7fa 11:7fd 12:ffc
12:fff
""",
    # codebook 8 (Table 4.A.9)
    """
5:e 4:5 5:10 6:30 7:6f 8:f1 9:1fa 10:3fe 4:3 3:0 4:4 5:12 6:2c 7:6a 7:75
8:f8 5:f 4:2 4:6 5:14 6:2e 7:69 7:72 8:f5 6:2f 5:11 5:13 6:2a 6:32 7:6c 8:ec
8:fa 7:71 6:2b 6:2d 6:31 7:6d 7:70 8:f2 9:1f9 8:ef 7:68 6:33 7:6b 7:6e 8:ee
8:f9 10:3fc 9:1f8 7:74 7:73 8:ed 8:f0 8:f6 9:1f6 9:1fd 10:3fd 8:f3 8:f4 8:f7
9:1f7 9:1fb 9:1fc 10:3ff
""",
    # codebook 9 (Table 4.A.10)
    """
1:0 3:5 6:37 8:e7 9:1de 10:3ce 10:3d9 11:7c8 11:7cd 12:fc8 12:fdd 13:1fe4
13:1fec 3:4 4:c 6:35 7:72 8:ea 8:ed 9:1e2 10:3d1 10:3d3 10:3e0 11:7d8 12:fcf
12:fd5 6:36 6:34 7:71 8:e8 8:ec 9:1e1 10:3cf 10:3dd 10:3db 11:7d0 12:fc7
12:fd4 12:fe4 8:e6 7:70 8:e9 9:1dd 9:1e3 10:3d2 10:3dc 11:7cc 11:7ca 11:7de
12:fd8 12:fea 13:1fdb 9:1df 8:eb 9:1dc 9:1e6 10:3d5 10:3de 11:7cb 11:7dd
11:7dc 12:fcd 12:fe2 12:fe7 13:1fe1 10:3d0 9:1e0 9:1e4 10:3d6 11:7c5 11:7d1
11:7db 12:fd2 11:7e0 12:fd9 12:feb 13:1fe3 13:1fe9 11:7c4 9:1e5 10:3d7
11:7c6 11:7cf 11:7da 12:fcb 12:fda 12:fe3 12:fe9 13:1fe6 13:1ff3 13:1ff7
11:7d3 10:3d8 10:3e1 11:7d4 11:7d9 12:fd3 12:fde 13:1fdd 13:1fd9 13:1fe2
13:1fea 13:1ff1 13:1ff6 11:7d2 10:3d4 10:3da 11:7c7 11:7d7 11:7e2 12:fce
12:fdb 13:1fd8 13:1fee 14:3ff0 13:1ff4 14:3ff2 11:7e1 10:3df 11:7c9 11:7d6
12:fca 12:fd0 12:fe5 12:fe6 13:1feb 13:1fef 14:3ff3 14:3ff4 14:3ff5 12:fe0
11:7ce 11:7d5 12:fc6 12:fd1 12:fe1 13:1fe0 13:1fe8 13:1ff0 14:3ff1 14:3ff8
14:3ff6 15:7ffc 12:fe8 11:7df 12:fc9 12:fd7 12:fdc 13:1fdc 13:1fdf 13:1fed
13:1ff5 14:3ff9 14:3ffb 15:7ffd 15:7ffe 13:1fe7 12:fcc 12:fd6 12:fdf 13:1fde
13:1fda 13:1fe5 13:1ff2 14:3ffa 14:3ff7 14:3ffc 14:3ffd 15:7fff
""",
    # codebook 10 (Table 4.A.11)
    """
6:22 5:8 6:1d 6:26 7:5f 8:d3 9:1cf 10:3d0 10:3d7 10:3ed 11:7f0 11:7f6 12:ffd
5:7 4:0 4:1 5:9 6:20 7:54 7:60 8:d5 8:dc 9:1d4 10:3cd 10:3de 11:7e7 6:1c 4:2
5:6 5:c 6:1e 6:28 7:5b 8:cd 8:d9 9:1ce 9:1dc 10:3d9 10:3f1 6:25 5:b 5:a 5:d
6:24 7:57 7:61 8:cc 8:dd 9:1cc 9:1de 10:3d3 10:3e7 7:5d 6:21 6:1f 6:23 6:27
7:59 7:64 8:d8 8:df 9:1d2 9:1e2 10:3dd 10:3ee 8:d1 7:55 6:29 7:56 7:58 7:62
8:ce 8:e0 8:e2 9:1da 10:3d4 10:3e3 11:7eb 9:1c9 7:5e 7:5a 7:5c 7:63 8:ca
8:da 9:1c7 9:1ca 9:1e0 10:3db 10:3e8 11:7ec 9:1e3 8:d2 8:cb 8:d0 8:d7 8:db
9:1c6 9:1d5 9:1d8 10:3ca 10:3da 11:7ea 11:7f1 9:1e1 8:d4 8:cf 8:d6 8:de 8:e1
9:1d0 9:1d6 10:3d1 10:3d5 10:3f2 11:7ee 11:7fb 10:3e9 9:1cd 9:1c8 9:1cb
9:1d1 9:1d7 9:1df 10:3cf 10:3e0 10:3ef 11:7e6 11:7f8 12:ffa 10:3eb 9:1dd
9:1d3 9:1d9 9:1db 10:3d2 10:3cc 10:3dc 10:3ea 11:7ed 11:7f3 11:7f9 12:ff9
11:7f2 10:3ce 9:1e4 10:3cb 10:3d8 10:3d6 10:3e2 10:3e5 11:7e8 11:7f4 11:7f5
11:7f7 12:ffb 11:7fa 10:3ec 10:3df 10:3e1 10:3e4 10:3e6 10:3f0 11:7e9 11:7ef
12:ff8 12:ffe 12:ffc 12:fff
""",
    # codebook 11 (Table 4.A.12)
    """
4:0 5:6 6:19 7:3d 8:9c 8:c6 9:1a7 10:390 10:3c2 10:3df 11:7e6 11:7f3 12:ffb
11:7ec 12:ffa 12:ffe 10:38e 5:5 4:1 5:8 6:14 7:37 7:42 8:92 8:af 9:191 9:1a5
9:1b5 10:39e 10:3c0 10:3a2 10:3cd 11:7d6 8:ae 6:17 5:7 5:9 6:18 7:39 7:40
8:8e 8:a3 8:b8 9:199 9:1ac 9:1c1 10:3b1 10:396 10:3be 10:3ca 8:9d 7:3c 6:15
6:16 6:1a 7:3b 7:44 8:91 8:a5 8:be 9:196 9:1ae 9:1b9 10:3a1 10:391 10:3a5
10:3d5 8:94 8:9a 7:36 7:38 7:3a 7:41 8:8c 8:9b 8:b0 8:c3 9:19e 9:1ab 9:1bc
10:39f 10:38f 10:3a9 10:3cf 8:93 8:bf 7:3e 7:3f 7:43 7:45 8:9e 8:a7 8:b9
9:194 9:1a2 9:1ba 9:1c3 10:3a6 10:3a7 10:3bb 10:3d4 8:9f 9:1a0 8:8f 8:8d
8:90 8:98 8:a6 8:b6 8:c4 9:19f 9:1af 9:1bf 10:399 10:3bf 10:3b4 10:3c9
10:3e7 8:a8 9:1b6 8:ab 8:a4 8:aa 8:b2 8:c2 8:c5 9:198 9:1a4 9:1b8 10:38c
10:3a4 10:3c4 10:3c6 10:3dd 10:3e8 8:ad 10:3af 9:192 8:bd 8:bc 9:18e 9:197
9:19a 9:1a3 9:1b1 10:38d 10:398 10:3b7 10:3d3 10:3d1 10:3db 11:7dd 8:b4
10:3de 9:1a9 9:19b 9:19c 9:1a1 9:1aa 9:1ad 9:1b3 10:38b 10:3b2 10:3b8 10:3ce
10:3e1 10:3e0 11:7d2 11:7e5 8:b7 11:7e3 9:1bb 9:1a8 9:1a6 9:1b0 9:1b2 9:1b7
10:39b 10:39a 10:3ba 10:3b5 10:3d6 11:7d7 10:3e4 11:7d8 11:7ea 8:ba 11:7e8
10:3a0 9:1bd 9:1b4 10:38a 9:1c4 10:392 10:3aa 10:3b0 10:3bc 10:3d7 11:7d4
11:7dc 11:7db 11:7d5 11:7f0 8:c1 11:7fb 10:3c8 10:3a3 10:395 10:39d 10:3ac
10:3ae 10:3c5 10:3d8 10:3e2 10:3e6 11:7e4 11:7e7 11:7e0 11:7e9 11:7f7 9:190
11:7f2 10:393 9:1be 9:1c0 10:394 10:397 10:3ad 10:3c3 10:3c1 10:3d2 11:7da
11:7d9 11:7df 11:7eb 11:7f4 11:7fa 9:195 11:7f8 10:3bd 10:39c 10:3ab 10:3a8
10:3b3 10:3b9 10:3d0 10:3e3 10:3e5 11:7e2 11:7de 11:7ed 11:7f1 11:7f9 11:7fc
9:193 12:ffd 10:3dc 10:3b6 10:3c7 10:3cc 10:3cb 10:3d9 10:3da 11:7d3 11:7e1
11:7ee 11:7ef 11:7f5 11:7f6 12:ffc 12:fff 9:19d 9:1c2 8:b5 8:a1 8:96 8:97
8:95 8:99 8:a0 8:a2 8:ac 8:a9 8:b1 8:b3 8:bb 8:c0 9:18f 5:4
""",
]
SWB_1024_96 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 64, 72, 80, 88, 96, 108, 120, 132, 144, 156, 172, 188, 212, 240, 276, 320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024]
SWB_128_96 = [0, 4, 8, 12, 16, 20, 24, 32, 40, 48, 64, 92, 128]
SWB_1024_64 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 64, 72, 80, 88, 100, 112, 124, 140, 156, 172, 192, 216, 240, 268, 304, 344, 384, 424, 464, 504, 544, 584, 624, 664, 704, 744, 784, 824, 864, 904, 944, 984, 1024]
SWB_1024_48 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 72, 80, 88, 96, 108, 120, 132, 144, 160, 176, 196, 216, 240, 264, 292, 320, 352, 384, 416, 448, 480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800, 832, 864, 896, 928, 1024]
SWB_128_48 = [0, 4, 8, 12, 16, 20, 28, 36, 44, 56, 68, 80, 96, 112, 128]
SWB_1024_32 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 72, 80, 88, 96, 108, 120, 132, 144, 160, 176, 196, 216, 240, 264, 292, 320, 352, 384, 416, 448, 480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800, 832, 864, 896, 928, 960, 992, 1024]
SWB_1024_24 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 52, 60, 68, 76, 84, 92, 100, 108, 116, 124, 136, 148, 160, 172, 188, 204, 220, 240, 260, 284, 308, 336, 364, 396, 432, 468, 508, 552, 600, 652, 704, 768, 832, 896, 960, 1024]
SWB_128_24 = [0, 4, 8, 12, 16, 20, 24, 28, 36, 44, 52, 64, 76, 92, 108, 128]
SWB_1024_16 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 100, 112, 124, 136, 148, 160, 172, 184, 196, 212, 228, 244, 260, 280, 300, 320, 344, 368, 396, 424, 456, 492, 532, 572, 616, 664, 716, 772, 832, 896, 960, 1024]
SWB_128_16 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 60, 72, 88, 108, 128]
SWB_1024_8 = [0, 12, 24, 36, 48, 60, 72, 84, 96, 108, 120, 132, 144, 156, 172, 188, 204, 220, 236, 252, 268, 288, 308, 328, 348, 372, 396, 420, 448, 476, 508, 544, 580, 620, 664, 712, 764, 820, 880, 944, 1024]
SWB_128_8 = [0, 4, 8, 12, 16, 20, 24, 28, 36, 44, 52, 60, 72, 88, 108, 128]

# Maximum TNS bands per sampling frequency index (ISO/IEC 14496-3 Table
# 4.156, AAC-LC), long and short windows.
TNS_MAX_BANDS_LONG = [31, 31, 34, 40, 42, 51, 46, 46, 42, 42, 42, 39, 39]
TNS_MAX_BANDS_SHORT = [9, 9, 10, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14]


def parse_book(text):
    return [(int(w.split(':')[0]), int(w.split(':')[1], 16)) for w in text.split()]


def build_tree(book):
    """Binary decoding tree of a prefix code: list of [child0, child1]."""
    nodes = [[None, None]]
    for index, (length, code) in enumerate(book):
        node = 0
        for i in range(length - 1, -1, -1):
            bit = (code >> i) & 1
            if i == 0:
                assert nodes[node][bit] is None, 'not a prefix code'
                nodes[node][bit] = -(index + 1)
            else:
                child = nodes[node][bit]
                if child is None:
                    nodes.append([None, None])
                    child = nodes[node][bit] = len(nodes) - 1
                assert child >= 0, 'not a prefix code'
                node = child
    for n in nodes:
        assert n[0] is not None and n[1] is not None, 'incomplete code'
    return nodes


LUT_BITS = 9


# Spectral codebook shapes (14496-3 4.6.3.2, Table 4.150): tuple size and
# modulus of books 1..11.
BOOK_DIM = [0, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2]
BOOK_MOD = [0, 3, 3, 3, 3, 9, 9, 8, 8, 13, 13, 17]


def spectral_digits(book, index):
    """The digits of a spectral codeword index (4 of base 3 or 2 of base
    mod, most significant first, 4.6.3.3), as coded: the signed books'
    offset is not applied."""
    dim, mod = BOOK_DIM[book], BOOK_MOD[book]
    digits = []
    for _ in range(dim):
        digits.insert(0, index % mod)
        index //= mod
    return digits


SIGNED_BOOKS = (1, 2, 5, 6)


def spectral_entry(book, index, bits_after, avail):
    """A spectral codeword's values and how many bits past the codeword they
    take: the sign bits of an unsigned book (4.6.3.3, one per nonzero value,
    in order) are resolved from the `avail` bits that follow the codeword in
    the table index (`bits_after`) when they fit; otherwise the entry says
    they are pending. Returns (value bits, extra length, pending flag).

    Values: quads as 4-bit two's complement in bits 28-31 (first), 24-27,
    20-23, 16-19; pairs as 6-bit two's complement in bits 26-31 (first) and
    20-25; an escape of book 11 stays +-16 and sets bit 11. Pending entries
    also carry the count of nonzero values in bits 8-10."""
    d = spectral_digits(book, index)
    if book in SIGNED_BOOKS:
        off = 1 if BOOK_DIM[book] == 4 else 4
        vals, extra, pending = [x - off for x in d], 0, 0
    else:
        nz = sum(1 for x in d if x)
        if nz <= avail:
            signs = bits_after >> (avail - nz)
            vals, k = [], nz
            for x in d:
                if x:
                    k -= 1
                    vals.append(-x if (signs >> k) & 1 else x)
                else:
                    vals.append(0)
            extra, pending = nz, 0
        else:
            vals, extra, pending = list(d), 0, nz
    e = 0
    if len(vals) == 4:
        for i, v in enumerate(vals):
            assert -8 <= v < 8
            e |= (v & 15) << (28 - 4 * i)
    else:
        for i, v in enumerate(vals):
            assert -32 <= v < 32
            e |= (v & 63) << (26 - 6 * i)
    if pending:
        e |= 0x80 | (pending << 8)
    if book == 11 and 16 in d:
        e |= 0x800  # an escape follows (4.6.3.3)
    return e, extra


def build_lut(book, entry):
    """Two-level lookup table of a prefix code, LUT_BITS at the first level.

    entry(index, bits_after, avail) -> (value bits, extra length): the entry
    of a codeword followed by `avail` known bits `bits_after` (the rest of
    the table index). Entry e (uint32): bit 6 clear: a codeword (with its
    extra bits) of e & 0x3f bits (bit 5 is always clear, so a shift by e
    masked to 6 bits consumes it) counted from where this table's bits
    start, the rest of e as entry() made it (bit 7: signs pending); bit 6
    set: the codeword is longer, skip LUT_BITS and look up the next e & 0x1f bits in the table at offset
    e >> 8 (from the book's first entry). Entries past the end of the bits
    read index with the zeros a short read gives, which every complete code
    decodes to something."""
    def fill(table, codes, bits):
        # codes: (index, length, code) relative to this table's start.
        for index, length, code in codes:
            shift = bits - length
            for low in range(1 << shift):
                v, extra = entry(index, low, shift)
                assert length + extra < 32 and not (v & 0x7f)
                table[(code << shift) | low] = v | (length + extra)

    first = [None] * (1 << LUT_BITS)
    subs = {}
    short = []
    for index, (length, code) in enumerate(book):
        if length <= LUT_BITS:
            short.append((index, length, code))
        else:
            prefix = code >> (length - LUT_BITS)
            subs.setdefault(prefix, []).append((index, length - LUT_BITS, code & ((1 << (length - LUT_BITS)) - 1)))
    fill(first, short, LUT_BITS)
    table = first  # the subtables are appended to it
    for prefix in sorted(subs):
        bits = max(l for _, l, _ in subs[prefix])
        sub = [None] * (1 << bits)
        fill(sub, subs[prefix], bits)
        assert all(v is not None for v in sub), 'incomplete code'
        table[prefix] = (len(table) << 8) | 0x40 | bits
        table.extend(sub)
    assert all(v is not None for v in table), 'incomplete code'
    return table


def bessel_i0(x):
    s, term, k = 1.0, 1.0, 1
    while term > 1e-20 * s:
        term *= (x / (2.0 * k)) ** 2
        s += term
        k += 1
    return s


def kbd_half(n, alpha):
    half = n // 2
    w = [bessel_i0(math.pi * alpha * math.sqrt(max(0.0, 1.0 - ((j - n / 4.0) / (n / 4.0)) ** 2)))
         for j in range(half + 1)]
    total = sum(w)
    out, acc = [], 0.0
    for i in range(half):
        acc += w[i]
        out.append(math.sqrt(acc / total))
    return out


def fmt_floats(vals, per_line=6):
    lines = []
    for i in range(0, len(vals), per_line):
        lines.append('    ' + ' '.join('%.9ef,' % v for v in vals[i:i + per_line]))
    return '\n'.join(lines)


def fmt_ints(vals, per_line=12):
    lines = []
    for i in range(0, len(vals), per_line):
        lines.append('    ' + ' '.join('%d,' % v for v in vals[i:i + per_line]))
    return '\n'.join(lines)


def main():
    o = sys.stdout
    o.write('/* codec/aac/aac_tables.c - generated by tools/gen_aac_tables.py; do not edit.\n'
            ' * The sources of each table are named in the script and in aac_tables.h. */\n')
    o.write('#include "codec/aac/aac_tables.h"\n\n')
    # Huffman trees.
    books = [SF_BOOK] + SPECTRAL_BOOKS
    for b in books:
        build_tree(parse_book(b))  # checks each is a complete prefix code
    luts, lut_offsets = [], []
    for i, b in enumerate(books):
        lut_offsets.append(len(luts))
        luts.extend(build_lut(parse_book(b), (lambda x, a, n, i=i: spectral_entry(i, x, a, n)) if i
                              else (lambda x, a, n: (x << 8, 0))))
    o.write('/* Two-level %d-bit lookup tables of the scalefactor codebook (book 0,\n'
            ' * Table 4.A.1) and the spectral codebooks 1..11 (Tables 4.A.2-4.A.12),\n'
            ' * concatenated (entry format: build_lut in tools/gen_aac_tables.py). */\n'
            % LUT_BITS)
    o.write('const uint32_t aac_huff_lut[%d] = {\n%s\n};\n\n' % (len(luts), fmt_ints(luts, 8)))
    o.write('const uint16_t aac_huff_lut_root[12] = {%s};\n\n' % ', '.join(str(x) for x in lut_offsets))
    # Signed v^(4/3) by the two's complement field of a spectral entry.
    for name, bits in (('quad', 4), ('pair', 6)):
        vals = []
        for u in range(1 << bits):
            v = u - (1 << bits) if u >= (1 << (bits - 1)) else u
            vals.append(math.copysign(abs(v) ** (4.0 / 3.0), v) if v else 0.0)
        o.write('const float aac_spec_pow43_%s[%d] = {\n%s\n};\n\n' %
                (name, 1 << bits, fmt_floats(vals)))
    o.write('const float aac_sf_gain[256] = {\n%s\n};\n\n' %
            fmt_floats([2.0 ** ((s - 100) / 4.0) / 32768.0 for s in range(256)]))
    for n, name in ((2048, 'long'), (256, 'short')):
        o.write('const float aac_sine_%s[%d] = {\n%s\n};\n\n' %
                (name, n // 2, fmt_floats([math.sin(math.pi / n * (i + 0.5)) for i in range(n // 2)])))
        o.write('const float aac_kbd_%s[%d] = {\n%s\n};\n\n' %
                (name, n // 2, fmt_floats(kbd_half(n, 4.0 if n == 2048 else 6.0))))
    # TNS: [coef_res][code], 16 entries each (3-bit codes use 8).
    tns = []
    for bits in (3, 4):
        row = []
        for code in range(16):
            if code >= (1 << bits):
                row.append(0.0)
                continue
            q = code - (1 << bits) if code >= (1 << (bits - 1)) else code
            iq = ((1 << (bits - 1)) - 0.5) if q >= 0 else ((1 << (bits - 1)) + 0.5)
            row.append(math.sin(q / (iq / (math.pi / 2.0))))
        tns += row
    o.write('const float aac_tns_coef[2][16] = {\n    {\n%s\n    },\n    {\n%s\n    },\n};\n\n' %
            (fmt_floats(tns[:16], 4), fmt_floats(tns[16:], 4)))
    o.write('const uint8_t aac_tns_max_bands[2][13] = {\n    {%s},\n    {%s},\n};\n\n' %
            (', '.join(map(str, TNS_MAX_BANDS_LONG)), ', '.join(map(str, TNS_MAX_BANDS_SHORT))))
    # swb offsets per sampling frequency index 0..12.
    long_tabs = [SWB_1024_96, SWB_1024_96, SWB_1024_64, SWB_1024_48, SWB_1024_48, SWB_1024_32,
                 SWB_1024_24, SWB_1024_24, SWB_1024_16, SWB_1024_16, SWB_1024_16, SWB_1024_8,
                 SWB_1024_8]
    short_tabs = [SWB_128_96, SWB_128_96, SWB_128_96, SWB_128_48, SWB_128_48, SWB_128_48,
                  SWB_128_24, SWB_128_24, SWB_128_16, SWB_128_16, SWB_128_16, SWB_128_8,
                  SWB_128_8]
    o.write('/* Scalefactor band offsets (14496-3 Tables 4.129-4.147), per sampling\n'
            ' * frequency index; [i][num_swb] is the window length. */\n')
    o.write('const uint8_t aac_num_swb_long[13] = {%s};\n' % ', '.join(str(len(t) - 1) for t in long_tabs))
    o.write('const uint8_t aac_num_swb_short[13] = {%s};\n' % ', '.join(str(len(t) - 1) for t in short_tabs))
    o.write('const uint16_t aac_swb_long[13][52] = {\n')
    for t in long_tabs:
        o.write('    {%s},\n' % ', '.join(map(str, t)))
    o.write('};\n')
    o.write('const uint16_t aac_swb_short[13][16] = {\n')
    for t in short_tabs:
        o.write('    {%s},\n' % ', '.join(map(str, t)))
    o.write('};\n')


def exact(v):
    """cos/sin values of multiples of pi/2 as exact 0 and +-1."""
    r = round(v)
    return float(r) if abs(v - r) < 1e-12 else v


def main_dsp():
    """simd/dsp_aac_tables.c: the tables of the aac_* kernels of segue_dsp."""
    o = sys.stdout
    o.write('/* simd/dsp_aac_tables.c - generated by tools/gen_aac_tables.py dsp; do not\n'
            ' * edit. Tables of the AAC kernels (simd/dsp_aac_scalar.c). */\n')
    o.write('#include "simd/dsp_impl.h"\n\n')
    for n, name in ((2048, 'long'), (256, 'short')):
        q = n // 4
        c = [math.cos(2.0 * math.pi * (k + 0.125) / n) for k in range(q)]
        s = [math.sin(2.0 * math.pi * (k + 0.125) / n) for k in range(q)]
        o.write('/* IMDCT pre/post-twiddle cos, sin of 2 pi (k + 1/8) / %d, k < %d. */\n' % (n, q))
        o.write('_Alignas(32) const float segue_aac_imdct_cos_%s[%d] = {\n%s\n};\n' % (name, q, fmt_floats(c)))
        o.write('_Alignas(32) const float segue_aac_imdct_sin_%s[%d] = {\n%s\n};\n\n' % (name, q, fmt_floats(s)))
    sc, ss = [1.0], [0.0]
    h = 1
    while h < 512:
        for j in range(h):
            sc.append(exact(math.cos(-math.pi * j / h)))
            ss.append(exact(math.sin(-math.pi * j / h)))
        h *= 2
    o.write('/* FFT stage twiddles: [h + j] = cos, sin of -pi j / h for the radix-2\n'
            ' * stage of half-size h (1, 2, 4 .. 256), j < h; [0] unused. Multiples\n'
            ' * of pi/2 are exact. */\n')
    o.write('_Alignas(32) const float segue_aac_fft_cos[512] = {\n%s\n};\n' % fmt_floats(sc))
    o.write('_Alignas(32) const float segue_aac_fft_sin[512] = {\n%s\n};\n\n' % fmt_floats(ss))
    rev = [int(format(k, '09b')[::-1], 2) for k in range(512)]
    o.write('/* 9-bit bit reversal; for k < 64 the 6-bit one is rev[k] >> 3. */\n')
    o.write('/* v^(4/3), v < 8192 (14496-3 4.6.1.3, inverse quantisation). */\n')
    o.write('const float segue_aac_pow43[8192] = {\n%s\n};\n\n' %
            fmt_floats([i ** (4.0 / 3.0) for i in range(8192)]))
    o.write('const uint16_t segue_aac_bitrev512[512] = {\n%s\n};\n' % fmt_ints(rev))


if __name__ == '__main__':
    if sys.argv[1:] == ['dsp']:
        main_dsp()
    else:
        main()
