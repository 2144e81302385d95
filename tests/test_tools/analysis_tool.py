"""Load a script of tools/ as a module, for the tests."""
import importlib.util
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
#: A checkout of the original implementation, when the machine has one.
ORIGINAL = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')
HAS_ORIGINAL = osp.isdir(osp.join(ORIGINAL, 'segmentation'))


def load_script(path: str, name: str):
    """The script at ``path`` (relative to the repository root) as a fresh
    module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tool(name: str):
    """``tools/analysis_tools/<name>.py`` as a fresh module (the folder goes
    on ``sys.path`` for the benchmark scripts' imports of each other)."""
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    return load_script(osp.join('tools', 'analysis_tools', name + '.py'), name)
