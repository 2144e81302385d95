"""What the training-parity checks found in the model and losses, pinned
against the references' code written out as stated facts
(tools/model_converters/verify_training_against_*.py)."""
import torch
import torch.nn.functional as F

from mmpdl.models.decode_heads.panoptic_aspp import PanopticASPP
from mmpdl.models.losses import DeepLabCELoss, WeightedL1Loss


def test_detectron2_offset_loss_divides_by_the_one_channel_weights():
    # detectron2: (L1(pred, target) * w[:, None]).sum() / w.sum(), w of
    # shape (N, 1, H, W): both offset channels over one weight sum
    pred = torch.tensor([[[[1.0, -2.0]], [[0.5, 4.0]]]])  # (1, 2, 1, 2)
    target = torch.zeros_like(pred)
    weights = torch.tensor([[[1.0, 0.0]]])  # (1, 1, 2)
    detectron2 = WeightedL1Loss(loss_weight=1.0, normalize_over_channels=False)
    original = WeightedL1Loss(loss_weight=1.0)
    # only the first pixel counts: |1| + |0.5| = 1.5 over sum(w) = 1
    assert detectron2(pred, target, weights).item() == 1.5
    # the original expands the weights over both channels: 1.5 / 2
    assert original(pred, target, weights).item() == 0.75


def test_top_k_mean_is_the_references_to_the_last_bit():
    """The references take ``torch.topk(pixel_losses, k)[0].mean()``
    (sorted): with many tied losses, an unsorted top-k sums them in another
    order and the loss differs in its last bits."""
    torch.manual_seed(0)
    # 50 loss levels on 2 x 64 x 64 pixels: ties at many values
    levels = torch.randint(0, 50, (2, 1, 64, 64)).float() * 0.3141592
    logits = torch.cat([levels, torch.zeros_like(levels)], dim=1)
    labels = torch.ones(2, 64, 64, dtype=torch.long)
    ours = DeepLabCELoss(
        top_k_percent_pixels=0.2, ignore_index=255)(logits, labels)
    pixel_losses = F.cross_entropy(logits, labels, reduction='none').view(-1)
    top_k = int(0.2 * pixel_losses.numel())
    reference = torch.topk(pixel_losses, top_k)[0].mean()
    assert ours.item() == reference.item()
    unsorted = torch.topk(pixel_losses, top_k, sorted=False)[0].mean()
    assert unsorted.item() != reference.item()  # what the test would catch


def test_aspp_runs_its_convs_before_the_image_pooling():
    """The references' ASPP (the original's, detectron2's) runs the 1x1 and
    atrous convs, then the pooling branch; the gradients of the input from
    the five branches are summed in that order (float rounding)."""
    aspp = PanopticASPP(
        in_channels=8,
        channels=4,
        atrous_rates=(1, 2, 3),
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU'))
    calls = []
    aspp.aspp_convs.register_forward_hook(lambda *_: calls.append('convs'))
    aspp.image_pool.register_forward_hook(lambda *_: calls.append('pool'))
    aspp(torch.randn(2, 8, 9, 9))
    assert calls == ['convs', 'pool']
