"""Mutants: the mutation operators, the mutants of a file, and the import hook that loads one."""

from __future__ import annotations

import ast
import copy
import importlib.abc
import importlib.machinery
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import ROOT


@dataclass
class Mutant:
    """One change to one node of one file."""

    path: str  # relative to the repository
    module: str
    index: int  # the node's position in preorder(tree)
    kind: str
    arg: Any
    line: int
    end_line: int
    qualname: str
    in_function: bool  # runs when a function is called, not at import
    before: str
    after: str
    key: str = ""
    status: str = "pending"  # killed, timeout, survived, nocov, equivalent, error
    seconds: float = 0.0
    tests_run: int = 0

    def spec(self, snapshot: str) -> dict:
        return {"module": self.module, "origin": str(ROOT / self.path), "snapshot": snapshot, "index": self.index,
                "kind": self.kind, "arg": self.arg}


_SWAP_BINOP = {"Add": "Sub", "Sub": "Add", "Mult": "Div", "Div": "Mult", "FloorDiv": "Div", "Mod": "Div",
               "Pow": "Mult", "LShift": "RShift", "RShift": "LShift", "BitOr": "BitAnd", "BitAnd": "BitOr",
               "BitXor": "BitAnd"}
_SWAP_CMPOP = {"Eq": "NotEq", "NotEq": "Eq", "Lt": "LtE", "LtE": "Lt", "Gt": "GtE", "GtE": "Gt", "Is": "IsNot",
               "IsNot": "Is", "In": "NotIn", "NotIn": "In"}
_LOG_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
_REMOVABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Delete)


def preorder(tree: ast.AST) -> list[ast.AST]:
    nodes: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return nodes


def parents_of(nodes: list[ast.AST]) -> dict[int, tuple[ast.AST, str, int | None]]:
    parents: dict[int, tuple[ast.AST, str, int | None]] = {}
    for node in nodes:
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        parents[id(item)] = (node, name, i)
            elif isinstance(value, ast.AST):
                parents[id(value)] = (node, name, None)
    return parents


def _is_docstring(node: ast.AST, parents: dict) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
        return False
    parent, name, pos = parents.get(id(node), (None, "", None))
    return pos == 0 and name == "body" and isinstance(parent, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                                ast.AsyncFunctionDef))


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Context:
    """What the ancestors of a node say about it: where it runs and whether it may change."""

    def __init__(self, tree: ast.Module, lines: list[str]):
        self.nodes = preorder(tree)
        self.parents = parents_of(self.nodes)
        self.lines = lines

    def ancestry(self, node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
        """(ancestor, field through which it holds the path to node), nearest first."""
        current = node
        while id(current) in self.parents:
            parent, name, _ = self.parents[id(current)]
            yield parent, name
            current = parent

    def frozen(self, node: ast.AST) -> bool:
        """Never mutated: annotations, docstrings (and ``__doc__ =``), imports, ``__all__``, decorators,
        ``TYPE_CHECKING`` blocks and lines marked ``# pragma: no mutate``."""
        line = getattr(node, "lineno", None)
        if line is not None and "pragma: no mutate" in self.lines[line - 1]:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_docstring(node, self.parents):
            return True
        chain = [(node, "")] + list(self.ancestry(node))
        for ancestor, name in chain:
            if name in ("annotation", "returns", "decorator_list"):
                return True
            if isinstance(ancestor, (ast.Import, ast.ImportFrom)) or _is_docstring(ancestor, self.parents):
                return True
            if isinstance(ancestor, ast.If) and name == "body" and _is_type_checking(ancestor.test):
                return True
            if isinstance(ancestor, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = ancestor.targets if isinstance(ancestor, ast.Assign) else [ancestor.target]
                if any(isinstance(t, ast.Name) and t.id in ("__all__", "__slots__", "__doc__") for t in targets):
                    return True
        return False

    def message(self, node: ast.AST) -> bool:
        """A string that is (part of) an error or log message, or of an f-string."""
        for ancestor, name in self.ancestry(node):
            if isinstance(ancestor, (ast.JoinedStr, ast.Raise)):
                return True
            if isinstance(ancestor, ast.Call) and name == "args":
                func = ancestor.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in _LOG_CALLS:
                    return True
        return False

    def in_function(self, node: ast.AST) -> bool:
        for ancestor, name in self.ancestry(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if name == "body":
                    return True
        return False

    def qualname(self, node: ast.AST) -> str:
        names = [a.name for a, _ in self.ancestry(node) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                           ast.ClassDef))]
        return ".".join(reversed(names)) or "<module>"


def _mutations(node: ast.AST, ctx: _Context) -> Iterator[tuple[str, Any, ast.AST]]:
    """(kind, argument, node whose lines are executed) for each mutation that fits ``node``."""
    if isinstance(node, ast.BinOp) and type(node.op).__name__ in _SWAP_BINOP:
        yield "binop", _SWAP_BINOP[type(node.op).__name__], node
    elif isinstance(node, ast.AugAssign) and type(node.op).__name__ in _SWAP_BINOP:
        yield "augop", _SWAP_BINOP[type(node.op).__name__], node
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op).__name__ in _SWAP_CMPOP:
                yield "cmpop", [i, _SWAP_CMPOP[type(op).__name__]], node
    elif isinstance(node, ast.BoolOp):
        yield "boolop", "Or" if isinstance(node.op, ast.And) else "And", node
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield "unary_drop", None, node
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "const", not value, node
        elif isinstance(value, (int, float)):
            yield "const", value + 1, node
        elif isinstance(value, str) and not ctx.message(node):
            yield "const", f"XX{value}XX", node
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return_none", None, node
    elif isinstance(node, (ast.Break, ast.Continue)):
        yield "break_continue", None, node
    if isinstance(node, _REMOVABLE) and not isinstance(ctx.parents[id(node)][0], ast.Module):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            if not (isinstance(node, ast.AnnAssign) and node.value is None):
                yield "stmt_pass", None, node
    if isinstance(node, (ast.If, ast.While, ast.IfExp)) and not _is_type_checking(node.test):
        if not _negation_is_another_mutant(node.test):
            yield "negate", None, node.test
        if isinstance(node, ast.If) and not node.orelse:
            yield "cond_true", None, node.test
    if isinstance(node, ast.For):
        yield "zero_iter", None, node.iter


def _negation_is_another_mutant(test: ast.AST) -> bool:
    """``not (a == b)`` is the cmpop mutant ``a != b``; ``not (not a)`` the unary_drop one ``a``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(
        test.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn))


def apply_mutation(nodes: list[ast.AST], parents: dict, index: int, kind: str, arg: Any) -> None:
    """Apply one mutation, in place, to the node at ``index`` of ``nodes``."""
    node = nodes[index]

    def replace(new: ast.AST) -> None:
        parent, name, pos = parents[id(node)]
        ast.copy_location(new, node)
        if pos is None:
            setattr(parent, name, new)
        else:
            getattr(parent, name)[pos] = new

    if kind == "none":  # the unchanged file (to run the tests against an older version of it)
        return
    if kind in ("binop", "augop", "boolop"):
        node.op = getattr(ast, arg)()  # type: ignore[attr-defined]
    elif kind == "cmpop":
        node.ops[arg[0]] = getattr(ast, arg[1])()  # type: ignore[attr-defined]
    elif kind == "unary_drop":
        replace(node.operand)  # type: ignore[attr-defined]
    elif kind == "const":
        node.value = arg  # type: ignore[attr-defined]
    elif kind == "return_none":
        node.value = None  # type: ignore[attr-defined]
    elif kind == "break_continue":
        replace(ast.Continue() if isinstance(node, ast.Break) else ast.Break())
    elif kind == "stmt_pass":
        replace(ast.Pass())
    elif kind == "negate":
        node.test = ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=node.test), node.test)  # type: ignore
    elif kind == "cond_true":
        node.test = ast.copy_location(ast.Constant(True), node.test)  # type: ignore[attr-defined]
    elif kind == "zero_iter":
        node.iter = ast.copy_location(ast.Tuple(elts=[], ctx=ast.Load()), node.iter)  # type: ignore
    else:
        raise ValueError(f"unknown mutation {kind!r}")


def _shown(node: ast.AST, kind: str) -> ast.AST:
    """The node whose source shows the change."""
    return node.test if kind in ("negate", "cond_true") else node.iter if kind == "zero_iter" else node  # type: ignore


def _unparse(node: ast.AST) -> str:
    if isinstance(node, ast.stmt) and not isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign,
                                                             ast.Raise, ast.Delete, ast.Return, ast.Pass, ast.Break,
                                                             ast.Continue)):
        return ast.unparse(node).splitlines()[0]
    return ast.unparse(node)


def _describe(node: ast.AST, kind: str, arg: Any) -> tuple[str, str]:
    """The source of the changed part before and after the mutation."""
    if kind == "const" and isinstance(arg, str):
        return _short(repr(node.value)), _short(repr(arg))  # type: ignore[attr-defined]
    if kind == "unary_drop":
        after: ast.AST = node.operand  # type: ignore[attr-defined]
    elif kind == "break_continue":
        after = ast.Continue() if isinstance(node, ast.Break) else ast.Break()
    elif kind == "stmt_pass":
        after = ast.Pass()
    else:
        copied = copy.deepcopy(node)
        apply_mutation([copied], {}, 0, kind, arg)
        after = _shown(copied, kind)
    return _short(_unparse(_shown(node, kind))), _short(_unparse(after))


def module_name(path: str) -> str:
    parts = Path(path).with_suffix("").parts
    name = ".".join(parts[parts.index("src") + 1:])
    return name.removesuffix(".__init__")


def enumerate_mutants(path: str, source: str) -> list[Mutant]:
    """Every mutant of one file, in a stable order, with its stable key."""
    tree = ast.parse(source)
    ctx = _Context(tree, source.splitlines())
    mutants: list[Mutant] = []
    seen: dict[str, int] = defaultdict(int)
    for index, node in enumerate(ctx.nodes):
        if ctx.frozen(node):
            continue
        for kind, arg, executed in _mutations(node, ctx):
            before, after = _describe(node, kind, arg)
            qualname = ctx.qualname(node)
            base = f"{path}::{qualname}::{kind}::{before} -> {after}"
            seen[base] += 1
            key = base if seen[base] == 1 else f"{base}#{seen[base]}"
            mutants.append(Mutant(path=path, module=module_name(path), index=index, kind=kind, arg=arg,
                                  line=executed.lineno, end_line=executed.end_lineno or executed.lineno,
                                  qualname=qualname, in_function=ctx.in_function(node), before=before, after=after,
                                  key=key))
    return mutants


def mutated_code(spec: dict) -> Any:
    """Compile the mutant described by ``spec`` (see Mutant.spec)."""
    source = Path(spec["snapshot"]).read_text()
    tree = ast.parse(source)
    nodes = preorder(tree)
    apply_mutation(nodes, parents_of(nodes), spec["index"], spec["kind"], spec["arg"])
    ast.fix_missing_locations(tree)
    return compile(tree, spec["origin"], "exec", dont_inherit=True)


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, code: Any):
        super().__init__(fullname, path)
        self._code = code

    def get_code(self, fullname: str) -> Any:  # never reads or writes a .pyc
        return self._code


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, spec: dict):
        self.spec = spec

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.spec["module"]:
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None or found.origin != self.spec["origin"]:
            return None
        found.loader = _MutantLoader(fullname, found.origin, mutated_code(self.spec))
        found.cached = None
        return found


def install_mutant(spec: dict) -> None:
    sys.meta_path.insert(0, _MutantFinder(spec))


