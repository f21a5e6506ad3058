# store-mp3-v0: LAME's best VBR setting (V0, ~245 kbps on average music).
name = store-mp3-v0
description = Store delivery: MP3 VBR V0, 44.1 kHz, ID3v2.3, JPEG cover up to 1400x1400
codec = mp3
sample_rate = 44100
channels = source
rate_control = vbr
quality = 0
stereo_mode = joint
tags = id3v2.3
picture_max_width = 1400
picture_max_height = 1400
picture_format = jpeg
resample_quality = very-high
dither = auto
