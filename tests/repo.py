"""The repository as the tests see it: its root, the quickstart config, a
checkout of the original implementation, and the one way to load a script
of ``tools/`` (its sibling modules are importable through setup.cfg's
pytest ``pythonpath``, as when it runs as a script)."""
import importlib.util
import os
import os.path as osp
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The quickstart config (ResNet-18 os32 on the built-in 256x512 scenes).
QUICKSTART = osp.join(
    ROOT, 'configs', 'panoptic_deeplab',
    'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-cityscapes-256x512.py')
#: A checkout of the original implementation, when the machine has one.
ORIGINAL = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')
HAS_ORIGINAL = osp.isdir(osp.join(ORIGINAL, 'segmentation'))


def load_script(path: str, name: Optional[str] = None):
    """The script at ``path`` (relative to the repository root) as a fresh
    module called ``name`` (default: the file's stem)."""
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
