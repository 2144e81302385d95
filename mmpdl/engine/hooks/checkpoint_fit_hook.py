"""``CheckpointFitHook``: ``tools/test.py`` refuses a checkpoint that does
not fit the config's model."""
from mmengine.hooks import Hook

from mmpdl.registry import HOOKS
from mmpdl.utils.checkpoint_fit import check_checkpoint_fits


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Raise when the checkpoint the runner loads leaves model weights
    unloaded or mismatched (see :func:`check_checkpoint_fits`).

    mmengine calls ``after_load_checkpoint`` between reading the file and
    copying its weights, so nothing is evaluated with a half-random model.
    Only for evaluation: training's ``load_from`` and resume keep
    mmengine's lenient loading.

    Args:
        source (str): The checkpoint's path or URL, named in the error.
    """

    priority = 'VERY_HIGH'

    def __init__(self, source: str = '') -> None:
        self.source = source

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check ``checkpoint`` against ``runner.model``."""
        check_checkpoint_fits(runner.model, checkpoint, self.source
                              or str(runner._load_from))
