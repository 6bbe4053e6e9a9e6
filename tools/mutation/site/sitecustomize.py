"""Mutation testing in the Python processes that the tests start (see tools/mutation).

tools/mutation puts this folder first on PYTHONPATH of the processes it runs tests in, so that
a worker process (spawned by the tests, e.g. through mme.dist.testing.run_distributed) imports the
same mutant, or traces the same lines, as the test that started it. Elsewhere it does nothing.
"""

import os

if os.environ.get("MME_MUTATION_MUTANT") or os.environ.get("MME_MUTATION_TRACE_DIR"):
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        import mutation
    finally:
        del sys.path[0]
    mutation.bootstrap_subprocess()
