# store-aac-128: the "standard quality" AAC a download store delivers.
#
# AAC-LC 128 kbps CBR at 44.1 kHz: the bitrate the first AAC store
# downloads had, and a constant one so every player's displayed length and
# seeking are right. Channels as the source; JPEG cover up to 1400x1400 as
# the other store profiles.
name = store-aac-128
description = Store delivery: AAC-LC CBR 128 kbps in M4A, 44.1 kHz, JPEG cover up to 1400x1400
codec = aac
container = m4a
extension = m4a
sample_rate = 44100
channels = source
rate_control = cbr
bitrate = 128
picture_max_width = 1400
picture_max_height = 1400
picture_format = jpeg
resample_quality = very-high
dither = auto
