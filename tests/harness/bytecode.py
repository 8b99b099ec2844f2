"""Where the project's sessions keep Python's bytecode when the machine forbids writing it.

A runner that sets PYTHONDONTWRITEBYTECODE (this project's do) makes every process compile
each module it imports again, and uv, unlike pip, compiles nothing when it installs: each
import of TensorFlow then recompiles its Python (docs/performance.md, "The test suite's
cost"). The sessions keep the bytecode in a folder of their own instead, out of the source
tree the setting keeps clean.

No imports: `noxfile.py` runs it in the tools' environment.
"""

FORBID = "PYTHONDONTWRITEBYTECODE"
PREFIX = "PYTHONPYCACHEPREFIX"


def keep_bytecode(environ, folder: str) -> None:
    """Changes `environ` (os.environ or a subprocess's mapping) so that Python writes bytecode
    under `folder` where the machine forbids writing it; a PYTHONPYCACHEPREFIX already chosen
    is kept, and nothing changes where writing is allowed."""
    if environ.get(FORBID):
        environ.setdefault(PREFIX, folder)
        del environ[FORBID]
