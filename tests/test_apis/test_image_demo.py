"""tools/image_demo.py: pictures of a file and a folder; bad input."""
import os.path as osp
import re
import subprocess
import sys

import mmcv
import numpy as np
import pytest

from repo import QUICKSTART, ROOT, load_script

image_demo = load_script('tools/image_demo.py')


def test_one_image(tiny_checkpoint, image_folder, tmp_path, capsys):
    img = str(image_folder / 'a.png')
    out = str(tmp_path / 'sub' / 'out.png')
    assert image_demo.main(
        [img, QUICKSTART, tiny_checkpoint, '--out-file', out]) == [out]
    picture = mmcv.imread(out)
    assert picture.shape == (64, 256, 3)
    np.testing.assert_array_equal(picture[:, :128], mmcv.imread(img))
    assert not np.array_equal(picture[:, 128:], picture[:, :128])
    assert re.search(r'^a: \d+ [a-z]+', capsys.readouterr().out, re.M)
    image_demo.main([
        img, QUICKSTART, tiny_checkpoint, '--out-file', out,
        '--with-center-offset', '--opacity', '0.3'
    ])
    assert mmcv.imread(out).shape == (64, 512, 3)


def test_folder(tiny_checkpoint, image_folder, tmp_path):
    out_dir = tmp_path / 'pictures'
    written = image_demo.main([
        str(image_folder), QUICKSTART, tiny_checkpoint, '--out-file',
        str(out_dir)
    ])
    assert written == [str(out_dir / 'a.png'), str(out_dir / 'b.png')]
    assert sorted(p.name for p in out_dir.iterdir()) == ['a.png', 'b.png']
    assert mmcv.imread(written[1]).shape == (64, 256, 3)


def test_missing_and_non_image_inputs(tiny_checkpoint, tmp_path):
    missing = str(tmp_path / 'missing.png')
    out = str(tmp_path / 'o.png')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        image_demo.main(
            [missing, QUICKSTART, tiny_checkpoint, '--out-file', out])
    text = tmp_path / 'table.png'
    text.write_text('a,b\n1,2\n')
    with pytest.raises(ValueError, match='table.png'):
        image_demo.main(
            [str(text), QUICKSTART, tiny_checkpoint, '--out-file', out])
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        image_demo.main([
            str(text), QUICKSTART,
            str(tmp_path / 'gone.pth'), '--out-file', out
        ])
    assert not osp.exists(out)


def test_command_line_error_is_one_line(tmp_path):
    """The script exits with the message, not a traceback."""
    proc = subprocess.run([
        sys.executable, 'tools/image_demo.py',
        str(tmp_path / 'missing.png'), QUICKSTART, 'x.pth', '--out-file',
        str(tmp_path / 'o.png')
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr
    assert 'missing.png' in proc.stderr


def test_without_out_file_and_display_writes_default(tiny_checkpoint,
                                                     image_folder, tmp_path,
                                                     monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    img = str(image_folder / 'b.jpg')
    written = image_demo.main(
        [img, osp.join(ROOT, QUICKSTART), tiny_checkpoint])
    assert written == [osp.join('work_dirs', 'image_demo', 'b.png')]
    assert mmcv.imread(str(tmp_path / written[0])).shape == (64, 256, 3)
    out = capsys.readouterr().out
    assert 'no --out-file and no display' in out
    assert f'wrote 1 picture(s): {written[0]}' in out


def test_without_out_file_with_display_shows(tiny_checkpoint, image_folder,
                                             tmp_path, monkeypatch):
    from mmpdl.visualization import PanopticLocalVisualizer
    shown = []
    monkeypatch.setattr(
        PanopticLocalVisualizer, 'show',
        lambda self, picture, **kwargs: shown.append(picture.shape))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('DISPLAY', ':0')
    assert image_demo.main(
        [str(image_folder),
         osp.join(ROOT, QUICKSTART), tiny_checkpoint]) == []
    assert shown == [(64, 256, 3), (64, 256, 3)]
    assert not (tmp_path / 'work_dirs').exists()
