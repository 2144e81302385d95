"""The command line shared by the checkpoint converters of
``tools/model_converters/``: run one conversion and report its outcome."""
import pickle
import sys
from typing import Callable, Tuple

from .checkpoint_io import CheckpointFormatError


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
