# store-mp3-320: the "highest quality MP3" a download store delivers.
name = store-mp3-320
description = Store delivery: MP3 CBR 320 kbps, 44.1 kHz, ID3v2.3, JPEG cover up to 1400x1400
codec = mp3
sample_rate = 44100
channels = source
rate_control = cbr
bitrate = 320
stereo_mode = joint
tags = id3v2.3
picture_max_width = 1400
picture_max_height = 1400
picture_format = jpeg
resample_quality = very-high
dither = auto
