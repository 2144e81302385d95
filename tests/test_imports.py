"""mmpdl's modules import each other without a cycle.

Graph: each module of the ``mmpdl`` package -> each ``mmpdl`` module named
by one of its ``import`` statements (read from the AST) at any depth: an
import inside a function only delays a dependency, it counts (that is how
``deployment -> apis -> deployment`` hid). ``from package import name``
names ``package.name`` when that is a module, else ``package``. Parent
packages are not implied (every module would depend on the ``__init__``
that re-exports it).
"""
import ast
import os.path as osp
import pkgutil
import subprocess
import sys

import mmpdl
from repo import ROOT


def package_modules(name: str, path: str) -> dict:
    """Module name -> file of package ``name`` at ``path``, subpackages
    included (``pkgutil.iter_modules``: nothing is imported)."""
    modules = {name: osp.join(path, '__init__.py')}
    for info in pkgutil.iter_modules([path]):
        child = osp.join(path, info.name)
        if info.ispkg:
            modules.update(package_modules(f'{name}.{info.name}', child))
        else:
            modules[f'{name}.{info.name}'] = child + '.py'
    return modules


def import_graph(package: str, path: str) -> dict:
    """Module -> the set of the package's modules its imports name."""
    modules, graph = package_modules(package, path), {}
    for name, file in modules.items():
        named = []
        for node in ast.walk(ast.parse(open(file).read())):
            if isinstance(node, ast.Import):
                named += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                parts = name.split('.')  # relative: up from this package
                base = parts[:len(parts) - node.level +
                             file.endswith('__init__.py')] * bool(node.level)
                base += [node.module] if node.module else []
                named += ['.'.join(base + [a.name]) for a in node.names]
        graph[name] = set()
        for target in named:
            while target and target not in modules:  # an attribute
                target = target.rpartition('.')[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def find_cycle(graph: dict):
    """A cycle ``[a, b, ..., a]`` of ``graph`` (node -> successors), or
    None (depth-first search)."""
    state = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return path[path.index(child):] + [node, child]
            cycle = None if child in state else visit(child, path + [node])
            if cycle:
                return cycle
        state[node] = 2

    for node in sorted(graph):
        cycle = None if node in state else visit(node, [])
        if cycle:
            return cycle
    return None


def test_mmpdl_has_no_import_cycle_and_deployment_no_apis():
    graph = import_graph('mmpdl', mmpdl.__path__[0])
    assert 'mmpdl.deployment' in graph['mmpdl.apis.panoptic_inferencer']
    cycle = find_cycle(graph)
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)
    assert not [(a, b) for a, targets in graph.items() for b in targets
                if a.startswith('mmpdl.deployment') and 'apis' in b]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / 'pkg'
    (package / 'sub').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    (package / 'a.py').write_text('from .sub import b\n')
    (package / 'sub' / '__init__.py').write_text('from .b import run\n')
    (package / 'sub' /
     'b.py').write_text('import os\n\n\ndef run():\n    from pkg.a import x\n')
    graph = import_graph('pkg', str(package))
    assert graph == {
        'pkg': set(),
        'pkg.a': {'pkg.sub.b'},
        'pkg.sub': {'pkg.sub.b'},
        'pkg.sub.b': {'pkg.a'}
    }
    assert find_cycle(graph) == ['pkg.a', 'pkg.sub.b', 'pkg.a']
    (package / 'sub' / 'b.py').write_text('import pkg\n')
    assert find_cycle(import_graph('pkg', str(package))) is None


def test_the_inferencer_registry_imports_apis_when_asked():
    """``register_all_modules`` leaves ``mmpdl.apis`` out (apis calls it);
    ``INFERENCERS`` imports it when asked."""
    code = ('import sys\n'
            'from mmpdl.registry import INFERENCERS\n'
            'from mmpdl.utils import register_all_modules\n'
            'register_all_modules()\n'
            "assert 'mmpdl.apis' not in sys.modules\n"
            "print(INFERENCERS.get('PanopticInferencer').__module__)\n")
    result = subprocess.run([sys.executable, '-c', code],
                            cwd=ROOT,
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['mmpdl.apis.panoptic_inferencer']
