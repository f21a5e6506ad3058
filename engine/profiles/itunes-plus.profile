# itunes-plus: AAC as Apple's iTunes Plus catalogue delivers it.
#
# iTunes Plus files are AAC-LC at 44.1 kHz, 256 kbps VBR (constrained VBR
# around that target): rate_control vbr with bitrate as the target, as for
# Opus. Channels as the source (stereo in practice); JPEG cover up to
# 1400x1400 as the other store profiles.
name = itunes-plus
description = iTunes Plus: AAC-LC VBR 256 kbps in M4A, 44.1 kHz, JPEG cover up to 1400x1400
codec = aac
container = m4a
extension = m4a
sample_rate = 44100
channels = source
rate_control = vbr
bitrate = 256
picture_max_width = 1400
picture_max_height = 1400
picture_format = jpeg
resample_quality = very-high
dither = auto
