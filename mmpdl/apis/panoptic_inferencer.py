"""``PanopticInferencer``: predict and draw panoptic segmentations of image
files, folders and arrays (MMSegmentation's ``MMSegInferencer`` API)."""
import glob
import os.path as osp
import warnings
from functools import partial
from typing import List, Optional, Sequence, Union

import numpy as np
import yaml
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.registry import FUNCTIONS
from rich.progress import track

import mmpdl
from mmpdl.deployment import BACKENDS, BackendModel, read_metadata
from mmpdl.registry import INFERENCERS, VISUALIZERS
from mmpdl.utils import register_all_modules
from .inference import init_model
from .inference_pipeline import build_inference_pipeline
from .inferencer_io import (check_input, input_name, input_rgb, list_images,
                            prediction_to_dict, save_prediction)

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]


def configs_root() -> str:
    """The ``configs/`` folder of the source tree (or of a mim install)."""
    package = osp.dirname(osp.abspath(mmpdl.__file__))
    for root in (osp.join(osp.dirname(package),
                          'configs'), osp.join(package, '.mim', 'configs')):
        if osp.isdir(root):
            return root
    raise FileNotFoundError(
        f'no configs/ folder beside {package}; pass a config file path')


def find_model(name: str):
    """Config path and weights (or None) of a model name: a ``Name`` in a
    ``configs/*/metafile.yaml`` or the stem of a ``configs/*/*.py`` file."""
    root = configs_root()
    for metafile in sorted(glob.glob(osp.join(root, '*', 'metafile.y*ml'))):
        with open(metafile) as file:
            models = (yaml.safe_load(file) or {}).get('Models', [])
        for entry in models:
            if entry.get('Name', '').lower() == name.lower():
                config = osp.join(osp.dirname(root), entry['Config'])
                weights = entry.get('Weights')
                if isinstance(weights, list):
                    weights = weights[0]
                return config, weights
    configs = glob.glob(osp.join(root, '*', f'{name}.py'))
    if configs:
        return configs[0], None
    raise FileNotFoundError(
        f'{name!r} is neither a config file nor a model name (a Name in '
        f'{root}/*/metafile.yaml or a config file stem in {root}/*/)')


def backend_names() -> List[str]:
    """What runs a model: ``'pytorch'`` (a config and checkpoint) or a
    backend registered in ``BACKENDS`` (an exported file)."""
    return ['pytorch', *BACKENDS.module_dict]


@INFERENCERS.register_module()
class PanopticInferencer(BaseInferencer):
    """Panoptic-DeepLab inference and visualization.

    Example::

        inferencer = PanopticInferencer(CONFIG, CHECKPOINT, device='cpu')
        result = inferencer('demo/demo.png', return_vis=True)
        result['predictions']['panoptic_seg']  # (H, W) int64
        result['visualization']                # (H, W', 3) uint8 RGB

    Args:
        model (str | Config | dict): Config file, ``Config``, or a model
            name (a ``Name`` in ``configs/*/metafile.yaml`` or a config
            file stem under ``configs/``).
        weights (str, optional): Checkpoint; without one the model keeps
            random weights (with a warning).
        device (str, optional): ``'cpu'``, ``'cuda'``, ``'cuda:1'``;
            default: CUDA when available.
        scope (str): Registry scope. Defaults to ``'mmpdl'``.
        show_progress (bool): Show a progress bar. Defaults to False.
        backend (str): ``'pytorch'``; or a name in ``BACKENDS``
            (``'onnxruntime'``, ``'tensorrt'``) with ``model`` an ``.onnx``
            file of ``tools/deployment/pytorch2onnx.py`` (its config and
            dataset metadata are read from the file; no ``weights``).
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {
        'show', 'wait_time', 'img_out_dir', 'opacity', 'return_vis',
        'with_center_offset'
    }
    postprocess_kwargs: set = {'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config, dict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: str = 'mmpdl',
                 show_progress: bool = False,
                 backend: str = 'pytorch') -> None:
        if model is None:
            raise ValueError('PanopticInferencer needs a config (file, '
                             'Config or model name) as `model`')
        if backend not in backend_names():
            raise ValueError(f'unknown backend {backend!r}; use one of '
                             f'{backend_names()}')
        self.backend = backend
        if backend != 'pytorch':
            if not (isinstance(model, str) and model.endswith('.onnx')):
                raise ValueError(f'backend {backend!r} takes the exported '
                                 f'.onnx file as `model`, got {model!r}')
            self.backend_file = model
            model = read_metadata(model)['config']
        register_all_modules(init_default_scope=True)
        self.num_arrays = 0
        self._names: List[str] = []
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope=scope,
            show_progress=show_progress)
        self.visualizer.dataset_meta = self.model.dataset_meta

    @property
    def input_names(self) -> List[str]:
        """Names of the last call's inputs: file stems, or ``00000000``,
        ``00000001``, ... for arrays (they name the written files)."""
        return list(self._names)

    def _load_model_from_metafile(self, model: str):
        """Config and weights of a model name (see :func:`find_model`)."""
        config, weights = find_model(model)
        return Config.fromfile(config), weights

    def _init_model(self, cfg, weights, device='cpu'):
        """:func:`init_model`: BN instead of SyncBN, no ImageNet weights,
        ``dataset_meta`` from the checkpoint or the config's dataset; or the
        exported file in its backend."""
        if self.backend != 'pytorch':
            return BackendModel(self.backend, self.backend_file, device)
        if weights is None:
            warnings.warn('PanopticInferencer: no checkpoint given, the '
                          'model keeps its random weights')
        if not isinstance(cfg, Config):
            cfg = Config(ConfigDict(cfg).to_dict())
        return init_model(cfg, weights, device=device)

    def _init_pipeline(self, cfg) -> Compose:
        """:func:`build_inference_pipeline`: the rule of ``inference_model``
        (the test dataloader's pipeline, else ``test_pipeline``)."""
        return build_inference_pipeline(cfg)

    def _init_collate(self, cfg):
        """``test_dataloader.collate_fn`` if set, else ``pseudo_collate``."""
        collate = cfg.get('test_dataloader', {}).get('collate_fn')
        if collate is None:
            return pseudo_collate
        collate = dict(collate)
        return partial(FUNCTIONS.get(collate.pop('type')), **collate)

    def _init_visualizer(self, cfg):
        """The config's visualizer without its storage backends (pictures
        are written to files by ``visualize``)."""
        vis_cfg = dict(
            cfg.get('visualizer') or dict(type='PanopticLocalVisualizer'))
        for key in ('vis_backends', 'save_dir'):
            vis_cfg.pop(key, None)
        vis_cfg['name'] = f'panoptic_inferencer_{id(self)}'
        return VISUALIZERS.build(vis_cfg)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """Expand folders into their images, check every input (arrays
        become (H, W, 3) uint8 BGR, see :func:`check_input`), and name
        them (file stem, or a running number for arrays)."""
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        inputs = [
            image for item in inputs for image in (list_images(
                item) if isinstance(item, str) and osp.isdir(item) else [item])
        ]
        self._names = []
        checked = []
        for item in inputs:
            checked.append(check_input(item))
            self._names.append(input_name(item, self.num_arrays))
            if isinstance(item, np.ndarray):
                self.num_arrays += 1
        return checked

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs):
        """Load the inputs and yield collated batches of up to
        ``batch_size`` consecutive images of one size (mmseg's data
        preprocessor does not pad test batches), keeping their order."""
        batch = []
        for data in map(self.pipeline, inputs):
            if batch and (len(batch) == batch_size
                          or data['inputs'].shape != batch[0]['inputs'].shape):
                yield self.collate_fn(batch)
                batch = []
            batch.append(data)
        if batch:
            yield self.collate_fn(batch)

    def __call__(self,
                 inputs: InputsType,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 out_dir: str = '',
                 **kwargs) -> dict:
        """Predict (and draw) ``inputs``.

        Args:
            inputs (str | np.ndarray | list): An image path, a folder (its
                images, sorted), a uint8 BGR array ((H, W, 3); (H, W, 4)
                BGRA, alpha dropped; (H, W) or (H, W, 1) grayscale), or a
                list of paths and arrays.
            return_datasamples (bool): Return ``PanopticDataSample`` s
                instead of plain arrays.
            batch_size (int): Images per forward pass.
            out_dir (str): If set, pictures go to ``out_dir/vis/<name>.png``
                and predictions to ``out_dir/pred/`` (see
                :func:`save_prediction`); ``<name>`` is the file stem, or
                ``00000000``, ``00000001``, ... for arrays.
            **kwargs: ``show``, ``wait_time``, ``opacity`` (0-1),
                ``return_vis``, ``with_center_offset``, ``img_out_dir``,
                ``pred_out_dir``.

        Returns:
            dict: ``predictions``: per image a dict (see
            :func:`prediction_to_dict`) or a data sample;
            ``visualization``: per image an (H, W', 3) uint8 RGB picture
            (with ``return_vis``). A single input gives single items.
        """
        if out_dir:
            kwargs.setdefault('img_out_dir', osp.join(out_dir, 'vis'))
            kwargs.setdefault('pred_out_dir', osp.join(out_dir, 'pred'))
        _, forward_kwargs, visualize_kwargs, postprocess_kwargs = \
            self._dispatch_kwargs(**kwargs)
        items = self._inputs_to_list(inputs)
        names = self.input_names
        batches = self.preprocess(items, batch_size=batch_size)
        if self.show_progress:
            batches = track(batches, description='Inference')
        predictions, pictures, done = [], [], 0
        # draw and convert batch by batch: the data samples (logits,
        # masks) of a whole folder would not fit in memory
        for data in batches:
            preds = self.forward(data, **forward_kwargs)
            batch = slice(done, done + len(preds))
            done += len(preds)
            drawn = self.visualize(
                items[batch], preds, names=names[batch], **visualize_kwargs)
            packed = self.postprocess(
                preds,
                drawn,
                return_datasamples,
                names=names[batch],
                **postprocess_kwargs)
            predictions.extend(packed['predictions'])
            pictures.extend(packed['visualization'])
        if len(items) == 1:
            return dict(
                predictions=predictions[0],
                visualization=pictures[0] if pictures else None)
        return dict(predictions=predictions, visualization=pictures)

    def visualize(self,
                  inputs: list,
                  preds: list,
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  img_out_dir: str = '',
                  opacity: float = 0.6,
                  with_center_offset: bool = False,
                  names: Optional[List[str]] = None) -> Optional[list]:
        """Draw ``image | prediction`` (``| center | offset``) pictures,
        written to ``img_out_dir/<name>.png`` when set.

        Args:
            names (list[str], optional): Picture names; default
                :attr:`input_names`.

        Returns:
            list[np.ndarray] | None: (H, W', 3) uint8 RGB pictures when
            ``return_vis``.
        """
        if not (return_vis or show or img_out_dir):
            return None
        if not 0 <= opacity <= 1:
            raise ValueError(f'opacity must be in [0, 1], got {opacity}')
        self.visualizer.alpha = opacity
        pictures = []
        for item, pred, name in zip(inputs, preds, names or self._names):
            out_file = osp.join(img_out_dir, name +
                                '.png') if img_out_dir else None
            picture = self.visualizer.add_datasample(
                name,
                input_rgb(item),
                data_sample=pred,
                draw_gt=False,
                show=show,
                wait_time=wait_time,
                out_file=out_file,
                with_center_offset=with_center_offset)
            if return_vis:
                pictures.append(picture)
        return pictures if return_vis else None

    def postprocess(self,
                    preds: list,
                    visualization: Optional[list],
                    return_datasample: bool = False,
                    pred_out_dir: str = '',
                    names: Optional[List[str]] = None) -> dict:
        """Pack predictions and write them to ``pred_out_dir`` when set.

        Args:
            preds (list[PanopticDataSample]): Model outputs.
            visualization (list[np.ndarray], optional): Their pictures.
            return_datasample (bool): Keep the data samples instead of
                plain arrays (see :func:`prediction_to_dict`).
            pred_out_dir (str): See :func:`save_prediction`.
            names (list[str], optional): File stems; default
                :attr:`input_names`.

        Returns:
            dict: ``predictions`` and ``visualization`` lists.
        """
        classes = self.model.dataset_meta['classes']
        plain = [prediction_to_dict(pred, classes) for pred in preds]
        if pred_out_dir:
            for pred, name in zip(plain, names or self._names):
                save_prediction(pred, pred_out_dir, name)
        return dict(
            predictions=preds if return_datasample else plain,
            visualization=visualization or [])
