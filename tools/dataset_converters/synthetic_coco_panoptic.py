"""Generate the built-in synthetic dataset in COCO-panoptic format.

Usage::

    python tools/dataset_converters/synthetic_coco_panoptic.py OUT_DIR \
        [--train 40] [--val 10] [--size 256x384] [--seed 0]

Writes ``OUT_DIR/{train,val}/*.jpg``, ``OUT_DIR/annotations/
panoptic_{train,val}.json`` and the PNG folders ``OUT_DIR/annotations/
panoptic_{train,val}/``: 9 classes (4 things) with the category ids
1, 3, 7, 12, 15, 23, 40, 57, 90, images of different sizes (each side in
[0.6, 1] times ``--size``), crowd regions and void pixels
(mmpdl/datasets/synthetic_coco_panoptic.py). Re-running with the same
arguments does nothing.
"""
import argparse
import time

from mmpdl.datasets.synthetic_scenes import parse_size


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Generate the built-in COCO-panoptic-format dataset')
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--train', type=int, default=40, help='train images')
    parser.add_argument('--val', type=int, default=10, help='val images')
    parser.add_argument(
        '--size',
        type=parse_size,
        default=(256, 384),
        help='largest HxW, e.g. 256x384 (each side varies down to 0.6x)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.datasets.synthetic_coco_panoptic import \
        make_synthetic_coco_panoptic
    start = time.time()
    wrote = make_synthetic_coco_panoptic(
        args.out_dir,
        num_train=args.train,
        num_val=args.val,
        size=args.size,
        seed=args.seed)
    if wrote:
        print(f'wrote {args.train} train + {args.val} val images of up to '
              f'{args.size[0]}x{args.size[1]} to {args.out_dir} in '
              f'{time.time() - start:.1f} s')
    else:
        print(f'{args.out_dir} already holds this dataset: nothing to do')


if __name__ == '__main__':
    main()
