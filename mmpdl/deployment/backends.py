"""Run an exported ONNX file with onnxruntime or TensorRT (registered in
``BACKENDS`` by name) and turn its outputs into the ``PanopticDataSample``
that the PyTorch model returns."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.structures import InstanceData

from mmpdl.models.post_processing import PanopticDeepLabPostProcessor
from mmpdl.registry import BACKENDS
from mmpdl.structures import PanopticDataSample
from .export_module import NETWORK_OUTPUTS, PANOPTIC_OUTPUTS
from .onnx_export import read_metadata


def check_image(image: np.ndarray, shape: Optional[List[int]],
                path: str) -> None:
    """Raise a one-line error for an image the exported graph refuses."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('the exported model takes an (H, W, 3) uint8 BGR '
                         f'image, got shape {image.shape} dtype {image.dtype}')
    if shape is not None and list(image.shape[:2]) != list(shape):
        raise ValueError(
            f'{path!r} was exported for {shape[0]}x{shape[1]} images, got '
            f'{image.shape[0]}x{image.shape[1]}; re-export with '
            '--shape H W of your images or with --dynamic')


@BACKENDS.register_module('onnxruntime')
class OnnxRuntimeBackend:
    """An exported file in an onnxruntime session.

    Args:
        path (str): ``.onnx`` file from ``tools/deployment/pytorch2onnx.py``.
        device (str): ``'cpu'`` or ``'cuda'`` (CUDA execution provider).
    """

    def __init__(self, path: str, device: str = 'cpu'):
        try:
            import onnxruntime
        except ImportError:
            raise ImportError('the onnxruntime backend needs the onnxruntime '
                              'package: pip install onnxruntime') from None
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX file not found: {path!r}')
        self.path = path
        self.meta = read_metadata(path)
        providers = ['CPUExecutionProvider']
        if str(device).startswith('cuda'):
            providers.insert(0, 'CUDAExecutionProvider')
        self.session = onnxruntime.InferenceSession(path, providers=providers)
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, image: np.ndarray) -> Dict[str, np.ndarray]:
        """Outputs of one (H, W, 3) uint8 BGR image, by name."""
        check_image(image, self.meta['input_shape'], self.path)
        values = self.session.run(None, {'image': image})
        return dict(zip(self.output_names, values))


@BACKENDS.register_module('tensorrt')
class TensorRTBackend:
    """An exported file built into a TensorRT engine (on a CUDA GPU).

    The engine is built once from the ONNX file (fp32, or fp16 with
    ``fp16=True``) for the file's static size, or with a dynamic file for
    sizes up to ``max_shape``.

    Args:
        path (str): ``.onnx`` file.
        device (str): A CUDA device.
        fp16 (bool): Allow fp16 kernels.
        max_shape (tuple[int, int]): Largest (H, W) of a dynamic file.
    """

    def __init__(self,
                 path: str,
                 device: str = 'cuda',
                 fp16: bool = False,
                 max_shape=(1025, 2049)):
        try:
            import tensorrt as trt
        except ImportError:
            raise ImportError('the tensorrt backend needs the tensorrt '
                              'package and a CUDA GPU: pip install '
                              'tensorrt') from None
        if not torch.cuda.is_available():
            raise RuntimeError('the tensorrt backend needs a CUDA GPU; none '
                               'is visible (use backend onnxruntime)')
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX file not found: {path!r}')
        self.path = path
        self.meta = read_metadata(path)
        self.device = torch.device(device if 'cuda' in str(device) else 'cuda')
        logger = trt.Logger(trt.Logger.WARNING)
        builder = trt.Builder(logger)
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse_from_file(path):
            errors = '; '.join(
                str(parser.get_error(i)) for i in range(parser.num_errors))
            raise RuntimeError(f'TensorRT cannot parse {path!r}: {errors}')
        config = builder.create_builder_config()
        if fp16:
            config.set_flag(trt.BuilderFlag.FP16)
        shape = self.meta['input_shape']
        profile = builder.create_optimization_profile()
        if shape is None:
            low, high = (33, 33, 3), (*max_shape, 3)
            profile.set_shape('image', low, high, high)
        else:
            profile.set_shape('image', (*shape, 3), (*shape, 3), (*shape, 3))
        config.add_optimization_profile(profile)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise RuntimeError(f'TensorRT could not build an engine of '
                               f'{path!r} (see its log above)')
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(serialized)
        self.context = self.engine.create_execution_context()
        self.output_names = [
            self.engine.get_tensor_name(i)
            for i in range(self.engine.num_io_tensors)
            if self.engine.get_tensor_mode(self.engine.get_tensor_name(i)) ==
            trt.TensorIOMode.OUTPUT
        ]
        self._trt = trt

    def _dtype(self, name: str) -> torch.dtype:
        """Torch dtype of an engine tensor."""
        trt = self._trt
        kinds = {
            trt.float32: torch.float32,
            trt.float16: torch.float16,
            trt.int32: torch.int32,
            trt.int64: torch.int64,
            trt.bool: torch.bool,
            trt.uint8: torch.uint8
        }
        return kinds[self.engine.get_tensor_dtype(name)]

    def run_tensor(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Outputs (CUDA tensors) of an (H, W, 3) uint8 CUDA tensor."""
        image = image.contiguous()
        self.context.set_input_shape('image', tuple(image.shape))
        self.context.set_tensor_address('image', image.data_ptr())
        outputs = {}
        for name in self.output_names:
            shape = tuple(self.context.get_tensor_shape(name))
            outputs[name] = torch.empty(
                shape, dtype=self._dtype(name), device=self.device)
            self.context.set_tensor_address(name, outputs[name].data_ptr())
        stream = torch.cuda.current_stream(self.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise RuntimeError(f'TensorRT failed to run {self.path!r}')
        stream.synchronize()
        return outputs

    def __call__(self, image: np.ndarray) -> Dict[str, np.ndarray]:
        """Outputs of one (H, W, 3) uint8 BGR image, by name."""
        check_image(image, self.meta['input_shape'], self.path)
        outputs = self.run_tensor(torch.from_numpy(image).to(self.device))
        return {k: v.cpu().numpy() for k, v in outputs.items()}


def outputs_to_sample(
        outputs: Dict[str, np.ndarray],
        meta: dict,
        sample: Optional[PanopticDataSample] = None) -> PanopticDataSample:
    """A ``PanopticDataSample`` as ``PanopticDeepLab.predict`` fills it.

    Without post-processing in the graph, the model's post-processor
    (rebuilt from the file's settings) runs here on the backend's network
    outputs; with it, the graph's results are written by the same
    post-processor's :meth:`~PanopticDeepLabPostProcessor.fill_sample`.

    Args:
        outputs (dict[str, np.ndarray]): A backend's outputs by name.
        meta (dict): :func:`read_metadata` of the file.
        sample (PanopticDataSample, optional): To fill (keeps its
            metainfo); a new one when None.

    Returns:
        PanopticDataSample: ``seg_logits``, ``pred_sem_seg``,
        ``pred_center``, ``pred_offset``, ``pred_panoptic_seg``,
        ``pred_instances`` (sorted by panoptic id).
    """
    raw = {k: torch.from_numpy(outputs[k][0]) for k in NETWORK_OUTPUTS}
    sample = sample if sample is not None else PanopticDataSample()
    if not all(k in outputs for k in PANOPTIC_OUTPUTS):
        raw['sem_probs'] = torch.softmax(raw['sem_logits'], 0)
        return PanopticDeepLabPostProcessor(**meta['post_processing']).predict(
            raw, sample, meta['dataset_meta'])
    panoptic = torch.from_numpy(outputs['panoptic'])
    ids = torch.from_numpy(outputs['instance_ids'])
    order = torch.nonzero(ids).squeeze(1)
    order = order[ids[order].argsort()]
    instances = InstanceData(
        masks=panoptic[None] == ids[order][:, None, None],
        **{
            k: torch.from_numpy(outputs[k])[order]
            for k in ('labels', 'scores', 'scores_sem_x_ctr')
        },
        instance_ids=ids[order])
    return PanopticDeepLabPostProcessor.fill_sample(
        sample, raw, torch.from_numpy(outputs['sem_seg']), panoptic, instances)


class BackendModel:
    """What ``PanopticInferencer`` needs of a model (``test_step``,
    ``cfg``, ``dataset_meta``), for an exported file.

    Args:
        backend (str): ``'onnxruntime'`` or ``'tensorrt'``.
        path (str): The ``.onnx`` file.
        device (str): Where the backend runs.
    """

    def __init__(self, backend: str, path: str, device: str = 'cpu'):
        self.runner = BACKENDS.get(backend)(path, device)
        self.meta = self.runner.meta
        self.cfg = self.meta['config']
        self.dataset_meta = self.meta['dataset_meta']

    def test_step(self, data: dict) -> List[PanopticDataSample]:
        """Predict a collated batch of the test pipeline: ``inputs`` are
        (3, H, W) uint8 BGR tensors, as ``PackPanopticInputs`` makes them.
        """
        samples = data.get('data_samples') or [None] * len(data['inputs'])
        results = []
        for image, sample in zip(data['inputs'], samples):
            array = image.permute(1, 2, 0).contiguous().cpu().numpy()
            results.append(
                outputs_to_sample(self.runner(array), self.meta, sample))
        return results
