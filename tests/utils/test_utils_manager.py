from __future__ import annotations

import pytest

from mme.utils import ManagerMixin


class Board(ManagerMixin):
    def __init__(self, name: str = "", size: int = 1) -> None:
        super().__init__(name)
        self.size = size


class Other(ManagerMixin):
    def __init__(self, name: str = "") -> None:
        super().__init__(name)


def test_get_instance_creates_then_returns_the_same_object():
    first = Board.get_instance("a", size=2)
    assert Board.get_instance("a") is first
    assert first.instance_name == "a"
    assert Board.check_instance_created("a")
    assert not Board.check_instance_created("b")


def test_current_instance_is_the_most_recent():
    a = Board.get_instance("a")
    b = Board.get_instance("b")
    assert Board.get_current_instance() is b
    assert Board.get_instance("a") is a
    assert Board.get_current_instance() is a


def test_second_instance_with_same_name_replaces_the_first():
    old = Board(name="run", size=1)
    new = Board(name="run", size=5)
    assert Board.get_instance("run") is new
    assert Board.get_current_instance() is new
    assert old is not new
    assert Board.get_instance("run", size=7).size == 7


def test_classes_keep_separate_tables_and_reset_drops_all():
    Board.get_instance("x")
    Other.get_instance("x")
    Other.reset()
    assert Board.check_instance_created("x")
    assert not Other.check_instance_created("x")
    ManagerMixin.reset()
    assert not Board.check_instance_created("x")


def test_a_base_class_sees_its_subclasses_instances_as_in_mmengine():
    """mmpretrain's hooks call ``Visualizer.get_current_instance()`` for the runner's UniversalVisualizer."""

    class Small(Board):
        pass

    class Sibling(Board):
        pass

    small = Small.get_instance("s")
    assert Board.get_current_instance() is small and Board.check_instance_created("s")
    assert Board.get_instance("s") is small
    assert not Sibling.check_instance_created("s")
    board = Board.get_instance("b")
    assert Board.get_current_instance() is board and Small.get_current_instance() is small
    assert not Small.check_instance_created("b")
    with pytest.raises(RuntimeError):
        ManagerMixin.get_current_instance()


def test_current_instance_without_any_raises_with_class_name():
    with pytest.raises(RuntimeError, match="no Board instance"):
        Board.get_current_instance()


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_names_are_rejected(name):
    with pytest.raises(ValueError, match="non-empty string name"):
        Board.get_instance(name)


def test_class_without_name_argument_is_rejected():
    with pytest.raises(TypeError, match="must accept a `name` argument"):

        class NoName(ManagerMixin):
            def __init__(self, size: int = 1) -> None:
                pass
