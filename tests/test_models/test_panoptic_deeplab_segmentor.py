"""PanopticDeepLab segmentor: training step, pad-then-crop, predictions."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData

from mmpdl.models.segmentors.panoptic_deeplab import PanopticDeepLab
from mmpdl.models.utils.panoptic_targets import stack_panoptic_targets
from mmpdl.structures import PanopticDataSample, PanopticMetaInfo
from .model_zoo_utils import BASE_MODEL, BN, R50_OS32, build_model, model_cfg

#: 5 classes, things 3 and 4, the default divisor 1000 and void 255
TOY_META = PanopticMetaInfo(
    classes=list('abcde'), thing_ids=[3, 4], label_ids=[1, 2, 3, 4, 5])


def tiny_model_cfg():
    """ResNet-18 os32 with narrow decoders, 5 classes, BN; the loss's
    ignore index written as the tools write it from the dataset."""
    model = copy.deepcopy(Config.fromfile(BASE_MODEL).model)
    model.data_preprocessor = None
    model.decode_head.loss_semantic.ignore_index = TOY_META.ignore_index
    model.backbone.update(
        depth=18, output_stride=32, norm_cfg=dict(BN), init_cfg=None)
    model.decode_head.update(
        in_channels=512,
        low_level_channels=(256, 128, 64),
        low_level_in_index=(2, 1, 0),
        atrous_rates=(3, 6, 9),
        num_classes=5,
        norm_cfg=dict(BN),
        semantic_branch=dict(
            aspp_channels=16,
            low_level_projections=(8, 8, 4),
            decoder_channels=16,
            head_channels=16),
        instance_branch=dict(
            aspp_channels=16,
            low_level_projections=(8, 4, 4),
            decoder_channels=8,
            head_channels=8))
    return model


def make_sample(height, width, num_classes=19, gt_size=None):
    """A data sample with every training target (random but valid)."""
    gh, gw = gt_size or (height, width)
    sample = PanopticDataSample(
        metainfo=dict(img_shape=(height, width), ori_shape=(height, width)))
    sem = torch.randint(0, num_classes, (1, gh, gw))
    sem[0, :3, :3] = 255
    sample.gt_sem_seg = PixelData(data=sem)
    sample.gt_sem_weights = PixelData(data=torch.ones(1, gh, gw))
    sample.gt_center = PixelData(data=torch.rand(1, gh, gw))
    sample.gt_center_weights = PixelData(data=torch.ones(1, gh, gw))
    sample.gt_offset = PixelData(data=torch.randn(2, gh, gw) * 5)
    weights = torch.zeros(1, gh, gw)
    weights[:, gh // 2:] = 1
    sample.gt_offset_weights = PixelData(data=weights)
    return sample


def test_r50_os32_training_step():
    torch.manual_seed(0)
    model = build_model(model_cfg(R50_OS32))
    model.train()
    inputs = torch.randn(2, 3, 64, 96)  # not k * 32 + 1: padded inside
    samples = [make_sample(64, 96) for _ in range(2)]
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_sem', 'loss_center', 'loss_offset'}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = model.decode_head.instance_head['offset'][1].weight.clone()
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert len(trainable) == len(list(model.parameters()))
    no_grad = [n for n, p in trainable if p.grad is None]
    assert no_grad == []
    assert all(torch.isfinite(p.grad).all() for _, p in trainable)
    optimizer.step()
    after = model.decode_head.instance_head['offset'][1].weight
    assert not torch.equal(before, after)


def test_forward_pads_then_crops():
    torch.manual_seed(0)
    model = build_model(tiny_model_cfg()).eval()
    inputs = torch.randn(1, 3, 50, 70)
    with torch.no_grad():
        out = model._forward(inputs)
        # the same network on the input zero-padded to 65x97 by hand
        padded = F.pad(inputs, (0, 97 - 70, 0, 65 - 50))
        preds = model.decode_head(model.extract_feat(padded))
        ref = F.interpolate(
            preds['offset'], (65, 97), mode='bilinear', align_corners=True)
    assert tuple(out['sem_seg'].shape) == (1, 5, 50, 70)
    # stride-4 output 17x25 -> 65x97: offsets scaled by (65 - 1) // 16 = 4
    assert torch.allclose(out['offset'], 4 * ref[:, :, :50, :70], atol=1e-6)


def test_targets_are_padded_and_missing_ones_named():
    sample = make_sample(8, 8, gt_size=(6, 7))
    del sample.gt_sem_weights
    targets = stack_panoptic_targets([sample], (8, 8), 255)
    assert tuple(targets['offset'].shape) == (1, 2, 8, 8)
    assert (targets['sem_seg'][0, 6:] == 255).all()
    assert (targets['sem_seg'][0, :, 7:] == 255).all()
    assert targets['center_weights'][0, 6:].sum() == 0
    assert targets['sem_weights'][0, :6, :7].eq(1).all()
    del sample.gt_offset
    with pytest.raises(KeyError, match='gt_offset'):
        stack_panoptic_targets([sample], (8, 8), 255)


def test_undo_test_transforms_crop_flip_resize():
    model = build_model(tiny_model_cfg())
    maps = dict(
        sem_seg=torch.zeros(1, 5, 7, 11),
        center=torch.zeros(1, 1, 7, 11),
        offset=torch.stack([torch.ones(7, 11),
                            torch.full((7, 11), 2.0)])[None])
    maps['sem_seg'][0, 0, :, 0] = 1.0  # left column of the unpadded image
    meta = dict(
        padding_size=[0, 2, 0, 2],  # left, right, top, bottom
        flip=True,
        flip_direction='horizontal',
        ori_shape=(9, 17))
    out = model._undo_test_transforms(maps, meta)
    assert tuple(out['sem_seg'].shape) == (1, 5, 9, 17)
    # after the flip the marked column is the right-most one
    assert out['sem_seg'][0, 0, :, -1].eq(1).all()
    assert out['sem_seg'][0, 0, :, 0].eq(0).all()
    # dy: (9 - 1) / (5 - 1) = 2; dx: -2 (flip) * (17 - 1) / (9 - 1)
    assert torch.allclose(out['offset'][0, 0], torch.full((9, 17), 2.0))
    assert torch.allclose(out['offset'][0, 1], torch.full((9, 17), -4.0))


def test_predict_raw_at_original_size():
    torch.manual_seed(0)
    model = build_model(tiny_model_cfg()).eval()
    metas = [dict(img_shape=(40, 60), ori_shape=(80, 120))]
    with torch.no_grad():
        raw = model.predict_raw(torch.randn(1, 3, 40, 60), metas)[0]
    assert tuple(raw['sem_probs'].shape) == (5, 80, 120)
    assert torch.allclose(raw['sem_probs'].sum(0), torch.ones(80, 120))
    assert tuple(raw['center'].shape) == (1, 80, 120)
    assert tuple(raw['offset'].shape) == (2, 80, 120)


def test_predict_end_to_end():
    torch.manual_seed(0)
    model = build_model(tiny_model_cfg()).eval()
    samples = [
        PanopticDataSample(
            metainfo=dict(
                img_shape=(33, 41), ori_shape=(33,
                                               41), panoptic_meta=TOY_META))
    ]
    with torch.no_grad():
        result = model.predict(torch.randn(1, 3, 33, 41), samples)[0]
    sem = result.pred_sem_seg.data
    assert tuple(sem.shape) == (1, 33, 41)
    assert torch.equal(sem, result.seg_logits.data.argmax(0, keepdim=True))
    panoptic = result.pred_panoptic_seg.data
    assert tuple(panoptic.shape) == (1, 33, 41)
    classes = set((panoptic // 1000).unique().tolist())
    assert classes <= set(range(5)) | {255}
    inst = result.pred_instances
    for mask, inst_id in zip(inst.masks, inst.instance_ids):
        assert torch.equal(mask, panoptic[0] == inst_id)
    assert tuple(result.pred_offset.data.shape) == (2, 33, 41)


def test_predict_without_dataset_meta_names_the_fix():
    model = build_model(tiny_model_cfg()).eval()
    with torch.no_grad(), pytest.raises(
            KeyError, match='the post-processor needs the dataset'):
        model.predict(torch.randn(1, 3, 33, 41))
    model.dataset_meta = dict(
        classes=list('abcdef'), thing_ids=[3], label_ids=list(range(1, 7)))
    with torch.no_grad(), pytest.raises(
            ValueError, match='the network has 5 classes'):
        model.predict(torch.randn(1, 3, 33, 41))


@pytest.mark.parametrize('change,match', [
    (lambda m: m.backbone.update(depth=77), 'depth=77'),
    (lambda m: m.backbone.update(output_stride=12), 'output_stride=12'),
    (lambda m: m.decode_head.update(low_level_in_index=(5, 1, 0)),
     'low_level_in_index entry 5'),
    (lambda m: m.decode_head.update(low_level_channels=(256, 128, 32)),
     'expects 32 channels'),
    (lambda m: m.decode_head.update(low_level_in_index=(2, 1)),
     r'low_level_in_index=\(2, 1\)'),
])
def test_wrong_model_config_values_are_named(change, match):
    cfg = tiny_model_cfg()
    change(cfg)
    with pytest.raises((ValueError, KeyError), match=match):
        build_model(cfg)


def test_is_registered_segmentor():
    model = build_model(tiny_model_cfg())
    assert isinstance(model, PanopticDeepLab)
    assert model.align_corners is True


def test_train_and_val_step_through_the_data_preprocessor():
    """The base config's SegDataPreProcessor feeds the model uint8 images of
    any size (here 40x50 and 36x50 in one batch)."""
    torch.manual_seed(0)
    cfg = tiny_model_cfg()
    cfg.data_preprocessor = Config.fromfile(BASE_MODEL).data_preprocessor
    cfg.data_preprocessor.seg_pad_val = TOY_META.ignore_index
    model = build_model(cfg)
    sizes = [(40, 50), (36, 50)]
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, *s), dtype=torch.uint8) for s in sizes
        ],
        data_samples=[make_sample(*s, num_classes=5) for s in sizes])
    model.dataset_meta = TOY_META.to_dict()
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-4))
    log_vars = model.train_step(data, optim)
    assert {'loss', 'loss_sem', 'loss_center', 'loss_offset'} <= set(log_vars)
    assert all(torch.isfinite(v) for v in log_vars.values())
    model.eval()
    val = dict(
        inputs=[torch.randint(0, 256, (3, 36, 50), dtype=torch.uint8)],
        data_samples=[make_sample(36, 50, num_classes=5)])
    result = model.val_step(val)[0]
    assert tuple(result.pred_sem_seg.data.shape) == (1, 36, 50)
    assert tuple(result.pred_offset.data.shape) == (2, 36, 50)
