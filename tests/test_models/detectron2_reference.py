"""detectron2's Panoptic-DeepLab from its source, as a test oracle.

The checkout is ``$MMPDL_DETECTRON2_REPO`` (as for the converter's tests),
else ``/work/ref/detectron2`` where this project keeps one; fvcore, iopath
and omegaconf must be installed. Tests that need it are skipped without it.
"""
import os

import pytest

REPO = os.environ.get('MMPDL_DETECTRON2_REPO', '/work/ref/detectron2')


def import_panoptic_deeplab():
    """detectron2's ``panoptic_deeplab`` project package, or skip the test.

    Returns:
        module: ``panoptic_deeplab`` (its ``panoptic_seg`` submodule holds
        ``PanopticDeepLabSemSegHead`` and ``PanopticDeepLabInsEmbedHead``).
    """
    from mmpdl.testing.detectron2 import add_detectron2_package
    try:
        add_detectron2_package(REPO)
        import panoptic_deeplab
        import panoptic_deeplab.panoptic_seg  # noqa: F401
    except (FileNotFoundError, ImportError) as error:
        pytest.skip(f'no detectron2 checkout at {REPO} '
                    f'(MMPDL_DETECTRON2_REPO): {error}')
    return panoptic_deeplab


#: a checkout of the original implementation, for its tools_d2 models
ORIGINAL_REPO = os.environ.get('PDL_ORIGINAL_REPO', '/tmp/pdl_orig')


def tools_d2_config(yaml_path):
    """detectron2's config of an original ``tools_d2`` YAML (relative to
    its ``tools_d2/configs``; SyncBN as BN, CPU), or skip the test without
    the detectron2 and original checkouts."""
    import_panoptic_deeplab()
    from mmpdl.testing.tools_d2 import tools_d2_config as build_config
    try:
        return build_config(REPO, ORIGINAL_REPO, yaml_path)
    except (FileNotFoundError, ImportError) as error:
        pytest.skip(f'no checkout of the original at {ORIGINAL_REPO} '
                    f'(PDL_ORIGINAL_REPO): {error}')
