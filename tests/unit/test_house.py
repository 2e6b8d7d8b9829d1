# acrhealth (MIT licence). The house rules a contributor can rely on, held by tests.
"""No import cycle among our modules (function-local imports included: hiding one in a function
does not make it go away), no function over 50 lines, no product module over 350 lines (the
catalogue's data aside), and every check module's findings in the catalogue."""

import ast
import pathlib

import pytest

from azext_acrhealth import catalogue, checks

PACKAGE = pathlib.Path(checks.__file__).resolve().parents[1]
MODULES = sorted(PACKAGE.rglob('*.py'))
MAX_FUNCTION = 50
MAX_MODULE = 350


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def imports(path):
    """Our modules ``path`` imports, wherever the import statement is."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    known = {module_name(p) for p in MODULES}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            # ``from pkg import sub`` needs the module sub; ``from pkg import name`` the package.
            for alias in node.names:
                found.add(f'{base}.{alias.name}' if f'{base}.{alias.name}' in known else base)
    return {module for module in found if module in known and module != name}


def graph():
    return {module_name(path): imports(path) for path in MODULES}


def cycle(edges):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, trail):
        state[node] = 'open'
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 'open':
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[node] = 'done'
        return None
    for start in sorted(edges):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_among_our_modules():
    assert cycle(graph()) is None, ' -> '.join(cycle(graph()))


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function():
    # The same reading, on a pair of modules importing each other (one inside a function).
    assert cycle({'a': {'b'}, 'b': {'a'}}) == ['a', 'b', 'a']
    source = 'def f():\n    from .b import x\n'
    tree = ast.parse(source)
    assert [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] == ['b']


@pytest.mark.parametrize('path', MODULES, ids=lambda p: module_name(p))
def test_no_function_over_50_lines(path):
    long = [(node.name, node.end_lineno - node.lineno + 1)
            for node in ast.walk(ast.parse(path.read_text(encoding='utf-8')))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION]
    assert long == []


def _data_lines(path):
    """Lines of the catalogue's data (the codes and their variants): not code to read."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    return sum(node.end_lineno - node.lineno + 1 for node in tree.body
               if isinstance(node, ast.Assign) and any(
                   getattr(target, 'id', None) in ('_CODES', 'VARIANTS')
                   for target in node.targets))


@pytest.mark.parametrize('path', MODULES, ids=lambda p: module_name(p))
def test_no_product_module_over_350_lines(path):
    lines = len(path.read_text(encoding='utf-8').splitlines())
    if path.name == 'catalogue.py':
        lines -= _data_lines(path)
    assert lines <= MAX_MODULE


def test_every_area_module_registers_its_findings_with_literal_keys():
    for area in checks.AREAS:
        assert area.FINDINGS, area.__name__
        assert all(catalogue.FINDINGS[key] is found for key, found in area.FINDINGS.items())
        source = pathlib.Path(area.__file__).read_text(encoding='utf-8')
        for key in area.FINDINGS:
            assert f"'{key}'" in source, key  # grep finds every key where it is made
    assert not [node for path in MODULES for node in ast.walk(
        ast.parse(path.read_text(encoding='utf-8')))
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'CheckResult'
        and node.args and isinstance(node.args[0], ast.JoinedStr)], 'an f-string finding key'
