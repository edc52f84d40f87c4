"""P1 native floor: gunzip + SHA-256 of the tar stream, in C (zlib, OpenSSL), one core, 1 MiB reads."""
import hashlib
import sys
import zlib

inflate, digest = zlib.decompressobj(31), hashlib.sha256()  # wbits 31: gzip wrapper
with open(sys.argv[1], "rb", buffering=0) as f:
    while chunk := f.read(1 << 20):
        digest.update(inflate.decompress(chunk))
        while inflate.unused_data:  # a bundle may hold several gzip members (SPEC §4)
            rest, inflate = inflate.unused_data, zlib.decompressobj(31)
            digest.update(inflate.decompress(rest))
print(digest.hexdigest())
