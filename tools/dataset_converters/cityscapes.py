"""Make Cityscapes panoptic ground truth with cityscapesscripts.

Usage::

    python tools/dataset_converters/cityscapes.py data/cityscapes [--nproc 8]

Expects the extracted ``leftImg8bit/`` and ``gtFine/`` under the root;
writes ``gtFine/cityscapes_panoptic_{train,val}.json`` + PNG folders (and
``*_gtFine_labelTrainIds.png`` from the polygon files).
"""
import argparse
import time


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Prepare Cityscapes panoptic annotations')
    parser.add_argument('root', help='Cityscapes root folder')
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of processes')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val'], help='splits')
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.datasets.cityscapes_prepare import prepare_cityscapes_panoptic
    start = time.time()
    try:
        written = prepare_cityscapes_panoptic(
            args.root, nproc=args.nproc, splits=args.splits)
    except FileNotFoundError as err:
        raise SystemExit(f'error: {err}')
    for path in written:
        print(f'wrote {path}')
    print(f'done in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
