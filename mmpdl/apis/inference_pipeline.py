"""The inference pipeline of a config: one rule for ``inference_model``,
``PanopticInferencer`` and the exported backends it runs (their ``.onnx``
file carries the config, whose pipeline is built here too).

Which pipeline (:func:`test_pipeline_of`):

1. ``test_dataloader.dataset.pipeline``: what ``tools/test.py`` runs, so a
   prediction equals the one the reported numbers were measured on, also
   when a leaf config or ``--cfg-options`` changed it without touching
   ``test_pipeline``;
2. else ``test_pipeline`` (the variable the ``_base_`` dataset configs
   assign to the test dataloader, and what MMSegmentation's
   ``inference_model`` reads);
3. else :data:`DEFAULT_PIPELINE`: the image at its own size, packed (what
   the exported graph computes from a raw image).

The steps that load annotations are dropped (there are none at inference)
and the first image loader becomes
:class:`~mmpdl.datasets.transforms.LoadInferenceImage` with the same
arguments, which takes paths and arrays (see its module for the rule on
arrays).
"""
from typing import List, Tuple

from mmengine.dataset import Compose

from mmpdl.registry import TRANSFORMS

#: Image loaders a test pipeline may use; the first one is replaced.
IMAGE_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray',
                 'InferencerLoader', 'LoadInferenceImage')
#: The pipeline of a config without a test pipeline.
DEFAULT_PIPELINE = (dict(type='LoadImageFromFile'),
                    dict(type='PackPanopticInputs'))


def _type_name(step) -> str:
    """The ``type`` of a pipeline step as a name (it may be a class)."""
    kind = step.get('type', '')
    return kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                      str(kind))


def drop_annotation_loading(pipeline: list) -> list:
    """A test or TTA pipeline (transform configs; lists: TTA stages)
    without its annotation-loading steps and the stages left empty."""
    steps = []
    for step in pipeline:
        if isinstance(step, list):
            step = drop_annotation_loading(step)
        elif 'Annotation' in _type_name(step):
            step = None
        elif 'transforms' in step:
            step = dict(
                step, transforms=drop_annotation_loading(step['transforms']))
        if step:
            steps.append(step)
    return steps


def test_pipeline_of(cfg) -> Tuple[List[dict], str]:
    """The test pipeline of a config, by the rule of this module.

    Args:
        cfg (Config | dict): A full config.

    Returns:
        tuple: The steps (list of dicts, copies) and where they come from:
        ``'test_dataloader.dataset.pipeline'``, ``'test_pipeline'`` or
        ``'default'``.
    """
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    for steps, source in ((dataset.get('pipeline'),
                           'test_dataloader.dataset.pipeline'),
                          (cfg.get('test_pipeline'), 'test_pipeline')):
        if steps:
            return [dict(step) for step in steps], source
    return [dict(step) for step in DEFAULT_PIPELINE], 'default'


def inference_pipeline_cfg(cfg) -> List[dict]:
    """The steps of the inference pipeline of a config (see the module
    docstring): the test pipeline, without annotation loading, its first
    image loader replaced by ``LoadInferenceImage``.

    Args:
        cfg (Config | dict): A full config.

    Returns:
        list[dict]: Transform configs.

    Raises:
        KeyError: The test pipeline has no image loader.
    """
    steps, source = test_pipeline_of(cfg)
    steps = drop_annotation_loading(steps)
    loaders = [
        i for i, s in enumerate(steps) if _type_name(s) in IMAGE_LOADERS
    ]
    if not loaders:
        raise KeyError(
            f'the config\'s {source} has no image loader (one of '
            f'{list(IMAGE_LOADERS)}): {[_type_name(s) for s in steps]}; '
            'start it with dict(type=\'LoadImageFromFile\')')
    steps[loaders[0]]['type'] = 'LoadInferenceImage'
    return steps


def build_inference_pipeline(cfg) -> Compose:
    """:func:`inference_pipeline_cfg` built with mmpdl's transform registry.

    Args:
        cfg (Config | dict): A full config.

    Returns:
        Compose: Takes an image path, an array (see
        :class:`~mmpdl.datasets.transforms.LoadInferenceImage`) or a
        results dict with ``img_path`` or ``img``; returns ``inputs``
        (3, H, W) and ``data_samples`` as ``PackPanopticInputs`` makes them.
    """
    return Compose(
        [TRANSFORMS.build(step) for step in inference_pipeline_cfg(cfg)])
