name = x
codec = pcm
sample_format = s24
description = café
