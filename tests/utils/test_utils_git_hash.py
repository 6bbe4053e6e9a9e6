"""get_git_hash against a real repository."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mme.utils import get_git_hash

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd, *args):
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "HOME": str(cwd), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_get_git_hash_reads_head_of_the_current_directory(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "f").write_text("x")
    _git(repo, "add", "f")
    _git(repo, "commit", "-q", "-m", "c")
    head = _git(repo, "rev-parse", "HEAD")
    assert len(head) == 40
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # the caller's git variables are ignored
    assert get_git_hash() == head
    assert get_git_hash(digits=7) == head[:7]
    with pytest.raises(TypeError, match="digits"):
        get_git_hash(digits="7")


def test_get_git_hash_falls_back_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert get_git_hash() == "unknown"
    assert get_git_hash(fallback="none", digits=3) == "none"
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert get_git_hash(fallback="no-git") == "no-git"


def test_get_git_hash_falls_back_in_a_repository_without_commits(tmp_path, monkeypatch):
    _git(tmp_path, "init", "-q")  # `git rev-parse HEAD` prints "HEAD" here and fails
    monkeypatch.chdir(tmp_path)
    assert get_git_hash() == "unknown"
