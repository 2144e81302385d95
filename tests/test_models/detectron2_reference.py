"""detectron2's Panoptic-DeepLab from its source, as a test oracle.

detectron2's Python code imports without its compiled ops. Its source tree
comes from ``$DETECTRON2_REPO`` (default ``/work/ref/detectron2``) and
panopticapi's from ``$PANOPTICAPI_REPO`` (default ``/work/ref/panopticapi``);
fvcore, iopath and omegaconf must be installed. Tests that need it are
skipped when it is missing.
"""
import os
import os.path as osp
import sys

import pytest


def import_panoptic_deeplab():
    """detectron2's ``panoptic_deeplab`` project package, or skip the test.

    Returns:
        module: ``panoptic_deeplab`` (its ``panoptic_seg`` submodule holds
        ``PanopticDeepLabSemSegHead`` and ``PanopticDeepLabInsEmbedHead``).
    """
    repo = os.environ.get('DETECTRON2_REPO', '/work/ref/detectron2')
    api = os.environ.get('PANOPTICAPI_REPO', '/work/ref/panopticapi')
    project = osp.join(repo, 'projects', 'Panoptic-DeepLab')
    if not osp.isdir(project):
        pytest.skip(f'detectron2 source not found at {repo} '
                    '(set DETECTRON2_REPO)')
    for path in (api, project, repo):
        if osp.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
    try:
        import panoptic_deeplab
        import panoptic_deeplab.panoptic_seg  # noqa: F401
    except ImportError as error:
        pytest.skip(f'detectron2 from {repo} does not import: {error}')
    return panoptic_deeplab
