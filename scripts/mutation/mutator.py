"""The mutants of a core file: every single-point change of its AST, each with a stable key."""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mutation import ROOT

BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
          ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr, ast.BitXor: ast.BitOr, ast.MatMult: ast.Mult}
CMPOPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
          ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
NAMES = {"any": "all", "all": "any", "min": "max", "max": "min"}


@dataclass
class Mutant:
    file: str        # key in FILES
    line: int
    where: str       # the enclosing function or class, "Class.method"
    before: str      # the changed expression or statement, before ...
    after: str       # ... and after
    change: tuple    # (node number in _index order, kind, argument): how to make it again

    @property
    def key(self) -> str:  # no line number: stable when code above moves
        return f"{Path(self.file).name} | {self.where} | {self.before} -> {self.after}"

    @property
    def source(self) -> str:
        """The whole mutated module."""
        tree = ast.parse((ROOT / self.file).read_text())
        nodes, parents, _ = _index(tree)
        k, kind, arg = self.change
        _apply(kind, arg, nodes[k], parents[id(nodes[k])])
        return ast.unparse(tree)


def _skipped(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, imports, f-strings, raise messages."""
    skip: set[int] = set()

    def add(node):
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            add(body[0])
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            add(node)
        elif isinstance(node, ast.Raise):
            add(node.exc), add(node.cause)
        elif isinstance(node, ast.arg):
            add(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node.returns)
        elif isinstance(node, ast.AnnAssign):
            add(node.annotation)
        elif isinstance(node, ast.Assert):
            add(node.msg)
    return skip


def _candidates(node: ast.AST, parent: ast.AST | None):
    """(kind, argument) of every single-point change of `node`."""
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BINOPS:
        if not (isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            yield "op", None
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        yield "unwrap", None
    elif isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in CMPOPS:
                yield "cmp", k
    elif isinstance(node, ast.BoolOp):
        yield "boolop", None
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(None), type(...))):
        if not isinstance(node.value, complex):
            yield "const", None
    elif isinstance(node, ast.Call):
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(positional) == len(node.args):
            for k in range(len(node.args) - 1):
                yield "swap", k
        for k, kw in enumerate(node.keywords):
            if kw.arg is not None:
                yield "dropkw", k
        if isinstance(node.func, ast.Name) and node.func.id in NAMES:
            yield "name", None
        if isinstance(node.func, ast.Name) and node.func.id == "sorted" and len(node.args) == 1:
            yield "unsort", None
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)) \
            and not isinstance(node.test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Constant)):
        yield "negate", None
    if isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return_none", None
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        for k in range(len(node.decorator_list)):
            yield "undecorate", k
    droppable = (ast.Raise, ast.AugAssign, ast.Delete, ast.Assert)
    if isinstance(node, droppable) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)) or (
            isinstance(node, ast.Assign) and all(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets)):
        yield "drop", None


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for k, v in enumerate(value):
                if v is old:
                    value[k] = new
                    return
    raise LookupError("node not found in its parent")


def _apply(kind: str, arg, node: ast.AST, parent: ast.AST) -> None:
    if kind == "op":
        node.op = BINOPS[type(node.op)]()
    elif kind == "unwrap":
        _replace(parent, node, node.operand)
    elif kind == "cmp":
        node.ops[arg] = CMPOPS[type(node.ops[arg])]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "const":
        v = node.value
        node.value = (not v) if isinstance(v, bool) else v + 1 if isinstance(v, (int, float)) else f"XX{v}XX"
    elif kind == "swap":
        node.args[arg], node.args[arg + 1] = node.args[arg + 1], node.args[arg]
    elif kind == "dropkw":
        del node.keywords[arg]
    elif kind == "unsort":
        _replace(parent, node, node.args[0])
    elif kind == "name":
        node.func.id = NAMES[node.func.id]
    elif kind == "negate":
        node.test = ast.UnaryOp(ast.Not(), node.test)
    elif kind == "return_none":
        node.value = ast.Constant(None)
    elif kind == "undecorate":
        del node.decorator_list[arg]
    elif kind == "drop":
        _replace(parent, node, ast.Pass())


def _index(tree: ast.AST):
    nodes, parents, where = [], {}, {}

    def visit(node, parent, scope):
        nodes.append(node)
        parents[id(node)] = parent
        where[id(node)] = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = f"{scope}.{node.name}" if scope != "<module>" else node.name
        for child in ast.iter_child_nodes(node):
            visit(child, node, scope)

    visit(tree, None, "<module>")
    return nodes, parents, where


def _text(node: ast.AST) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):  # its decorators and name
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        return " ".join([f"@{ast.unparse(d)}" for d in node.decorator_list] + [f"{keyword} {node.name}"])
    return " ".join(ast.unparse(node).split())


def _clip(before: str, after: str, limit: int = 110) -> tuple[str, str]:
    """Both texts cut to about `limit` characters around where they first differ."""
    if max(len(before), len(after)) <= limit:
        return before, after
    start = next((k for k, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    start = max(0, start - limit // 2)

    def cut(text):
        piece = text[start:start + limit]
        return ("…" if start else "") + piece + ("…" if start + limit < len(text) else "")
    return cut(before), cut(after)


def _fields(node: ast.AST) -> dict:
    return {f: list(v) if isinstance(v, list) else v for f, v in ast.iter_fields(node)}


def mutants_of(file: str) -> list[Mutant]:
    """Every single-point mutant of FILES' `file`, in source order."""
    tree = ast.parse((ROOT / file).read_text())
    skip = _skipped(tree)
    nodes, parents, where = _index(tree)
    out: list[Mutant] = []
    for k, target in enumerate(nodes):
        if id(target) in skip:
            continue
        parent = parents[id(target)]
        for kind, arg in list(_candidates(target, parent)):
            if kind in ("drop", "undecorate", "return_none"):
                context = target
            elif kind == "negate":
                context = target.test
            else:  # the smallest enclosing expression that reads as a line of its own
                context = parent if kind in ("unwrap", "unsort") and isinstance(parent, ast.expr) else target
                while len(_text(context)) < 24 and isinstance(parents[id(context)], ast.expr):
                    context = parents[id(context)]
            before = _text(context)
            touched = (target, parent, context, target.func if kind == "name" else None)
            saved = [(n, _fields(n)) for n in touched if n is not None]
            _apply(kind, arg, target, parent)  # in place, undone below
            after = ("pass" if kind == "drop" else _text(target.test) if kind == "negate"
                     else _text(target.operand) if context is target and kind == "unwrap"
                     else _text(target.args[0]) if context is target and kind == "unsort" else _text(context))
            for n, fields in saved:
                for f, v in fields.items():
                    setattr(n, f, v)
            if after != before:
                out.append(Mutant(file, getattr(target, "lineno", 0), where[id(target)], *_clip(before, after),
                                  (k, kind, arg)))
    seen = Counter()
    for m in out:  # the same change twice in one function: number them
        seen[m.key] += 1
        if seen[m.key] > 1:
            m.after += f" #{seen[m.key]}"
    return out


