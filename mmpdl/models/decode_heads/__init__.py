"""mmpdl.models.decode_heads."""
from .panoptic_aspp import PanopticASPP
from .panoptic_decoder_branch import PanopticDecoderBranch
from .panoptic_deeplab_head import PanopticDeepLabHead

__all__ = ['PanopticASPP', 'PanopticDecoderBranch', 'PanopticDeepLabHead']
