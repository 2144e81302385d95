"""Load a script of tools/analysis_tools/ as a module, for the tests."""
import importlib.util
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'analysis_tools')
#: A checkout of the original implementation, when the machine has one.
ORIGINAL = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')
HAS_ORIGINAL = osp.isdir(osp.join(ORIGINAL, 'segmentation'))


def load_tool(name: str):
    """``tools/analysis_tools/<name>.py`` as a fresh module."""
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
