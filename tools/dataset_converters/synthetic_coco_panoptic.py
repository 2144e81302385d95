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
import time

from mmpdl.datasets.synthetic_scenes import generator_arg_parser


def parse_args(argv=None):
    """Parse the command line."""
    return generator_arg_parser(
        'Generate the built-in COCO-panoptic-format dataset', (256, 384),
        'largest HxW, e.g. 256x384 (each side varies down to 0.6x)'
    ).parse_args(argv)


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
