# web-opus-128: streaming on the web.
#
# normalize is off: players apply the R128 gain themselves, and a conversion
# that changed loudness on its own would surprise whoever uploaded the file.
# Pass --normalize r128 on the command line to tag R128_TRACK_GAIN.
name = web-opus-128
description = Web streaming: Opus VBR 128 kbps, 48 kHz stereo, no loudness change
codec = opus
sample_rate = 48000
channels = 2
rate_control = vbr
bitrate = 128
tags = vorbis
normalize = off
resample_quality = high
