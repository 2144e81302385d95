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


def subprocess_env(cpu_only: bool = False, **extra: str) -> dict:
    """The environment of a tool run in a subprocess: this one's, with the
    repository first on ``PYTHONPATH`` (the packages of the machine, e.g.
    wheels unpacked on a GPU machine's ``PYTHONPATH``, stay reachable).

    Args:
        cpu_only (bool): Hide the GPUs (``CUDA_VISIBLE_DEVICES=''``): for
            what holds on CPUs only (gloo processes, bit-exact runs).
        **extra: More variables.
    """
    env = dict(os.environ, **extra)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in [ROOT, os.environ.get('PYTHONPATH', '')] if p)
    if cpu_only:
        env['CUDA_VISIBLE_DEVICES'] = ''
    return env
