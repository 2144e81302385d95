"""Prepare Cityscapes panoptic ground truth with cityscapesscripts' own code.

``prepare_cityscapes_panoptic(root)`` runs, on an extracted Cityscapes tree
(``root/leftImg8bit/<split>/<city>/*`` + ``root/gtFine/<split>/<city>/*``):

1. cityscapesscripts' ``json2labelImg`` (what ``createTrainIdLabelImgs``
   runs) for every ``*_gtFine_polygons.json``, writing
   ``*_gtFine_labelTrainIds.png`` (skipped when there are no polygon files,
   e.g. for the built-in dataset, which ships label and instance PNGs);
2. cityscapesscripts' ``convert2panoptic`` (``createPanopticImgs``) for each
   split, writing ``gtFine/cityscapes_panoptic_<split>.json`` and the PNG
   folder ``gtFine/cityscapes_panoptic_<split>/``.

Outputs are first written under temporary names and renamed at the end (the
JSON last), so an interrupted run never leaves output that looks complete.
"""
import contextlib
import glob
import io
import os
import os.path as osp
import shutil
import tempfile
from multiprocessing import Pool
from typing import Sequence

DOWNLOAD_PAGE = 'https://www.cityscapes-dataset.com/downloads/'
SPLITS = ('train', 'val')


def check_cityscapes_root(root: str, splits: Sequence[str] = SPLITS) -> None:
    """Raise a clear error when ``root`` lacks the extracted folders.

    Args:
        root (str): The Cityscapes root (holding leftImg8bit/ and gtFine/).
        splits (Sequence[str]): Splits that must be present.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(
            f'Cityscapes root {root!r} does not exist. Download '
            'leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from '
            f'{DOWNLOAD_PAGE} and extract both into it.')
    for folder in ('leftImg8bit', 'gtFine'):
        for split in splits:
            path = osp.join(root, folder, split)
            if not osp.isdir(path):
                raise FileNotFoundError(
                    f'expected folder {path!r} is missing. Extract '
                    f'{folder}_trainvaltest.zip (from {DOWNLOAD_PAGE}) into '
                    f'{root!r} so that it holds {folder}/{split}/<city>/.')
        if not glob.glob(
                osp.join(root, 'gtFine', splits[0], '*',
                         '*_gtFine_instanceIds.png')):
            raise FileNotFoundError(
                f'no *_gtFine_instanceIds.png under '
                f'{osp.join(root, "gtFine", splits[0])!r}: is gtFine '
                f'extracted there (from {DOWNLOAD_PAGE})?')


def _polygons_to_train_ids(json_path: str) -> None:
    """``*_labelTrainIds.png`` of one polygon file, drawn by
    cityscapesscripts' ``createLabelImage`` (what its ``json2labelImg``
    runs) and written atomically: a random, exclusively created temporary
    name, then a rename that replaces a symlink at the output's place
    instead of writing through it (an archive may ship such links)."""
    from cityscapesscripts.helpers.annotation import Annotation
    from cityscapesscripts.preparation.json2labelImg import createLabelImage

    from mmpdl.utils.atomic_io import atomic_write_bytes
    annotation = Annotation()
    annotation.fromJsonFile(json_path)
    buffer = io.BytesIO()
    createLabelImage(annotation, 'trainIds').save(buffer, format='PNG')
    atomic_write_bytes(
        buffer.getvalue(),
        json_path.replace('_polygons.json', '_labelTrainIds.png'))


def create_train_id_pngs(root: str, nproc: int = 1) -> int:
    """``*_gtFine_labelTrainIds.png`` from the polygon files (if any).

    Returns:
        int: Number of polygon files converted.
    """
    files = sorted(
        glob.glob(osp.join(root, 'gtFine', '*', '*', '*_polygons.json')))
    if not files:
        return 0
    if nproc > 1:
        with Pool(nproc) as pool:
            pool.map(_polygons_to_train_ids, files, chunksize=8)
    else:
        for path in files:
            _polygons_to_train_ids(path)
    return len(files)


def _convert_split(args) -> str:
    """Run ``convert2panoptic`` for one split into a temporary folder and
    move its outputs into ``gtFine/`` (PNG folder first, JSON last)."""
    from cityscapesscripts.preparation.createPanopticImgs import \
        convert2panoptic
    gt_dir, split, verbose = args
    name = f'cityscapes_panoptic_{split}'
    tmp_dir = tempfile.mkdtemp(prefix=f'.tmp-{name}-', dir=gt_dir)
    try:
        log = io.StringIO()
        redirect = contextlib.nullcontext() if verbose else \
            contextlib.redirect_stdout(log)
        with redirect:
            try:
                convert2panoptic(gt_dir, tmp_dir, False, [split])
            except SystemExit:
                raise RuntimeError(
                    f'cityscapesscripts found no *_instanceIds.png in '
                    f'{osp.join(gt_dir, split)!r}:\n{log.getvalue()}')
        final_dir = osp.join(gt_dir, name)
        final_json = osp.join(gt_dir, name + '.json')
        for stale in (final_json, final_dir):
            if osp.islink(stale) or osp.isfile(stale):
                os.remove(stale)  # a link itself, never what it points to
            elif osp.isdir(stale):
                shutil.rmtree(stale)
        os.replace(osp.join(tmp_dir, name), final_dir)
        os.replace(osp.join(tmp_dir, name + '.json'), final_json)
        return final_json
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def prepare_cityscapes_panoptic(root: str,
                                nproc: int = 1,
                                splits: Sequence[str] = SPLITS,
                                verbose: bool = True) -> list:
    """Make the panoptic ground truth of ``root`` with cityscapesscripts.

    Args:
        root (str): Cityscapes root folder.
        nproc (int): Processes (polygon conversion; splits in parallel).
        splits (Sequence[str]): Splits to convert.
        verbose (bool): Show cityscapesscripts' own progress output.

    Returns:
        list[str]: The written panoptic JSON files.
    """
    check_cityscapes_root(root, splits)
    create_train_id_pngs(root, nproc)
    gt_dir = osp.join(root, 'gtFine')
    jobs = [(gt_dir, split, verbose) for split in splits]
    if nproc > 1 and len(jobs) > 1:
        with Pool(min(nproc, len(jobs))) as pool:
            return pool.map(_convert_split, jobs)
    return [_convert_split(job) for job in jobs]
