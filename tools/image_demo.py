"""Draw the panoptic prediction of a checkpoint on an image or a folder.

Examples::

    # one image -> one picture (image | prediction)
    python tools/image_demo.py demo.png CONFIG CHECKPOINT --out-file out.png
    # every image of a folder -> OUT_DIR/<image name>.png
    python tools/image_demo.py IMAGE_DIR CONFIG CHECKPOINT --out-file OUT_DIR

The picture shows the image, then the prediction over it: stuff in the
Cityscapes palette, each instance in its own shade of its class colour
with a white contour and its class name; ``--with-center-offset`` adds the
predicted center heatmap and offset field (hue = direction).
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Panoptic-DeepLab demo on an image or a folder')
    parser.add_argument('img', help='image file, or a folder of images')
    parser.add_argument('config', help='config file (or model name)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file',
        required=True,
        help='picture to write (.png); a folder when IMG is a folder')
    parser.add_argument(
        '--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.6,
        help='opacity of the panoptic colours over the image, 0-1')
    parser.add_argument(
        '--with-center-offset',
        action='store_true',
        help='also draw the center heatmap and the offset field')
    parser.add_argument(
        '--show', action='store_true', help='also show it in a window')
    return parser.parse_args(argv)


def check_args(args) -> None:
    """Clear errors for missing paths and out-of-range values."""
    if not osp.exists(args.img):
        raise FileNotFoundError(f'image or folder not found: {args.img!r}')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint!r}')
    if not 0 <= args.opacity <= 1:
        raise ValueError(f'--opacity must be in [0, 1], got {args.opacity}')
    if osp.isdir(args.img) and osp.isfile(args.out_file):
        raise ValueError(f'{args.img!r} is a folder, so --out-file must be '
                         f'a folder, but {args.out_file!r} is a file')


def describe(name: str, prediction: dict) -> str:
    """One line per image: its instances by class."""
    counts = {}
    for instance in prediction['instances']:
        counts[instance['class_name']] = counts.get(instance['class_name'],
                                                    0) + 1
    found = ', '.join(f'{n} {c}' for c, n in sorted(counts.items()))
    return f'{name}: {found or "no instances"}'


def main(argv=None) -> list:
    """Run the demo; returns the written picture paths."""
    args = parse_args(argv)
    check_args(args)
    import mmcv
    from mmengine.utils import mkdir_or_exist

    from mmpdl.apis import PanopticInferencer
    from mmpdl.apis.inferencer_io import list_images
    inferencer = PanopticInferencer(
        args.config, args.checkpoint, device=args.device)
    draw = dict(
        opacity=args.opacity,
        with_center_offset=args.with_center_offset,
        show=args.show)
    if osp.isdir(args.img):
        images = list_images(args.img)
        targets = [
            osp.join(args.out_file,
                     osp.splitext(osp.basename(p))[0] + '.png') for p in images
        ]
    else:
        images, targets = [args.img], [args.out_file]
    for image, target in zip(images, targets):  # one by one: flat memory
        result = inferencer(image, return_vis=True, **draw)
        mkdir_or_exist(osp.dirname(osp.abspath(target)))
        mmcv.imwrite(mmcv.rgb2bgr(result['visualization']), target)
        print(describe(inferencer.input_names[0], result['predictions']))
    where = targets[0] if len(targets) == 1 else osp.abspath(args.out_file)
    print(f'wrote {len(targets)} picture(s): {where}')
    return targets


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError, TypeError) as error:
        sys.exit(f'image_demo.py: error: {error}')
