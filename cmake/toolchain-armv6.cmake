# Cross build for an ARM11 with VFP (ARM1176JZF-S class players: ARMv6,
# VFPv2, no NEON) with Debian's arm-linux-gnueabihf gcc, for the device
# budgets (bench/README.md). Our code is built for ARMv6 + VFPv2 in ARM
# state; the Debian armhf libc it links statically is ARMv7 Thumb-2, so the
# device harness reports instructions an ARMv6 lacks separately for our code
# and for libc.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_C_FLAGS_INIT
  "-march=armv6 -mtune=arm1176jzf-s -marm -mfpu=vfp -mfloat-abi=hard -fsingle-precision-constant")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(SEGUE_DEVICE_QEMU qemu-arm)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)
