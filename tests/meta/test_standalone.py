"""The repository stands alone: nothing in it points at files that a clone does not hold."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# design notes that live outside the repository; spelled in pieces so this file does not match
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "SPEC" + r"(-\w+)?\.md", "DESIGN" + r"\.md"]))


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.splitlines() if line]


def test_no_file_refers_to_design_notes_outside_the_repository():
    hits = []
    for path in _tracked_files():
        if not path.is_file() or path.suffix in {".png", ".pth", ".pkl"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "files refer to notes outside the repository:\n" + "\n".join(hits)


def test_package_readmes_install_from_a_checkout():
    for readme in sorted(ROOT.glob("packages/*/README.md")):
        text = readme.read_text(encoding="utf-8")
        layer = readme.parent.name
        assert f"./packages/{layer}" in text, f"{readme.relative_to(ROOT)} does not say how to install from a checkout"
        assert not re.search(r"pip install '?mme-", text), f"{readme.relative_to(ROOT)} installs from an index"
