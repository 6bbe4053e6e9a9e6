"""MMFormatter: MMEngine's record format, with coloured level names."""

from __future__ import annotations

import logging

import pytest
from mme.logging import MMFormatter


def _record(level: int) -> logging.LogRecord:
    return logging.LogRecord("mme", level, "/src/p.py", 3, "hello %s", ("x",), None, func="fn")


def test_plain_format_names_where_errors_happen():
    fmt = MMFormatter(color=False, datefmt="%Y")
    assert fmt.format(_record(logging.INFO)).endswith(" - mme - INFO - hello x")
    assert fmt.format(_record(logging.WARNING)).endswith(" - mme - WARNING - hello x")
    assert fmt.format(_record(logging.ERROR)).endswith(" - mme - ERROR - /src/p.py - fn - 3 - hello x")
    assert fmt.format(_record(logging.CRITICAL)).endswith(" - mme - CRITICAL - /src/p.py - fn - 3 - hello x")
    assert fmt.format(_record(logging.INFO))[:4].isdigit()


def test_colours_and_blinking():
    esc = chr(27)
    fmt = MMFormatter()
    assert f"{esc}[4m{esc}[97mINFO{esc}[0m - hello x" in fmt.format(_record(logging.INFO))
    assert f"{esc}[4m{esc}[32mDEBUG{esc}[0m" in fmt.format(_record(logging.DEBUG))
    assert f"{esc}[5m{esc}[4m{esc}[33mWARNING{esc}[0m" in fmt.format(_record(logging.WARNING))
    assert f"{esc}[5m{esc}[4m{esc}[31mERROR{esc}[0m" in fmt.format(_record(logging.ERROR))
    assert f"{esc}[5m{esc}[4m{esc}[97mINFO" in MMFormatter(blink=True).format(_record(logging.INFO))
    record = _record(logging.INFO)
    fmt.format(record)
    assert record.levelname == "INFO"  # the record itself is left as it was


def test_blink_needs_color():
    with pytest.raises(ValueError, match="blink=True needs color=True"):
        MMFormatter(color=False, blink=True)
