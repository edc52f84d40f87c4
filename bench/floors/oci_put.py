"""P7 registry floor: the registry's own ingest of one blob through a minimal client.

Uploads FILE as a blob of a fresh repository in one monolithic PUT (POST for the upload location, then the
whole file streamed in 1 MiB blocks; the digest is given, not computed here): what any client, however fast,
waits for after verification. Usage: oci_put.py HOST:PORT REPOSITORY FILE SHA256.
"""
import http.client
import os
import sys
import urllib.parse

authority, repository, path, sha256 = sys.argv[1:5]
conn = http.client.HTTPConnection(authority, blocksize=1 << 20)
conn.request("POST", f"/v2/{repository}/blobs/uploads/", headers={"Content-Length": "0"})
res = conn.getresponse()
res.read()
if res.status != 202:
    sys.exit(f"POST: {res.status}")
location = urllib.parse.urlsplit(res.getheader("Location"))
query = location.query + ("&" if location.query else "") + f"digest=sha256:{sha256}"
with open(path, "rb") as f:
    size = os.fstat(f.fileno()).st_size
    conn.request(
        "PUT",
        f"{location.path}?{query}",
        body=f,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
    )
    res = conn.getresponse()
    res.read()
if res.status != 201:
    sys.exit(f"PUT: {res.status}")
