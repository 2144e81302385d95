"""Fixtures of the API tests: images."""
import mmcv
import pytest

from mmpdl.datasets import render_scene


@pytest.fixture(scope='session')
def image_folder(tmp_path_factory):
    """A folder with scenes ``a.png`` and ``b.jpg`` (64x128) and a text
    file that folder listing must skip."""
    folder = tmp_path_factory.mktemp('images')
    for name, seed in (('a.png', 3), ('b.jpg', 4)):
        rgb, _ = render_scene(64, 128, seed)
        mmcv.imwrite(rgb[..., ::-1], str(folder / name))
    (folder / 'README.txt').write_text('not an image')
    return folder
