# psp-video-audio: the audio track for PSP video (MP4 with AVC video).
#
# The PSP's video player is commonly reported to want AAC-LC at 48 kHz
# stereo in its MP4 files (assumed: no Sony document consulted). This
# profile makes that audio as an M4A file, for a video muxer to take the
# track from; 128 kbps CBR as psp. No device key: `segue check --device
# psp` describes the music player.
name = psp-video-audio
description = PSP video audio track: AAC-LC 128 kbps CBR in M4A, 48 kHz stereo
codec = aac
container = m4a
extension = m4a
sample_rate = 48000
channels = 2
rate_control = cbr
bitrate = 128
picture_max_width = 480
picture_max_height = 480
picture_max_bytes = 262144
picture_format = jpeg
picture_baseline = yes
filename_charset = fat
filename_max_bytes = 255
path_max_bytes = 1024
resample_quality = high
dither = auto
