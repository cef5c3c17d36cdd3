"""`sandbox serve` keeps glibc's mmap threshold fixed (sandbox/heap.py): a big block freed once does
not send the next big blocks to the heap, where they leave holes that RSS keeps."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys
from sandbox import heap

FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in FIELDS]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "fixed":
    assert heap.keep_mmap_threshold()
big = bytearray(8 << 20)  # mmapped, then freed: glibc would raise its threshold to 8 MiB
del big
before = mallinfo2().hblks  # blocks served by mmap
table = bytearray(1 << 20)  # a 1 MiB block, as a dict's table
print(mallinfo2().hblks - before)  # 1 if it was mmapped, 0 if it came from the heap
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_freed_big_block_does_not_send_later_ones_to_the_heap() -> None:
    def mmapped(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
        return int(run.stdout)

    assert mmapped("default") == 0  # glibc's dynamic threshold: the 1 MiB block came from the heap
    assert mmapped("fixed") == 1
