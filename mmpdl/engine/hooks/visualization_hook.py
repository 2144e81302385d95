"""Hooks that draw panoptic pictures during validation, test and training.

``PanopticVisualizationHook`` is mmseg's ``SegVisualizationHook`` plus
``out_dir``: with it (``tools/test.py --show-dir DIR``) every picture is
also written to ``DIR/<image name>.png``, not only to the vis backends.
``PanopticTrainVisualizationHook`` draws, every ``interval`` training
iterations, the first image of the batch with its ground truth and the
model's current prediction.
"""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import torch
from mmengine.fileio import get
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.visualization import Visualizer
from mmseg.engine.hooks import SegVisualizationHook

from mmpdl.registry import HOOKS


def _read_rgb(path, backend_args=None):
    return mmcv.imfrombytes(
        get(path, backend_args=backend_args), channel_order='rgb')


@HOOKS.register_module()
class PanopticVisualizationHook(SegVisualizationHook):
    """Draw val/test predictions (see ``PanopticLocalVisualizer``).

    Args:
        out_dir (str, optional): Also write each picture there.
        **kwargs: ``draw``, ``interval``, ``show``, ``wait_time``,
            ``backend_args`` of mmseg's ``SegVisualizationHook``.
    """

    def __init__(self, out_dir: Optional[str] = None, **kwargs):
        super().__init__(**kwargs)
        self.out_dir = out_dir

    def _after_iter(self,
                    runner: Runner,
                    batch_idx: int,
                    data_batch: dict,
                    outputs: Sequence,
                    mode: str = 'val') -> None:
        if not self.draw or mode == 'train' or not self.every_n_inner_iters(
                batch_idx, self.interval):
            return
        for output in outputs:
            name = osp.splitext(osp.basename(output.img_path))[0]
            out_file = None if self.out_dir is None else osp.join(
                self.out_dir, name + '.png')
            self._visualizer.add_datasample(
                f'{mode}_{name}',
                _read_rgb(output.img_path, self.backend_args),
                data_sample=output,
                show=self.show,
                wait_time=self.wait_time,
                out_file=out_file,
                step=runner.iter)


@HOOKS.register_module()
class PanopticTrainVisualizationHook(SegVisualizationHook):
    """Every ``interval`` training iterations, draw the first image of the
    batch with its panoptic ground truth and the current prediction (stored
    by the visualizer's backends: local files, TensorBoard when set).

    Args:
        interval (int): Iterations between pictures.
    """

    def __init__(self, interval: int = 500, **kwargs):
        kwargs.setdefault('draw', True)
        super().__init__(interval=interval, **kwargs)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: dict = None,
                         outputs: Optional[dict] = None) -> None:
        if not self.draw or not self.every_n_train_iters(
                runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        inputs = data_batch['inputs'][:1]
        sample = data_batch['data_samples'][0].clone()
        crop = tuple(inputs[0].shape[1:])
        # predict in the crop's own frame: no resize back, no un-flip
        sample.set_metainfo(
            dict(
                ori_shape=crop,
                img_shape=crop,
                flip=False,
                flip_direction=None))
        was_training = model.training
        model.eval()
        with torch.no_grad():
            sample = model.test_step(
                dict(inputs=inputs, data_samples=[sample]))[0]
        model.train(was_training)
        image = inputs[0].permute(1, 2, 0).cpu().numpy()[..., ::-1]
        Visualizer.get_current_instance().add_datasample(
            'train_prediction',
            image.copy(),
            data_sample=sample,
            step=runner.iter + 1)
