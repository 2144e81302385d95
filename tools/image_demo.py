"""Draw the panoptic prediction of a checkpoint on an image or a folder.

Examples::

    # one image -> one picture (image | prediction)
    python tools/image_demo.py demo/demo.png CONFIG CHECKPOINT \
        --out-file out.png
    # every image of a folder -> OUT_DIR/<image name>.png
    python tools/image_demo.py IMAGE_DIR CONFIG CHECKPOINT --out-file OUT_DIR
    # no --out-file: shown in a window, as MMSegmentation's demo does; on a
    # machine without a display written to work_dirs/image_demo/<name>.png
    python tools/image_demo.py demo/demo.png CONFIG CHECKPOINT
    # the exported model (tools/deployment/pytorch2onnx.py) in onnxruntime;
    # its config is read from the file
    python tools/image_demo.py demo/demo.png CONFIG model.onnx \
        --out-file out.png --backend onnxruntime

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
    from mmpdl.apis.panoptic_inferencer import backend_names
    parser = argparse.ArgumentParser(
        description='Panoptic-DeepLab demo on an image or a folder')
    parser.add_argument('img', help='image file, or a folder of images')
    parser.add_argument(
        'config',
        help='config file (or model name); with a --backend other than '
        'pytorch the one inside the .onnx file is used')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file; with a --backend other than pytorch the '
        '.onnx file of tools/deployment/pytorch2onnx.py')
    parser.add_argument(
        '--out-file',
        default=None,
        help='picture to write (.png); a folder when IMG is a folder. '
        'Default: show each picture in a window; without a display, write '
        'work_dirs/image_demo/<image name>.png')
    parser.add_argument(
        '--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument(
        '--backend',
        default='pytorch',
        choices=backend_names(),
        help='run the checkpoint with PyTorch, or the exported .onnx file '
        'with a registered backend (its config comes from the file)')
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
    if args.out_file and osp.isdir(args.img) and osp.isfile(args.out_file):
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


def picture_paths(img: str, images: list, out: str, one_file: bool) -> list:
    """Where the picture of each image goes: ``out`` itself for a single
    image given an ``--out-file``, else ``out/<image stem>.png``."""
    if one_file and not osp.isdir(img):
        return [out]
    return [
        osp.join(out,
                 osp.splitext(osp.basename(p))[0] + '.png') for p in images
    ]


def main(argv=None) -> list:
    """Run the demo; returns the written picture paths (none when the
    pictures are only shown in a window)."""
    args = parse_args(argv)
    check_args(args)
    import mmcv
    from mmengine.utils import mkdir_or_exist

    from mmpdl.apis import PanopticInferencer
    from mmpdl.apis.inferencer_io import list_images
    from mmpdl.utils.display import default_output_dir, has_display
    show = args.show or (args.out_file is None and has_display())
    out = args.out_file
    if out is None and not show:
        out = default_output_dir('image_demo')
        print(f'no --out-file and no display: the pictures go to {out}/')
    if args.backend == 'pytorch':
        inferencer = PanopticInferencer(
            args.config, args.checkpoint, device=args.device)
    else:
        inferencer = PanopticInferencer(
            args.checkpoint, device=args.device, backend=args.backend)
    draw = dict(
        opacity=args.opacity,
        with_center_offset=args.with_center_offset,
        show=show)
    images = list_images(args.img) if osp.isdir(args.img) else [args.img]
    targets = picture_paths(args.img, images, out, args.out_file
                            is not None) if out else [None] * len(images)
    for image, target in zip(images, targets):  # one by one: flat memory
        result = inferencer(image, return_vis=target is not None, **draw)
        if target is not None:
            mkdir_or_exist(osp.dirname(osp.abspath(target)))
            mmcv.imwrite(mmcv.rgb2bgr(result['visualization']), target)
        print(describe(inferencer.input_names[0], result['predictions']))
    written = [target for target in targets if target is not None]
    if written:
        where = written[0] if len(written) == 1 else osp.abspath(out)
        print(f'wrote {len(written)} picture(s): {where}')
    return written


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ImportError, KeyError, ValueError,
            TypeError) as error:
        sys.exit(f'image_demo.py: error: {error}')
