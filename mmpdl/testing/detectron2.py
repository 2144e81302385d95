"""detectron2's Panoptic-DeepLab as a reference: an adapter to a checkout.

Imports detectron2 (github.com/facebookresearch/detectron2) and its
``projects/Panoptic-DeepLab`` package from a checkout given on the command
line, never copied into this repository, and builds its
``PanopticDeepLab`` from a YAML config with random weights for
``tools/model_converters/verify_against_detectron2.py`` and the tests.
detectron2's Python code runs on CPU without its compiled ops. Its key
names and checkpoint reading are in :mod:`mmpdl.converters`.
"""
import os.path as osp
import sys
import types
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

PROJECT = osp.join('projects', 'Panoptic-DeepLab')
_NEEDED = ('detectron2/layers/aspp.py', 'projects/DeepLab/deeplab/resnet.py',
           PROJECT + '/panoptic_deeplab/panoptic_seg.py',
           PROJECT + '/panoptic_deeplab/post_processing.py')


def add_detectron2_package(repo: str) -> None:
    """Make ``detectron2`` and ``panoptic_deeplab`` importable from
    ``repo``.

    detectron2's Panoptic-DeepLab package imports ``panopticapi.utils`` for
    its dataset mapper (unused here); when panopticapi is not installed an
    alias module with mmpdl's own ``rgb_to_id`` is installed for this
    process only.

    Raises:
        FileNotFoundError: ``repo`` is not a detectron2 checkout.
    """
    missing = [p for p in _NEEDED if not osp.isfile(osp.join(repo, p))]
    if missing:
        raise FileNotFoundError(
            f'--detectron2-repo {repo!r} is not a checkout of '
            f'facebookresearch/detectron2: missing {missing}. Clone it and '
            'pass its root folder.')
    try:
        import panopticapi.utils  # noqa: F401
    except ImportError:
        from mmpdl.structures.panoptic_ids import rgb_to_id
        package = types.ModuleType('panopticapi')
        package.utils = types.ModuleType('panopticapi.utils')
        package.utils.rgb2id = rgb_to_id
        sys.modules['panopticapi'] = package
        sys.modules['panopticapi.utils'] = package.utils
    for path in (osp.join(repo, PROJECT), repo):
        path = osp.abspath(path)
        if path not in sys.path:
            sys.path.insert(0, path)


def detectron2_config(repo: str,
                      yaml_path: str,
                      opts: Sequence = (),
                      config_root: str = None):
    """detectron2's config of a Panoptic-DeepLab YAML, for CPU.

    Every ``SyncBN`` becomes ``BN`` (same parameters and state-dict keys;
    SyncBN needs a process group in training mode, which :func:`randomize`
    uses); ``FrozenBN`` is kept. No weights are downloaded.

    Args:
        repo (str): Root of the detectron2 checkout.
        yaml_path (str): Relative to ``config_root``.
        opts (Sequence): ``KEY, VALUE, ...`` options merged after the YAML.
        config_root (str, optional): Folder of the YAML files; default
            ``projects/Panoptic-DeepLab/configs`` of ``repo``.
    """
    add_detectron2_package(repo)
    from detectron2.config import get_cfg
    from panoptic_deeplab import add_panoptic_deeplab_config
    cfg = get_cfg()
    add_panoptic_deeplab_config(cfg)
    if config_root is None:
        config_root = osp.join(repo, PROJECT, 'configs')
    cfg.merge_from_file(osp.join(config_root, yaml_path))
    cfg.merge_from_list(list(opts))
    for node in (cfg.MODEL.RESNETS, cfg.MODEL.SEM_SEG_HEAD,
                 cfg.MODEL.INS_EMBED_HEAD):
        if node.NORM == 'SyncBN':
            node.NORM = 'BN'
    cfg.MODEL.WEIGHTS = ''
    cfg.MODEL.DEVICE = 'cpu'
    return cfg


def build_detectron2(cfg) -> nn.Module:
    """detectron2's ``PanopticDeepLab`` of a config (its own init)."""
    from panoptic_deeplab import PanopticDeepLab
    return PanopticDeepLab(cfg)


def _is_norm(module) -> bool:
    return isinstance(module, nn.modules.batchnorm._BatchNorm) or type(
        module).__name__ == 'FrozenBatchNorm2d'


@torch.no_grad()
def randomize(model: nn.Module, seed: int, shape: Tuple[int, ...]) -> None:
    """Give a detectron2 model non-trivial, deterministic outputs.

    Convs get N(0, 1/fan_in) weights (x8 for the offset head so pixels
    travel to different centers; biases N(0, 0.1)); norm weights U(0.5,
    1.5), biases N(0, 0.1); running statistics are set layer by layer from
    the batch statistics of random images of ``shape`` (N, 3, H, W) (a
    hook per norm layer, so frozen norms get them too; H and W at least the
    training crop, which detectron2's fixed ASPP pooling needs); then the
    model is put in eval mode.
    """
    torch.manual_seed(seed)
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            module.weight.normal_(0, module.weight[0].numel()**-0.5)
            if 'offset' in name:
                module.weight.mul_(8)
            if module.bias is not None:
                module.bias.normal_(0, 0.1)
        elif _is_norm(module):
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0, 0.1)

    def calibrate(module, inputs):
        x = inputs[0]
        module.running_mean.copy_(x.mean(dim=(0, 2, 3)))
        module.running_var.copy_(x.var(dim=(0, 2, 3)))

    hooks = [
        m.register_forward_pre_hook(calibrate) for m in model.modules()
        if _is_norm(m)
    ]
    model.eval()  # each norm normalises with the statistics just set
    try:
        features = model.backbone(torch.randn(shape))
        model.sem_seg_head.layers(features)
        model.ins_embed_head.layers(features)
    finally:
        for hook in hooks:
            hook.remove()


def save_trainer_pth(model: nn.Module,
                     work_dir: str,
                     name: str,
                     iteration: int = 89999) -> str:
    """Write ``model`` as detectron2's trainer does (and the original's
    ``tools_d2`` with it): its ``DetectionCheckpointer`` saves
    ``{work_dir}/{name}.pth`` (``torch.save``) with the model's state dict,
    an Adam optimizer's state and the iteration. Returns the path."""
    from detectron2.checkpoint import DetectionCheckpointer
    optimizer = torch.optim.Adam(model.parameters())
    DetectionCheckpointer(
        model, work_dir, optimizer=optimizer).save(
            name, iteration=iteration)
    return osp.join(work_dir, name + '.pth')


def load_with_detectron2(model: nn.Module, path: str) -> List[str]:
    """Load a ``.pkl`` with detectron2's own ``DetectionCheckpointer``.

    Returns:
        list[str]: The keys it reports missing, unexpected or of another
        shape (empty when the file fills ``model`` exactly).
    """
    from detectron2.checkpoint import DetectionCheckpointer
    checkpointer = DetectionCheckpointer(model)
    checkpoint = checkpointer._load_file(path)
    checkpointer._parsed_url_during_load = None
    incompatible = checkpointer._load_model(checkpoint)
    return (list(incompatible.missing_keys) +
            list(incompatible.unexpected_keys) +
            [k for k, _, _ in incompatible.incorrect_shapes])


def detectron2_outputs(model: nn.Module,
                       x: torch.Tensor) -> Dict[str, torch.Tensor]:
    """detectron2's network outputs at input size, as its ``forward`` makes
    them (x4 bilinear, ``align_corners=False``, offsets x4).

    Args:
        x (Tensor): (1, 3, H, W) normalised input (H, W multiples of the
            ASPP pooling kernel x 16).

    Returns:
        dict[str, Tensor]: ``sem_seg`` (1, C, H, W), ``center`` (1, 1, H, W),
        ``offset`` (1, 2, H, W).
    """
    features = model.backbone(x)
    sem_seg, _ = model.sem_seg_head(features)
    center, offset, _, _ = model.ins_embed_head(features)
    return dict(sem_seg=sem_seg, center=center, offset=offset)


def detectron2_panoptic(repo: str) -> Callable[..., torch.Tensor]:
    """detectron2's ``get_panoptic_segmentation`` as its model calls it at
    test time: ``fn(outputs, thing_ids, label_divisor, stuff_area,
    center_threshold, nms_kernel, top_k) -> (H, W) int64`` (void = -1)."""
    add_detectron2_package(repo)
    from panoptic_deeplab.post_processing import get_panoptic_segmentation

    def run(outputs: Dict[str, torch.Tensor], thing_ids: List[int],
            label_divisor: int, stuff_area: int, center_threshold: float,
            nms_kernel: int, top_k: int) -> torch.Tensor:
        panoptic, _ = get_panoptic_segmentation(
            outputs['sem_seg'][0].argmax(dim=0, keepdim=True),
            outputs['center'][0],
            outputs['offset'][0],
            thing_ids=thing_ids,
            label_divisor=label_divisor,
            stuff_area=stuff_area,
            void_label=-1,
            threshold=center_threshold,
            nms_kernel=nms_kernel,
            top_k=top_k)
        return panoptic[0]

    return run


def thing_ids_of(cfg) -> List[int]:
    """Contiguous thing ids of the config's training dataset (detectron2's
    metadata catalog)."""
    from detectron2.data import MetadataCatalog
    meta = MetadataCatalog.get(cfg.DATASETS.TRAIN[0])
    return sorted(meta.thing_dataset_id_to_contiguous_id.values())


def parameter_count(state: Dict[str, torch.Tensor]) -> int:
    """Elements of every weight and bias (running statistics and counters
    excluded), so detectron2's frozen norms (buffers) count like mmpdl's
    norms (parameters)."""
    skip = ('running_mean', 'running_var', 'num_batches_tracked')
    return int(
        sum(v.numel() for k, v in state.items() if not k.endswith(skip)))


def numpy_shapes(state: Dict[str, torch.Tensor]) -> Dict[str, list]:
    """``{key: shape list}`` of a state dict (the key fixtures)."""
    return {k: list(np.shape(v)) for k, v in state.items()}
