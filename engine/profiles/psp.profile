# psp: AAC for the PlayStation Portable's music player.
#
# AAC-LC (never HE-AAC, which the player is not assumed to decode) at 128
# kbps CBR, 44.1 kHz stereo, in an M4A file that holds only standard boxes
# (ftyp, moov before mdat, free): the layout iTunes writes, which the
# player is most often reported to play. CBR keeps the bitrate inside the
# assumed range below at every moment. Cover art as for psp-mp3: a
# baseline JPEG of at most 480x480 and 256 KiB. File names FAT-safe.
#
# Needs the aac encoder in the build (`segue convert` says "no aac encoder
# in this build" otherwise).
name = psp
description = PSP music player: AAC-LC 128 kbps CBR in M4A, 44.1 kHz stereo, baseline JPEG art
codec = aac
container = m4a
extension = m4a
sample_rate = 44100
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
device = psp

# What `segue check --device psp` holds a file against: the PSP plays both
# MP3 (psp-mp3) and AAC in M4A. The checker reads the device.* keys of the
# built-in psp profiles, this one (named after the device) first, the first
# that has a key giving it; so this profile states the whole device: the
# MP3 limits are psp-mp3's, the AAC ones are added. No Sony document was consulted
# for any value, so each is marked "assumed" (docs/profiles.md).
device.description = Sony PlayStation Portable, XMB music player (MP3, AAC in M4A)
device.containers = mp3 m4a
device.containers.source = assumed
device.codecs = mp3 aac
device.codecs.source = assumed
device.mpeg_versions = 1
device.mpeg_versions.source = assumed
device.sample_rates = 32000 44100 48000
device.sample_rates.source = assumed
# AAC at 44.1 or 48 kHz only, AAC-LC only.
device.aac_sample_rates = 44100 48000
device.aac_sample_rates.source = assumed
device.aac_profiles = lc
device.aac_profiles.source = assumed
# Top-level boxes of an M4A file: no fragments (moof), no boxes beyond the
# ISO/IEC 14496-12 basics.
device.mp4_boxes = ftyp moov mdat free skip
device.mp4_boxes.source = assumed
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
# The profile that fixes every media finding, MP3 or AAC, with the
# encoders every build has (MP3); `--profile psp` fixes them as well when
# the aac encoder is in the build.
device.fix_profile = psp-mp3
device.fix_profile.source = assumed
