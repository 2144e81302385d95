"""The benchmark suite of ``tools/analysis_tools/benchmark.py``: mmpdl side
by side with the original implementation and the official evaluators.

``inputs`` makes synthetic Cityscapes-like scenes, ``utils`` times and
tabulates, ``data_tasks`` (post-processing, training targets),
``metrics_task`` (panoptic evaluation) and ``model_task`` (forward /
forward+backward) each return rows of the result table; ``deploy_task``
(network + post-processing with eager PyTorch, ``torch.compile``,
onnxruntime / TensorRT) returns rows of its own table; the original is
reached through :mod:`mmpdl.testing.original`.
"""
