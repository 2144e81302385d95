"""Whether a picture can be shown in a window, and where tools write it
when it cannot."""
import os
import os.path as osp
import sys


def has_display() -> bool:
    """True when a window can be opened: on Linux an X11 or Wayland
    display is set (``DISPLAY`` / ``WAYLAND_DISPLAY``); other systems
    always have one."""
    if not sys.platform.startswith('linux'):
        return True
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


def default_output_dir(tool: str) -> str:
    """``work_dirs/<tool>``: where a tool writes the pictures it was not
    told where to write and cannot show."""
    return osp.join('work_dirs', tool)
