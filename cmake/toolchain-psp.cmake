# Cross build approximating the PSP's Allegrex (PSP-1000) with Debian's
# mipsel-linux-gnu gcc, for the device budgets (bench/README.md).
#
# Allegrex runs 32-bit MIPS with a single-precision FPU only; upstream gcc
# has no Allegrex target. -march=mips2 is the largest upstream ISA whose
# encodings Allegrex decodes: -march=mips32 would emit the SPECIAL2 forms of
# mul/madd/msub/clz and the FP conditional moves (movf/movt, movz.s/movn.s),
# which Allegrex lacks or encodes elsewhere. Allegrex's extra ops (min/max,
# movz/movn, clz/clo, ext/ins, seb/seh) go unused, so the instruction count
# is an upper bound for psp-gcc code.
#
# -msingle-float keeps doubles out of registers (no ldc1/sdc1, no .d ops);
# -fsingle-precision-constant keeps unsuffixed constants single. The linker
# warns that libc's objects are -mfpxx and abicalls: they come from the
# Debian libc, which only the driver's start-up and IO use (the device
# harness reports any instruction Allegrex lacks that runs while decoding,
# separately for our code and for libc). -mno-abicalls/-fno-pic: PSP
# executables are not PIC.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR mipsel)
set(CMAKE_C_COMPILER mipsel-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/mipsel-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(SEGUE_DEVICE_MARCH "mips2" CACHE STRING "MIPS ISA level for the PSP approximation")
set(CMAKE_C_FLAGS_INIT
  "-march=${SEGUE_DEVICE_MARCH} -mtune=r4000 -msingle-float -fsingle-precision-constant -mno-abicalls -fno-pic -mno-check-zero-division")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(SEGUE_DEVICE_QEMU qemu-mipsel)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-mipsel)
