# preview-mp3: a 30 s store preview clip.
#
# No start key: where the clip begins differs per track, so it comes from
# the command line (segue convert --profile preview-mp3 --start S).
name = preview-mp3
description = Store preview: MP3 CBR 128 kbps, 44.1 kHz stereo, 30 s with fades
codec = mp3
sample_rate = 44100
channels = 2
rate_control = cbr
bitrate = 128
stereo_mode = joint
tags = id3v2.3
duration = 30
fade_in = 0.5
fade_out = 2.5
picture_max_width = 500
picture_max_height = 500
picture_format = jpeg
dither = auto
