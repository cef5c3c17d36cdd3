"""Big blocks go back to the operating system when freed: glibc's mmap threshold, fixed.

Why. A dict of 100,000 entries (the store's record table, the rate limiter's windows) is one
block of megabytes, allocated anew whenever the dict grows or compacts. glibc serves a block of
128 KiB or more with mmap and unmaps it when it is freed; but the first time it frees such a
block it raises that threshold to the block's size (its dynamic mmap threshold, up to 32 MiB),
and from then on those tables come from the heap, where a freed one leaves a hole that the next
one, a little bigger, does not fit. A server at its caps then grew its RSS in steps of ~10 MiB
while what Python held stayed flat (tracemalloc): +18 MiB over 1,000,000 creates in-process
(`make soak`'s shape: 11 % over its first sample), and none once the threshold is set, which
turns the adjustment off. The adjustment also raised the trim threshold (free memory at the top
of the heap kept rather than given back); fixed, that stays at 128 KiB, and the heap's top is
given back and faulted in again over and over: ~4 % more CPU per request at 1,000,000 stored
(`make bench-million`). So it is set to 64 MiB, the most the adjustment reaches (twice its 32 MiB). On
a C library without `mallopt` (macOS) this does nothing, and musl's ignores it.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
THRESHOLD = 128 * 1024  # glibc's default, kept: only its adjustment is turned off
TRIM = 64 << 20  # free memory at the heap's top kept before it is given back


def keep_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at its default, and its trim threshold at TRIM, for this process;
    False where it cannot be."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM))
