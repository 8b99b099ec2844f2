"""glibc's malloc kept from handing the top of its heap back to the kernel after each large free.

By default glibc returns free memory at the top of its heap to the kernel, and the next
large allocation (a training step's tensors, a file read into one buffer) faults zeroed
pages in again, one by one; keeping 256 MiB there cut the page faults and the CPU time of
`make test` (docs/performance.md, "The test suite's cost"). It changes no result, only
when memory goes back; a process may keep up to that much more resident.

No imports: `noxfile.py` runs it in the tools' environment.
"""

TUNABLES = "GLIBC_TUNABLES"
#: How much free memory glibc keeps at the top of the heap (and asks for beyond each request).
TOP_PAD = "glibc.malloc.top_pad"
TOP_PAD_BYTES = 256 * 2**20


def keep_heap(environ) -> None:
    """Adds glibc's top pad to GLIBC_TUNABLES in `environ` (os.environ or a subprocess's
    mapping), keeping the tunables already there; a top pad already chosen is kept."""
    tunables = [t for t in environ.get(TUNABLES, "").split(":") if t]
    if not any(t.split("=")[0] == TOP_PAD for t in tunables):
        environ[TUNABLES] = ":".join([*tunables, f"{TOP_PAD}={TOP_PAD_BYTES}"])
