"""Load a script of tools/ as a module, for the tests."""
import importlib.util
import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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
