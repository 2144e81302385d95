"""The command line shared by the checkpoint converters of
``tools/model_converters/``: their common arguments, and one conversion
run with its outcome reported."""
import argparse
import pickle
import sys
from typing import Callable, Tuple

from .checkpoint_io import CheckpointFormatError


def converter_parser(description: str,
                     reverse_to: str) -> argparse.ArgumentParser:
    """A parser with the arguments of every converter: ``src``, ``dst``,
    ``--config`` and ``--reverse`` (mmpdl -> ``reverse_to``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='where to write the result')
    parser.add_argument(
        '--config', required=True, help='mmpdl config of the same model')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help=f'convert an mmpdl checkpoint to {reverse_to}')
    return parser


def run_conversion(convert: Callable[[], int],
                   dst: str,
                   refused: Tuple[type, ...] = ()) -> int:
    """A converter's command line: run ``convert`` (it returns the number
    of tensors written to ``dst``) and report; returns the exit status.

    Unreadable, mismatching or missing checkpoints print ``error: ...``
    (``refused: ...`` for the ``refused`` error types) and that nothing was
    written to ``dst``, and give 1.
    """
    try:
        count = convert()
    except (CheckpointFormatError, FileNotFoundError, ValueError,
            pickle.UnpicklingError) as err:
        kind = 'refused' if isinstance(err, refused) else 'error'
        print(f'{kind}: {err}', file=sys.stderr)
        print(f'nothing was written to {dst}', file=sys.stderr)
        return 1
    print(f'wrote {count} tensors to {dst}')
    return 0
