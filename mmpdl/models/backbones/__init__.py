"""mmpdl.models.backbones."""
from .hrnet_align_corners import PanopticHRNet
from .torchvision_mobilenet_v2 import TorchvisionMobileNetV2
from .torchvision_mobilenet_v3 import TorchvisionMobileNetV3
from .torchvision_resnet import TorchvisionResNet
from .xception65 import Xception65

__all__ = [
    'TorchvisionResNet', 'TorchvisionMobileNetV2', 'TorchvisionMobileNetV3',
    'Xception65', 'PanopticHRNet'
]
