"""MMLogger and print_log: levels, files, duplicate warnings, propagation, ranks."""

from __future__ import annotations

import io
import logging
import os

import pytest
from mme.dist.testing import run_distributed
from mme.logging import LoggingTypeError, LoggingValueError, MMLogger, print_log


@pytest.fixture(autouse=True)
def _close_loggers():
    yield
    for logger in list(MMLogger._instance_dict.values()):
        logger.close()


def test_console_and_file_output(tmp_path):
    stream = io.StringIO()
    log_file = tmp_path / "logs" / "run.log"  # the folder is created
    logger = MMLogger.get_instance("run", logger_name="proj", log_file=log_file, stream=stream)
    logger.info("step %d done", 3)
    logger.debug("hidden at INFO")
    assert logger.log_file == str(log_file)
    console = stream.getvalue()
    assert " - proj - INFO - step 3 done" in console
    assert "hidden" not in console
    assert "step 3 done" in log_file.read_text()
    assert "\033[" not in log_file.read_text()


def test_handlers_with_their_own_format_format_for_themselves(tmp_path):
    # mme's console and file handlers make a record's text once; another format must not reuse it
    stream, extra = io.StringIO(), io.StringIO()
    logger = MMLogger.get_instance("fmt", logger_name="proj", log_file=tmp_path / "run.log", stream=stream)
    handler = logging.StreamHandler(extra)
    handler.setFormatter(logging.Formatter("%(levelname)s|%(message)s"))
    logger.addHandler(handler)
    logger.info("value %s", 7)
    logger.warning("careful")
    assert extra.getvalue() == "INFO|value 7\nWARNING|careful\n"
    console = stream.getvalue().splitlines()
    assert console == (tmp_path / "run.log").read_text().splitlines()
    assert console[0].endswith(" - proj - INFO - value 7") and console[1].endswith(" - proj - WARNING - careful")


def test_log_level_and_set_level():
    stream = io.StringIO()
    logger = MMLogger.get_instance("lvl", log_level="warning", stream=stream)
    logger.info("not shown")
    logger.setLevel("DEBUG")
    logger.debug("now shown")
    logger.setLevel(logging.ERROR)
    logger.warning("muted again")
    assert stream.getvalue().count("shown") == 1 and "now shown" in stream.getvalue()
    assert "muted" not in stream.getvalue()


def test_duplicate_warnings_are_logged_once(tmp_path):
    stream = io.StringIO()
    logger = MMLogger.get_instance("dup", log_file=tmp_path / "dup.log", stream=stream)
    for _ in range(3):
        logger.warning("lr is %s", "too high")
        logger.info("info repeats")
    logger.warning("another warning")
    text = stream.getvalue()
    assert text.count("lr is too high") == 1
    assert text.count("info repeats") == 3
    assert "another warning" in text
    assert (tmp_path / "dup.log").read_text().count("lr is too high") == 1


def test_file_mode_append_and_rotating_handler(tmp_path):
    path = tmp_path / "a.log"
    path.write_text("old line\n")
    logger = MMLogger.get_instance("append", log_file=path, file_mode="a", stream=io.StringIO())
    logger.info("new line")
    logger.close()
    assert path.read_text().startswith("old line\n") and "new line" in path.read_text()

    rot = tmp_path / "rot.log"
    logger = MMLogger.get_instance(
        "rot", log_file=rot, stream=io.StringIO(),
        file_handler_cfg={"type": "RotatingFileHandler", "maxBytes": 200, "backupCount": 2},
    )
    for i in range(20):
        logger.info("message number %d", i)
    assert (tmp_path / "rot.log.1").exists()


def test_propagate_to_the_root_logger(caplog):
    quiet = MMLogger.get_instance("quiet", stream=io.StringIO())
    loud = MMLogger.get_instance("loud", logger_name="loud", propagate=True, stream=io.StringIO())
    with caplog.at_level(logging.INFO):
        quiet.info("stays inside")
        loud.info("reaches root")
    assert [r.getMessage() for r in caplog.records] == ["reaches root"]
    assert caplog.records[0].name == "loud"


def test_same_name_replaces_and_closes_the_old_handlers(tmp_path):
    first = MMLogger.get_instance("shared", log_file=tmp_path / "1.log", stream=io.StringIO())
    assert MMLogger.get_instance("shared") is first
    second = MMLogger.get_instance("shared", log_file=tmp_path / "2.log", stream=io.StringIO())
    assert second is not first and first.handlers == []
    assert MMLogger.get_current_instance() is second


def test_current_instance_defaults_to_mme():
    logger = MMLogger.get_current_instance()
    assert logger.instance_name == "mme" and logger.name == "mme"


def test_print_log_targets(capsys):
    stream = io.StringIO()
    MMLogger.get_instance("pl", stream=stream)
    print_log("to stdout")
    print_log("dropped", logger="silent")
    print_log("by name", logger="pl")
    print_log("current", logger="current", level=logging.WARNING)
    std = logging.getLogger("mme.tests.plain")
    print_log("plain logger", logger=std)
    assert capsys.readouterr().out == "to stdout\n"
    text = stream.getvalue()
    assert "INFO - by name" in text and "WARNING - current" in text and "dropped" not in text
    with pytest.raises(LoggingValueError, match="no MMLogger instance called 'nope'"):
        print_log("x", logger="nope")
    with pytest.raises(LoggingTypeError, match="int"):
        print_log("x", logger=3)


@pytest.mark.parametrize(("kwargs", "exc", "words"), [
    ({"log_level": "LOUD"}, LoggingValueError, "LOUD"),
    ({"file_mode": "x"}, LoggingValueError, "file_mode"),
    ({"log_file": "f.log", "file_handler_cfg": {"type": "SocketHandler"}}, LoggingValueError, "SocketHandler"),
    ({"log_file": "f.log", "file_handler_cfg": {"bogus": 1}}, LoggingTypeError, "file_handler_cfg"),
])
def test_bad_arguments(tmp_path, monkeypatch, kwargs, exc, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(exc, match=words):
        MMLogger("bad", stream=io.StringIO(), **kwargs)


def test_rank_is_read_from_torchrun_env_before_init(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    stream = io.StringIO()
    logger = MMLogger.get_instance("early", stream=stream)
    logger.info("only on rank 0")
    logger.error("errors show everywhere")
    assert logger.rank == 1
    assert "only on rank 0" not in stream.getvalue() and "errors show everywhere" in stream.getvalue()


def _log_from_every_rank(log_file, distributed, console_all_ranks):
    import io as _io

    from mme.dist import get_rank
    from mme.logging import MMLogger as Logger

    stream = _io.StringIO()
    logger = Logger.get_instance("job", log_file=log_file, distributed=distributed,
                                 console_all_ranks=console_all_ranks, stream=stream)
    logger.info("hello from %d", get_rank())
    logger.error("trouble on %d", get_rank())
    logger.close()
    return stream.getvalue(), logger.log_file


@pytest.mark.parametrize("distributed", [False, True])
def test_rank_filtering_and_per_rank_files(tmp_path, distributed):
    log_file = tmp_path / "work" / "run.log"
    (c0, f0), (c1, f1) = run_distributed(_log_from_every_rank, world_size=2, args=(str(log_file), distributed, False))
    assert "hello from 0" in c0 and "trouble on 0" in c0
    assert "hello from 1" not in c1 and "trouble on 1" in c1  # other ranks show errors only
    assert f0 == str(log_file)
    text0 = log_file.read_text()
    assert "hello from 0" in text0 and "[rank0]" in text0 and "from 1" not in text0
    rank1_file = tmp_path / "work" / "run_rank1.log"
    if distributed:
        assert f1 == str(rank1_file)
        text1 = rank1_file.read_text()
        assert "hello from 1" in text1 and "trouble on 1" in text1 and "[rank1]" in text1
    else:
        assert f1 is None and not rank1_file.exists()
    assert sorted(os.listdir(tmp_path / "work")) == (["run.log", "run_rank1.log"] if distributed else ["run.log"])


def test_console_on_all_ranks_when_asked(tmp_path):
    (c0, _), (c1, _) = run_distributed(_log_from_every_rank, world_size=2, args=(None, False, True))
    assert "[rank0] - INFO - hello from 0" in c0
    assert "[rank1] - INFO - hello from 1" in c1
