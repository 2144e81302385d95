"""Print the parameters and FLOPs of a config's model.

Usage::

    python tools/analysis_tools/get_flops.py CONFIG --shape 1024 2048

FLOPs are counted by mmengine's complexity analysis (fvcore-style: one
multiply-add = 1 FLOP) over ``PanopticDeepLab._forward`` on a (1, 3, H, W)
input: backbone, head and the upsampling to the input size. The model pads
H and W to ``k * 32 + 1`` first (1024x2048 runs at 1025x2049), as in
training and testing. SyncBN is reverted to BN so no process group is
needed. No checkpoint is loaded (FLOPs do not depend on weights).
"""
import argparse

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction
from mmengine.model import revert_sync_batchnorm

from mmpdl.datasets import fill_dataset_meta
from mmpdl.registry import MODELS
from mmpdl.utils import load_config, register_all_modules


class ForwardOutputs(nn.Module):
    """Expose ``model._forward`` (the dict of three outputs) as forward.

    Args:
        model (nn.Module): A segmentor with ``_forward``.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        """(1, 3, H, W) -> (sem_seg, center, offset) at input size."""
        outputs = self.model._forward(inputs)
        return tuple(outputs.values())


def parse_args(argv=None):
    """Command line: config, --shape H W, --cfg-options."""
    parser = argparse.ArgumentParser(
        description='Parameters and FLOPs of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[1024, 2048],
        metavar=('H', 'W'),
        help='input height and width (default 1024 2048)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.decode_head.num_classes=8')
    parser.add_argument(
        '--show-table',
        action='store_true',
        help='also print the per-module table')
    return parser.parse_args(argv)


def count(config: str, shape, cfg_options=None, show_table=False) -> dict:
    """Parameters and FLOPs of ``config``'s model at ``shape``.

    Args:
        config (str): Config path.
        shape (Sequence[int]): (H, W) of the input.
        cfg_options (dict, optional): Config overrides.
        show_table (bool): Include mmengine's per-module table.

    Returns:
        dict: ``params`` (int), ``flops`` (int), ``table`` (str).
    """
    register_all_modules()
    cfg = load_config(config, cfg_options)
    # num_classes=None: the config's dataset gives the count (or the error
    # says to set it); an explicit count needs no data
    fill_dataset_meta(cfg, check=False)
    cfg.model.get('backbone', {}).pop('init_cfg', None)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    height, width = shape
    with torch.no_grad():
        result = get_model_complexity_info(
            ForwardOutputs(model),
            inputs=(torch.zeros(1, 3, height, width), ),
            show_table=show_table,
            show_arch=False)
    return dict(
        params=sum(p.numel() for p in model.parameters()),
        flops=int(result['flops']),
        table=result.get('out_table', ''))


def main(argv=None):
    """Print the counts."""
    args = parse_args(argv)
    height, width = args.shape
    if height < 1 or width < 1:
        raise SystemExit(f'--shape must be positive, got {args.shape}')
    result = count(args.config, args.shape, args.cfg_options, args.show_table)
    if args.show_table:
        print(result['table'])
    line = '=' * 40
    print(f'{line}\nConfig: {args.config}\nInput shape: (1, 3, {height}, '
          f'{width})\nParams: {result["params"]:,} '
          f'({result["params"] / 1e6:.2f} M)\nFLOPs: {result["flops"]:,} '
          f'({result["flops"] / 1e9:.2f} G)\n{line}')


if __name__ == '__main__':
    main()
