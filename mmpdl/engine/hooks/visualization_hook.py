"""A hook that draws panoptic pictures during validation and test.

``PanopticVisualizationHook`` is mmseg's ``SegVisualizationHook`` plus
``out_dir``: with it (``tools/test.py --show-dir DIR``) every picture is
also written to ``DIR/<image name>.png``, not only to the vis backends.
"""
import os.path as osp
import warnings
from typing import Optional, Sequence

import mmcv
from mmengine.fileio import get
from mmengine.runner import Runner
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
        with warnings.catch_warnings():
            # off by default (``--show``/``--show-dir`` turn it on), which
            # is the normal state and needs no start-up warning
            warnings.filterwarnings('ignore', message='The draw is False')
            super().__init__(**kwargs)
        self.out_dir = out_dir
        self._test_step = 0

    def before_run(self, runner: Runner) -> None:
        """Draw with the runner's own visualizer. mmseg's hook takes the
        process's current visualizer when it is built, which is another
        run's when two runners of one process share a name (mmengine names
        them by the second they start in)."""
        self._visualizer = runner.visualizer

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
            step = self._step(runner, mode)
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
                step=step)

    def _step(self, runner: Runner, mode: str) -> int:
        """The step a picture is logged under.

        Validation runs inside training, so it uses the training iteration.
        A test run counts its pictures instead: reading ``runner.iter`` there
        would make mmengine build the train loop and its dataset, which fails
        when only the test split is on disk.
        """
        if mode == 'val':
            return runner.iter
        self._test_step += 1
        return self._test_step
