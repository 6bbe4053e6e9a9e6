"""TerminalProgress as the terminal shows it: log lines above the bars, the bars gone after close."""

from __future__ import annotations

import io
import logging
import re

import pytest

from mme.hooks._progress import TerminalProgress

_TOKEN = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")


def screen(text: str) -> list[str]:
    """The lines a terminal shows after ``text``: a small emulator of what rich writes."""
    rows, r, col = [""], 0, 0
    for tok in _TOKEN.split(text):
        if not tok:
            continue
        if tok == "\n":
            r, col = r + 1, 0
            if r == len(rows):
                rows.append("")
        elif tok == "\r":
            col = 0
        elif tok == "\x1b[2K":
            rows[r] = ""
        elif (up := re.fullmatch(r"\x1b\[(\d*)A", tok)) is not None:
            r = max(0, r - int(up.group(1) or 1))
        elif tok.startswith("\x1b["):
            continue  # colours, cursor visibility
        else:
            rows[r] = rows[r][:col].ljust(col) + tok + rows[r][col + len(tok):]
            col += len(tok)
    while rows and rows[-1] == "":
        rows.pop()
    return rows


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def shown():
    terminal = _Terminal()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.hooks.progress_behaviour")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    progress = TerminalProgress(terminal, [handler])
    yield terminal, handler, logger, progress
    progress.close()
    logger.removeHandler(handler)


def test_log_lines_print_above_the_bar_which_shows_its_counts(shown):
    terminal, _, logger, progress = shown
    progress.add("train", "train epoch 1/2", total=10)
    progress.update("train", 5)
    long_line = "hello " + "y" * 150  # wider than the console: kept on one line, not wrapped
    logger.info(long_line)
    rows = screen(terminal.getvalue())
    assert rows[0] == long_line
    bar = rows[1]
    assert bar.startswith("train epoch 1/2 ━")
    assert re.search(r" 5/10 \d+:\d\d:\d\d eta ", bar), bar
    assert progress.tasks == ("train",)


def test_close_erases_the_bars_and_writes_out_a_pending_partial_line(shown):
    terminal, handler, logger, progress = shown
    progress.add("train", "train", total=4)
    logger.info("first")
    handler.stream.write("partial")  # no newline yet: waits
    assert "partial" not in terminal.getvalue()
    progress.close()
    assert handler.stream is terminal
    assert screen(terminal.getvalue()) == ["first", "partial"]


def test_a_removed_bar_is_no_longer_drawn(shown):
    terminal, _, logger, progress = shown
    progress.add("train", "train bar", total=4)
    progress.add("val", "val bar", total=2)
    progress.remove("val")
    assert progress.tasks == ("train",)
    logger.info("line")  # redraws the bars below it
    rows = screen(terminal.getvalue())
    assert rows[0] == "line"
    assert [row.split(" ━")[0] for row in rows[1:]] == ["train bar"]


def test_close_keeps_a_stream_that_was_changed_meanwhile(shown):
    terminal, handler, _, progress = shown
    other = io.StringIO()
    handler.setStream(other)
    progress.close()
    assert handler.stream is other


def test_for_logger_skips_handlers_that_are_not_streams():
    terminal = _Terminal()
    logger = logging.getLogger("tests.hooks.progress_behaviour.mixed")
    handlers = [logging.NullHandler(), logging.StreamHandler(terminal)]
    for h in handlers:
        logger.addHandler(h)
    try:
        progress = TerminalProgress.for_logger(logger)
        assert progress is not None
        progress.close()
    finally:
        for h in handlers:
            logger.removeHandler(h)
