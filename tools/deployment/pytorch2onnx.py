"""Export a Panoptic-DeepLab checkpoint to one ONNX file.

The graph takes the raw image, (H, W, 3) uint8 BGR as ``cv2.imread``
returns it, and does the normalisation and the ``k * 32 + 1`` padding
itself; it returns ``sem_logits`` (1, C, H, W), ``center`` (1, 1, H, W)
and ``offset`` (1, 2, H, W), and with ``--with-postprocess`` also
``panoptic`` and ``sem_seg`` (H, W) int64 and, per center slot (top_k),
``instance_ids``, ``labels``, ``scores``, ``scores_sem_x_ctr``.

The TorchScript exporter is used (``torch.onnx.export(..., dynamo=False)``):
the dynamo exporter cannot trace the post-processing, whose number of kept
centers depends on the data; the tracer records it as ONNX operators
(``TopK``, ``Range``, ``ScatterElements``) that run for any count.

Examples::

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT \\
        --out model.onnx --shape 1025 2049 --with-postprocess --verify
    # any image size
    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT \\
        --out model.onnx --dynamic --with-postprocess --verify
"""
import argparse
import sys


def parse_args(argv=None):
    """Parse the command line."""
    from mmpdl.deployment.onnx_export import DEFAULT_OPSET
    parser = argparse.ArgumentParser(
        description='Export Panoptic-DeepLab to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (omit it to export random weights)')
    parser.add_argument('--out', required=True, help='.onnx file to write')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[1025, 2049],
        metavar=('H', 'W'),
        help='image size the file accepts (the traced size with --dynamic)')
    parser.add_argument(
        '--dynamic', action='store_true', help='accept any image size')
    parser.add_argument(
        '--with-postprocess',
        action='store_true',
        help='put the post-processing (panoptic map, instance scores) into '
        'the graph')
    parser.add_argument(
        '--opset', type=int, default=DEFAULT_OPSET, help='ONNX opset')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare onnxruntime with PyTorch and print the table')
    parser.add_argument(
        '--images',
        nargs='+',
        default=[],
        help='images for --verify (default: a random image of --shape, '
        'and with --dynamic one of another size)')
    return parser.parse_args(argv)


def verify_images(args) -> list:
    """(name, (H, W, 3) uint8 BGR) pairs to verify with."""
    import mmcv
    import numpy as np
    if args.images:
        images = []
        for path in args.images:
            image = mmcv.imread(path)
            if image is None:
                raise FileNotFoundError(f'cannot read image {path!r}')
            images.append((path, image))
        return images
    rng = np.random.RandomState(0)
    shapes = [tuple(args.shape)]
    if args.dynamic:
        shapes.append((max(args.shape[0] // 2,
                           33), max(args.shape[1] // 3, 33)))
    return [(f'random {h}x{w}', rng.randint(0, 256, (h, w, 3), dtype=np.uint8))
            for h, w in shapes]


def main(argv=None) -> bool:
    """Export (and verify); returns whether the verification passed."""
    args = parse_args(argv)
    from mmpdl.apis import init_model
    from mmpdl.deployment import PanopticExportModule
    from mmpdl.deployment.onnx_export import check_opset, export_onnx
    check_opset(args.opset)
    if min(args.shape) < 1:
        raise ValueError(f'--shape must be positive, got {args.shape}')
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError('the export needs the onnx package: pip install '
                          'onnx onnxruntime') from None
    import torch
    torch.manual_seed(0)  # reproducible random weights without a checkpoint
    # a checkpoint that does not fit the config: init_model's ValueError
    model = init_model(args.config, args.checkpoint, device='cpu')
    module = PanopticExportModule(model, args.with_postprocess)
    export_onnx(module, args.out, args.shape, args.dynamic, args.opset)
    print(f'wrote {args.out} (outputs: {", ".join(module.output_names)})')
    if not args.verify:
        return True
    from functools import partial

    from mmpdl.apis import inference_model
    from mmpdl.deployment.verify import format_table, verify_export
    rows, ok = verify_export(
        partial(inference_model, model), args.out, verify_images(args))
    print(format_table(rows))
    print('verification ' + ('passed' if ok else 'FAILED'))
    return ok


if __name__ == '__main__':
    try:
        sys.exit(0 if main() else 1)
    except (FileNotFoundError, ImportError, KeyError, ValueError) as error:
        sys.exit(f'pytorch2onnx.py: error: {error}')
