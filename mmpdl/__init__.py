"""mmpdl: Panoptic-DeepLab as an OpenMMLab codebase."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

MMCV_MIN = '2.0.0'
MMCV_MAX = '2.2.0'
MMENGINE_MIN = '0.10.0'
MMENGINE_MAX = '1.0.0'
MMSEG_MIN = '1.2.0'
MMSEG_MAX = '1.3.0'


def _check_version(name, installed, low, high):
    """Raise if ``low <= installed < high`` does not hold."""
    if not digit_version(low) <= digit_version(installed) < digit_version(
            high):
        raise AssertionError(
            f'{name}=={installed} is used but incompatible with mmpdl '
            f'{__version__}. Please install {name}>={low}, <{high}.')


_check_version('mmcv', mmcv.__version__, MMCV_MIN, MMCV_MAX)
_check_version('mmengine', mmengine.__version__, MMENGINE_MIN, MMENGINE_MAX)

from .utils.compat import apply_compat  # noqa: E402

apply_compat()

import mmseg  # noqa: E402

_check_version('mmseg', mmseg.__version__, MMSEG_MIN, MMSEG_MAX)

__all__ = ['__version__', 'version_info']
