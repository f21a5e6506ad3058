# psp-mp3: MP3 for the PlayStation Portable's music player.
#
# CBR rather than VBR: every MP3 player handles constant bitrate, seeking
# and the displayed length need no Xing/VBRI table, and 192 kbps stays well
# inside the 32-320 kbps range assumed below. Joint stereo at 44.1 kHz, the
# rate the player is most often reported to play.
name = psp-mp3
description = PSP music player: MP3 CBR 192 kbps, 44.1 kHz stereo, ID3v2.3, baseline JPEG art
codec = mp3
container = mp3
extension = mp3
sample_rate = 44100
channels = 2
rate_control = cbr
bitrate = 192
stereo_mode = joint
tags = id3v2.3
id3v1 = no
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
device = psp

# What `segue check --device psp` holds a file against. No Sony document
# was consulted for these values, so each is marked "assumed" (see
# docs/profiles.md for where each comes from).
device.description = Sony PlayStation Portable, XMB music player (MP3)
device.containers = mp3
device.containers.source = assumed
device.codecs = mp3
device.codecs.source = assumed
device.mpeg_versions = 1
device.mpeg_versions.source = assumed
device.sample_rates = 32000 44100 48000
device.sample_rates.source = assumed
device.channels_max = 2
device.channels_max.source = assumed
device.bitrate_min_kbps = 32
device.bitrate_min_kbps.source = assumed
device.bitrate_max_kbps = 320
device.bitrate_max_kbps.source = assumed
device.tags = id3v1 id3v2.2 id3v2.3
device.tags.source = assumed
device.picture_formats = jpeg-baseline
device.picture_formats.source = assumed
device.picture_max_width = 480
device.picture_max_width.source = assumed
device.picture_max_height = 480
device.picture_max_height.source = assumed
device.filename_charset = fat
device.filename_charset.source = assumed
device.filename_max_bytes = 255
device.filename_max_bytes.source = assumed
device.fix_profile = psp-mp3
device.fix_profile.source = assumed
