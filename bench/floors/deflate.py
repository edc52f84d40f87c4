"""P5 native floor: zlib level-6 gzip compression of the module alone, in C, one core, 1 MiB reads."""
import sys
import zlib

deflate, size = zlib.compressobj(6, zlib.DEFLATED, 31), 0  # wbits 31: gzip wrapper
with open(sys.argv[1], "rb", buffering=0) as f:
    while chunk := f.read(1 << 20):
        size += len(deflate.compress(chunk))
print(size + len(deflate.flush()))
