# archive-flac: lossless archive copy; rate, depth, tags and pictures kept.
name = archive-flac
description = Archive: FLAC level 8, source rate and depth, tags and pictures kept
codec = flac
sample_rate = source
channels = source
sample_format = source
compression_level = 8
tags = vorbis
picture_format = keep
