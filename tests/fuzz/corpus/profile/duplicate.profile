name = x
codec = mp3
bitrate = 96
bitrate = 97
