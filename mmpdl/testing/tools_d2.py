"""The original's ``tools_d2`` models as a reference: an adapter.

The original implementation (github.com/bowenc0221/panoptic-deeplab) trains
Panoptic-DeepLab in detectron2 with its own Xception-65 and HRNet-W48
(``tools_d2/d2/backbone.py`` registers them as detectron2 backbones
``d2_xception_65`` and ``d2_hrnet``; ``tools_d2/configs`` holds their YAML
files). This module imports that code from a checkout of the original and
detectron2 from a checkout of detectron2, both given on the command line
and never copied into this repository, and builds the model of a
``tools_d2`` YAML with detectron2's ``PanopticDeepLab`` (random init) for
``verify_against_detectron2.py`` and the tests.
"""
import importlib.util
import os.path as osp
import sys
from typing import Sequence

from mmpdl.testing.detectron2 import add_detectron2_package, detectron2_config
from mmpdl.testing.original import add_original_package

TOOLS_D2 = 'tools_d2'
_BACKBONE_FILE = osp.join(TOOLS_D2, 'd2', 'backbone.py')
_MODULE_NAME = 'mmpdl_reference_tools_d2_backbone'


def register_tools_d2_backbones(detectron2_repo: str,
                                original_repo: str) -> None:
    """Register ``d2_xception_65`` and ``d2_hrnet`` in detectron2's
    ``BACKBONE_REGISTRY`` (once per process).

    The original's ``segmentation`` package is made importable first
    (:func:`mmpdl.testing.original.add_original_package`, which also
    provides the ``torchvision.models.utils`` module its backbones import).

    Raises:
        FileNotFoundError: ``original_repo`` has no ``tools_d2/d2/
            backbone.py`` or a checkout is incomplete.
    """
    path = osp.join(original_repo, _BACKBONE_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'--original-repo {original_repo!r} has no {_BACKBONE_FILE}: '
            'pass the root of a checkout of bowenc0221/panoptic-deeplab.')
    add_detectron2_package(detectron2_repo)
    add_original_package(original_repo)
    if _MODULE_NAME in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[_MODULE_NAME] = module


def tools_d2_config(detectron2_repo: str,
                    original_repo: str,
                    yaml_path: str,
                    opts: Sequence = ()):
    """detectron2's config of a ``tools_d2`` YAML, for CPU (SyncBN as BN,
    no weights; see :func:`mmpdl.testing.detectron2.detectron2_config`).

    Args:
        detectron2_repo (str): Root of the detectron2 checkout.
        original_repo (str): Root of the original's checkout.
        yaml_path (str): Relative to ``tools_d2/configs`` of the original,
            e.g. ``'COCO-PanopticSegmentation/panoptic_deeplab_H_48_...'``.
        opts (Sequence): ``KEY, VALUE, ...`` options merged after the YAML.
    """
    register_tools_d2_backbones(detectron2_repo, original_repo)
    return detectron2_config(
        detectron2_repo,
        yaml_path,
        opts,
        config_root=osp.join(original_repo, TOOLS_D2, 'configs'))
