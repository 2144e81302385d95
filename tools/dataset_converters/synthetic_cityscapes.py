"""Generate the built-in synthetic dataset in the Cityscapes layout.

Usage::

    python tools/dataset_converters/synthetic_cityscapes.py OUT_DIR \
        [--train 40] [--val 10] [--test 0] [--size 256x512] [--seed 0]

``--test N`` also writes N images of a test split without annotations
(``leftImg8bit/test``), for trying ``tools/test.py`` on an unlabeled split.

The panoptic JSON/PNGs are made by cityscapesscripts (the same converter as
tools/dataset_converters/cityscapes.py). Re-running with the same arguments
does nothing.
"""
import time

from mmpdl.datasets.synthetic_scenes import generator_arg_parser


def parse_args(argv=None):
    """Parse the command line."""
    parser = generator_arg_parser(
        'Generate the built-in Cityscapes-format dataset', (256, 512),
        'HxW, e.g. 256x512')
    parser.add_argument(
        '--test',
        type=int,
        default=0,
        help='test images (no annotations, like the real test split)')
    parser.add_argument(
        '--nproc', type=int, default=1, help='conversion processes')
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.datasets.synthetic_cityscapes import make_synthetic_cityscapes
    start = time.time()
    wrote = make_synthetic_cityscapes(
        args.out_dir,
        num_train=args.train,
        num_val=args.val,
        size=args.size,
        seed=args.seed,
        nproc=args.nproc,
        num_test=args.test)
    test = f' + {args.test} test' if args.test else ''
    if wrote:
        print(f'wrote {args.train} train + {args.val} val{test} images of '
              f'{args.size[0]}x{args.size[1]} to {args.out_dir} in '
              f'{time.time() - start:.1f} s')
    else:
        print(f'{args.out_dir} already holds this dataset: nothing to do')


if __name__ == '__main__':
    main()
