"""Panoptic-DeepLab head: semantic and instance decoders + predictors."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmpdl.registry import MODELS
from .detectron2_init import detectron2_head_init
from .panoptic_decoder_branch import (CONV_BLOCKS, PanopticDecoderBranch,
                                      check_same_length, conv_block)

BRANCH_KEYS = ('aspp_channels', 'low_level_projections', 'decoder_channels',
               'head_channels')
OUTPUT_KEYS = ('sem_seg', 'center', 'offset')
ASPP_KEYS = ('depthwise_separable', 'pool_kernel_size', 'image_pool_bias')
INIT_STYLES = ('original', 'detectron2')


def _check_branch_cfg(name: str, cfg: dict) -> dict:
    """Validate a ``semantic_branch`` / ``instance_branch`` dict."""
    if not isinstance(cfg, dict):
        raise TypeError(f'PanopticDeepLabHead: {name} must be a dict with '
                        f'keys {BRANCH_KEYS}, got {cfg!r}')
    unknown = sorted(set(cfg) - set(BRANCH_KEYS))
    missing = sorted(set(BRANCH_KEYS) - set(cfg))
    if unknown or missing:
        raise KeyError(f'PanopticDeepLabHead: {name} has unknown keys '
                       f'{unknown} and lacks keys {missing}; expected '
                       f'exactly {BRANCH_KEYS}')
    return dict(cfg)


def _check_head_conv(head_conv) -> Dict[str, str]:
    """``head_conv`` (one kind, or one per output) -> {output: kind}."""
    if isinstance(head_conv, str):
        head_conv = {key: head_conv for key in OUTPUT_KEYS}
    if not isinstance(head_conv, dict) or set(head_conv) != set(OUTPUT_KEYS):
        raise ValueError('PanopticDeepLabHead: head_conv must be one of '
                         f'{CONV_BLOCKS} or a dict with exactly the keys '
                         f'{OUTPUT_KEYS}, got {head_conv!r}')
    for key, kind in head_conv.items():
        if kind not in CONV_BLOCKS:
            raise ValueError(f'PanopticDeepLabHead: head_conv[{key!r}] = '
                             f'{kind!r} is unknown; use one of {CONV_BLOCKS}')
    return dict(head_conv)


def _check_aspp_cfg(aspp_cfg: Optional[dict]) -> dict:
    """Validate the extra ASPP arguments (see :class:`PanopticASPP`)."""
    aspp_cfg = dict(aspp_cfg or {})
    unknown = sorted(set(aspp_cfg) - set(ASPP_KEYS))
    if unknown:
        raise KeyError(f'PanopticDeepLabHead: aspp_cfg has unknown keys '
                       f'{unknown}; allowed: {ASPP_KEYS}')
    return aspp_cfg


def _predictor(kind: str, in_channels: int, head_channels: int,
               out_channels: int, norm_cfg: dict,
               act_cfg: dict) -> nn.Sequential:
    """A :func:`conv_block` (``in -> in -> head`` for ``'conv3x3x2'``) +
    a 1x1 conv with bias."""
    return nn.Sequential(
        conv_block(kind, in_channels, in_channels, head_channels, norm_cfg,
                   act_cfg, 'PanopticDeepLabHead.head_conv'),
        nn.Conv2d(head_channels, out_channels, 1))


def _check_num_classes(num_classes) -> None:
    """Raise unless ``num_classes`` is a positive int; None (the dataset's
    count, not yet filled in) says how it is filled."""
    if num_classes is None:
        raise ValueError(
            'PanopticDeepLabHead: num_classes=None stands for the dataset\'s '
            'class count, which mmpdl.datasets.fill_dataset_meta(cfg) writes '
            'into the config before the model is built (tools/train.py, '
            'tools/test.py and init_model call it). Call it before '
            'Runner.from_cfg(cfg) or MODELS.build(cfg.model), or set '
            'model.decode_head.num_classes.')
    if isinstance(num_classes,
                  bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError('PanopticDeepLabHead: num_classes must be a '
                         f'positive int (or None), got {num_classes!r}')


@MODELS.register_module()
class PanopticDeepLabHead(BaseModule):
    """Dual-decoder head of Panoptic-DeepLab.

    A semantic branch (:class:`PanopticDecoderBranch`, ``semantic_decoder``)
    feeds the semantic predictor (``semantic_head.sem_seg``); an instance
    branch of the same shape with its own widths (``instance_decoder``)
    feeds the center (``instance_head.center``, 1 channel) and offset
    (``instance_head.offset``, 2 channels: dy, dx) predictors. Each
    predictor is a conv block and a 1x1 conv.

    Layouts: the original's (the defaults): regular ASPP, 5x5
    depthwise-separable fuse and head blocks. detectron2's regular one:
    ``fuse_conv='conv3x3x2'``, ``head_conv='conv3x3x2'``; detectron2's
    DSConv one: ``aspp_cfg=dict(depthwise_separable=True)``,
    ``head_conv=dict(sem_seg='dsconv5x5', center='conv3x3x2',
    offset='dsconv5x5')``; both with ``low_level_first=True`` and
    ``aspp_cfg`` ``image_pool_bias=True``, ``pool_kernel_size=crop //
    output stride``, ``align_corners=False``, ``dropout_ratio=0.1``.

    Args:
        in_channels (int): Channels of the feature the ASPPs read.
        in_index (int): Index of that feature in the backbone's tuple.
        low_level_channels (Sequence[int]): Channels of the low-level
            features, coarsest first (e.g. strides 16, 8, 4).
        low_level_in_index (Sequence[int]): Their indices in the backbone's
            tuple.
        atrous_rates (Sequence[int]): ASPP rates (os32: (3, 6, 9)).
        num_classes (int): Semantic classes. A config may say None: the
            dataset's class count, filled in before the model is built by
            ``mmpdl.datasets.fill_dataset_meta`` (``tools/train.py``,
            ``tools/test.py``, ``init_model``); building with None raises.
        semantic_branch (dict): ``aspp_channels``, ``low_level_projections``,
            ``decoder_channels``, ``head_channels`` of the semantic branch.
        instance_branch (dict): The same for the instance branch.
        norm_cfg (dict): Norm config of every norm layer.
        act_cfg (dict): Activation config.
        dropout_ratio (float): ASPP dropout. Defaults to 0.5.
        align_corners (bool): Of all upsampling. Defaults to True.
        fuse_conv (str): Decoder fuse block, ``'dsconv5x5'`` (default) or
            ``'conv3x3x2'`` (see :func:`conv_block`).
        head_conv (str | dict): Block before each 1x1 predictor: one kind
            for all, or a dict ``sem_seg`` / ``center`` / ``offset`` -> kind.
            Defaults to ``'dsconv5x5'``.
        low_level_first (bool): Concatenate ``[low-level, running]`` in the
            fuse input (detectron2) instead of ``[running, low-level]``.
            Defaults to False.
        aspp_cfg (dict, optional): ``depthwise_separable`` (bool),
            ``pool_kernel_size`` ((kh, kw) or None), ``image_pool_bias``
            (bool) of both ASPPs (:class:`PanopticASPP`).
        loss_semantic, loss_center, loss_offset (dict): Loss configs.
        init_style (str): ``'original'`` (default): :meth:`init_weights`
            re-does the original's init (conv weights N(0, 0.001), norm
            weight 1 / bias 0, conv biases left at PyTorch's default);
            ``'detectron2'``: detectron2's (:func:`detectron2_head_init`).
        init_cfg (dict, optional): Unused: see ``init_style``.

    State-dict layout (``{b}`` = ``semantic`` / ``instance``, ``{i}`` = low
    level 0 (coarsest) .. 2, ``{k}`` = ``sem_seg`` in ``semantic_head``,
    ``center`` / ``offset`` in ``instance_head``)::

        {b}_decoder.aspp.aspp_convs.{0..3}.{conv,bn}   1x1, rates 1..3
        {b}_decoder.aspp.image_pool.1.conv             pooling 1x1 conv
        {b}_decoder.aspp.project.0.{conv,bn}
        {b}_decoder.project.{i}.{conv,bn}
        {b}_decoder.fuse.{i}.{depthwise_conv,pointwise_conv}.{conv,bn}
        {b}_head.{k}.0.{depthwise_conv,pointwise_conv}.{conv,bn}
        {b}_head.{k}.1                                 1x1 conv with bias

    ``'conv3x3x2'`` blocks are ``fuse.{i}.{0,1}.{conv,bn}`` and
    ``{k}.0.{0,1}.{conv,bn}``; depthwise-separable ASPP branches are
    ``aspp_convs.{1..3}.{depthwise_conv,pointwise_conv}.{conv,bn}``.

    ``forward`` maps the backbone's tuple to a dict of stride-4 maps:
    ``sem_seg`` (N, num_classes, h, w), ``center`` (N, 1, h, w) and
    ``offset`` (N, 2, h, w), all float.
    """

    def __init__(self,
                 in_channels: int,
                 in_index: int,
                 low_level_channels: Sequence[int],
                 low_level_in_index: Sequence[int],
                 atrous_rates: Sequence[int],
                 num_classes: Optional[int],
                 semantic_branch: dict,
                 instance_branch: dict,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='ReLU'),
                 dropout_ratio: float = 0.5,
                 align_corners: bool = True,
                 loss_semantic: dict = dict(type='DeepLabCELoss'),
                 loss_center: dict = dict(type='WeightedMSELoss'),
                 loss_offset: dict = dict(type='WeightedL1Loss'),
                 fuse_conv: str = 'dsconv5x5',
                 head_conv: Union[str, Dict[str, str]] = 'dsconv5x5',
                 low_level_first: bool = False,
                 aspp_cfg: Optional[dict] = None,
                 init_style: str = 'original',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        _check_num_classes(num_classes)
        semantic_branch = _check_branch_cfg('semantic_branch', semantic_branch)
        instance_branch = _check_branch_cfg('instance_branch', instance_branch)
        check_same_length(
            'PanopticDeepLabHead',
            low_level_channels=low_level_channels,
            low_level_in_index=low_level_in_index,
            semantic_branch_low_level_projections=semantic_branch[
                'low_level_projections'],
            instance_branch_low_level_projections=instance_branch[
                'low_level_projections'])
        self.in_channels = in_channels
        self.in_index = in_index
        self.low_level_channels = tuple(low_level_channels)
        self.low_level_in_index = tuple(low_level_in_index)
        self.num_classes = num_classes
        self.align_corners = align_corners
        if fuse_conv not in CONV_BLOCKS:
            raise ValueError(f'PanopticDeepLabHead: fuse_conv={fuse_conv!r} '
                             f'is unknown; use one of {CONV_BLOCKS}')
        head_conv = _check_head_conv(head_conv)
        if init_style not in INIT_STYLES:
            raise ValueError(f'PanopticDeepLabHead: init_style='
                             f'{init_style!r} is unknown; use one of '
                             f'{INIT_STYLES}')
        self.init_style = init_style
        common = dict(
            in_channels=in_channels,
            low_level_channels=low_level_channels,
            atrous_rates=atrous_rates,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            align_corners=align_corners,
            dropout_ratio=dropout_ratio,
            fuse_conv=fuse_conv,
            low_level_first=low_level_first,
            aspp_cfg=_check_aspp_cfg(aspp_cfg))
        self.semantic_decoder = PanopticDecoderBranch(
            low_level_projections=semantic_branch['low_level_projections'],
            aspp_channels=semantic_branch['aspp_channels'],
            decoder_channels=semantic_branch['decoder_channels'],
            **common)
        self.instance_decoder = PanopticDecoderBranch(
            low_level_projections=instance_branch['low_level_projections'],
            aspp_channels=instance_branch['aspp_channels'],
            decoder_channels=instance_branch['decoder_channels'],
            **common)
        sem, ins = semantic_branch, instance_branch
        self.semantic_head = nn.ModuleDict(
            dict(
                sem_seg=_predictor(
                    head_conv['sem_seg'], sem['decoder_channels'],
                    sem['head_channels'], num_classes, norm_cfg, act_cfg)))
        self.instance_head = nn.ModuleDict({
            key:
            _predictor(head_conv[key], ins['decoder_channels'],
                       ins['head_channels'], channels, norm_cfg, act_cfg)
            for key, channels in (('center', 1), ('offset', 2))
        })
        self.loss_semantic = MODELS.build(loss_semantic)
        self.loss_center = MODELS.build(loss_center)
        self.loss_offset = MODELS.build(loss_offset)

    def init_weights(self) -> None:
        """Original init: conv weights N(0, 0.001), norms weight 1 bias 0.

        Conv biases (the three final 1x1 convs, the image-pooling conv with
        ``image_pool_bias``) keep PyTorch's default init, as in the
        original. ``init_style='detectron2'``: :func:`detectron2_head_init`.
        """
        super().init_weights()
        if self.init_style == 'detectron2':
            detectron2_head_init(self)
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _select_inputs(self, feats: Tuple[torch.Tensor, ...]):
        """The ASPP input and the low-level features from ``feats``."""
        for index in (self.in_index, *self.low_level_in_index):
            if not -len(feats) <= index < len(feats):
                raise IndexError(
                    f'PanopticDeepLabHead: feature index {index} is out of '
                    f'range: the backbone returned {len(feats)} features '
                    '(check in_index / low_level_in_index and the '
                    "backbone's out_indices)")
        return feats[self.in_index], tuple(feats[i]
                                           for i in self.low_level_in_index)

    def forward(self, feats: Tuple[torch.Tensor,
                                   ...]) -> Dict[str, torch.Tensor]:
        """Backbone features -> dict of stride-4 predictions.

        Args:
            feats (tuple[Tensor]): Backbone outputs, (N, C_i, H_i, W_i).

        Returns:
            dict[str, Tensor]: ``sem_seg`` (N, num_classes, h, w) logits,
            ``center`` (N, 1, h, w) heatmap, ``offset`` (N, 2, h, w) (dy, dx)
            in pixels of the head's resolution.
        """
        x, low_level = self._select_inputs(feats)
        semantic = self.semantic_decoder(x, low_level)
        instance = self.instance_decoder(x, low_level)
        return dict(
            sem_seg=self.semantic_head['sem_seg'](semantic),
            center=self.instance_head['center'](instance),
            offset=self.instance_head['offset'](instance))

    def loss_by_feat(
            self, outputs: Dict[str, torch.Tensor],
            targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The three losses on predictions at the targets' resolution.

        Args:
            outputs (dict[str, Tensor]): ``sem_seg`` (N, C, H, W),
                ``center`` (N, 1, H, W), ``offset`` (N, 2, H, W).
            targets (dict[str, Tensor]): ``sem_seg`` (N, H, W) int64,
                ``sem_weights`` (N, H, W), ``center`` (N, 1, H, W),
                ``center_weights`` (N, H, W), ``offset`` (N, 2, H, W),
                ``offset_weights`` (N, H, W), all float except ``sem_seg``.

        Returns:
            dict[str, Tensor]: Scalar losses keyed by each loss's
            ``loss_name`` (by default ``loss_sem``, ``loss_center``,
            ``loss_offset``).
        """
        losses = {
            self.loss_semantic.loss_name:
            self.loss_semantic(outputs['sem_seg'], targets['sem_seg'],
                               targets['sem_weights']),
            self.loss_center.loss_name:
            self.loss_center(outputs['center'], targets['center'],
                             targets['center_weights']),
            self.loss_offset.loss_name:
            self.loss_offset(outputs['offset'], targets['offset'],
                             targets['offset_weights']),
        }
        if len(losses) != 3:
            raise ValueError('PanopticDeepLabHead: the three losses need '
                             f'distinct loss_name values, got {list(losses)}')
        return losses
