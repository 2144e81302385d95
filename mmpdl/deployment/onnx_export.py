"""Export a Panoptic-DeepLab checkpoint to ONNX (one graph from the raw
image to the network outputs or to the panoptic map).

The graph is recorded by the TorchScript tracer (``torch.onnx.export(...,
dynamo=False)``). The dynamo exporter refuses the data-dependent sizes of
the post-processing (the number of kept centers); the tracer records the
operations themselves (``TopK``, ``Range`` over a reduced count,
``ScatterElements`` with ``reduction='add'``), which onnxruntime and
TensorRT run for any number of centers.
"""
import json
import warnings
from typing import Optional, Sequence, Tuple

import torch

from mmpdl.structures import PanopticMetaInfo
from mmpdl.utils.config import config_from_json, config_to_json
from .export_module import PanopticExportModule

#: ``ScatterElements(reduction='add')`` needs opset 16; the TorchScript
#: exporter writes opsets up to 20.
MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 16, 20, 17
#: Keys of the ONNX file's metadata (``metadata_props``), all JSON text:
#: a received file is read as data, never run.
META_KEYS = ('mmpdl_config_json', 'dataset_meta', 'post_processing',
             'with_postprocess', 'input_shape')
#: The key under which files of older mmpdl versions hold the config as
#: Python text; such files are refused, never executed.
LEGACY_CONFIG_KEY = 'mmpdl_config'


def check_opset(opset: int) -> None:
    """Raise a one-line error for an opset the export cannot write."""
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(
            f'unsupported opset {opset}: the export needs an opset in '
            f'[{MIN_OPSET}, {MAX_OPSET}] (ScatterElements with reduction '
            f"needs 16; torch's TorchScript exporter writes up to "
            f'{MAX_OPSET}); pass e.g. --opset {DEFAULT_OPSET}')


def export_onnx(module: PanopticExportModule,
                out_file: str,
                shape: Sequence[int] = (1025, 2049),
                dynamic: bool = False,
                opset: int = DEFAULT_OPSET) -> str:
    """Trace ``module`` into ``out_file`` with its metadata.

    Args:
        module (PanopticExportModule): What to export.
        out_file (str): ``.onnx`` path to write.
        shape (Sequence[int]): (H, W) of the traced image; the only size
            the file accepts unless ``dynamic``.
        dynamic (bool): Any image height and width.
        opset (int): ONNX opset, in [``MIN_OPSET``, ``MAX_OPSET``].

    Returns:
        str: ``out_file``.
    """
    import onnx
    check_opset(opset)
    height, width = (int(s) for s in shape)
    image = torch.randint(0, 256, (height, width, 3), dtype=torch.uint8)
    names = list(module.output_names)
    axes = None
    if dynamic:
        # output sizes follow from the graph's shape inference
        axes = {'image': {0: 'height', 1: 'width'}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        warnings.filterwarnings('ignore', category=UserWarning)
        torch.onnx.export(
            module.eval(), (image, ),
            out_file,
            dynamo=False,
            input_names=['image'],
            output_names=names,
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True)
    model_proto = onnx.load(out_file)
    meta = export_metadata(module, None if dynamic else (height, width))
    for key, value in meta.items():
        entry = model_proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model_proto, out_file)
    return out_file


def export_metadata(module: PanopticExportModule,
                    shape: Optional[Tuple[int, int]]) -> dict:
    """What a backend needs besides the graph, as JSON strings: the
    config, ``dataset_meta``, the post-processor's settings (thresholds;
    the dataset's encoding is in ``dataset_meta``), whether they are in
    the graph, and the static (H, W) or ``'dynamic'``."""
    model = module.model
    meta = PanopticMetaInfo.of(model.dataset_meta, 'the ONNX export')
    meta.check_num_classes(model.num_classes, 'the network')
    return dict(
        mmpdl_config_json=config_to_json(model.cfg),
        dataset_meta=json.dumps(meta.to_dict()),
        post_processing=json.dumps(model.post_processor.settings),
        with_postprocess=json.dumps(module.with_postprocess),
        input_shape=json.dumps(list(shape) if shape else 'dynamic'))


def read_metadata(onnx_file: str) -> dict:
    """The metadata written by :func:`export_onnx`, decoded: ``config``
    (Config), ``dataset_meta``, ``post_processing`` (dicts),
    ``with_postprocess`` (bool), ``input_shape`` ([H, W] or None).

    Every value is parsed as JSON: nothing in a received file runs. A file
    of an older mmpdl, whose config is Python text, is refused.

    Raises:
        ValueError: metadata missing, not JSON, or in the old format; the
            message names the file and says to export it again.
    """
    import onnx
    model_proto = onnx.load(onnx_file, load_external_data=False)
    props = {p.key: p.value for p in model_proto.metadata_props}
    again = 'export it again with tools/deployment/pytorch2onnx.py'
    if LEGACY_CONFIG_KEY in props and 'mmpdl_config_json' not in props:
        raise ValueError(
            f'{onnx_file!r} was exported by an older mmpdl that stored its '
            'config as Python text; reading that text would run any code '
            f'in it, so it is not read: {again}')
    missing = [k for k in META_KEYS if k not in props]
    if missing:
        raise ValueError(
            f'{onnx_file!r} lacks the mmpdl metadata {missing}; {again}')
    values = {}
    for key in META_KEYS[1:]:
        try:
            values[key] = json.loads(props[key])
        except json.JSONDecodeError as err:
            raise ValueError(f'{onnx_file!r}: metadata {key!r} is not '
                             f'valid JSON ({err}); {again}') from err
    shape = values['input_shape']
    return dict(
        config=config_from_json(props['mmpdl_config_json'],
                                f'{onnx_file!r} metadata'),
        dataset_meta=PanopticMetaInfo.from_dict(
            values['dataset_meta'], f'{onnx_file!r} metadata').to_dict(),
        post_processing=values['post_processing'],
        with_postprocess=values['with_postprocess'],
        input_shape=None if shape == 'dynamic' else shape)
