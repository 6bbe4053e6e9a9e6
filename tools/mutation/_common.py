"""Paths and names shared by the parts of the mutation tool."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent.parent
SITE_DIR = PACKAGE / "site"  # holds the sitecustomize.py of the processes the tests start
EQUIVALENTS_FILE = PACKAGE / "equivalents.txt"
REPORT_DIR = ROOT / "work_dirs" / "mutation"

MUTANT_ENV = "MME_MUTATION_MUTANT"  # JSON of the mutant for processes the tests start
TRACE_DIR_ENV = "MME_MUTATION_TRACE_DIR"  # where traced worker processes leave their lines
TRACE_FILES_ENV = "MME_MUTATION_TRACE_FILES"  # the files to trace, os.pathsep-separated
TEST_ENV = "MME_MUTATION_TEST"  # the test running now, read by traced worker processes
COLLECT = "<collect>"  # the context of lines run outside any test (imports at collection)

# pytest runs in a scratch folder, on the repository's configuration and tests.
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-c", str(ROOT / "pytest.ini"))
