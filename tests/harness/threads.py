"""Each framework kept to one thread of its own: TensorFlow's intra-op pool, XLA's Eigen pool
(JAX) and OpenMP (PyTorch). A test's subprocess runs beside the other pytest-xdist worker,
and an example team beside another (`noxfile.py` reads this file), two or more busy
processes on the runner's two cores: a framework's second thread there only spins while
it waits for a core (docs/performance.md, "The test suite's cost").

No imports: `noxfile.py` runs it in the tools' environment.
"""

ONE_THREAD = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


def one_thread_settings(environ) -> dict:
    """The variables to set over `environ` (an environment mapping) so that each framework
    keeps to one thread: its XLA_FLAGS are kept, with the flag added once."""
    flags = environ.get("XLA_FLAGS", "")
    return {**ONE_THREAD, "XLA_FLAGS": flags if XLA_ONE_THREAD in flags else f"{flags} {XLA_ONE_THREAD}".strip()}


def one_thread(environ) -> dict:
    """A copy of `environ` with each framework kept to one thread (for a subprocess's `env`)."""
    return {**environ, **one_thread_settings(environ)}
