"""glibc's malloc kept from handing the top of its heap back to the kernel after each large free.

By default glibc returns free memory at the top of the heap to the kernel as soon as more
than its trim threshold lies there, and the next large allocation faults fresh zeroed pages
in again: a training step's tensors, or each of the 16 MB buffers tf-keras's `load_model`
reads its archive through, page by page. On this project's runners a `make test` took 24.3
million page faults that way; with 256 MiB kept at the top, 8.8 million, and a fifth less
CPU time (docs/performance.md, "The test suite's cost"). It changes no result, only when
memory goes back; a process may keep up to that much more resident.

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
