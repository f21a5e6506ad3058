name = x
codec = opus
bitrate = 96
rate_control = vbr
fade_in = 0.25
x-a = b
