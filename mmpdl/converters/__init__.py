"""Checkpoint conversion between foreign formats and mmpdl: the key-template
engine (:mod:`.key_rules`), checkpoint files (:mod:`.checkpoint_io`), the
original implementation's rules (:mod:`.original`) and detectron2's
(:mod:`.detectron2`); ``tools/model_converters/`` are their command lines
(:mod:`.cli`)."""
from .checkpoint_io import (CheckpointFormatError, read_detectron2_state_dict,
                            read_state_dict, save_converted)
from .detectron2 import (backbone_to_mmpdl, detectron2_rules,
                         detectron2_to_mmpdl, mmpdl_to_detectron2)
from .key_rules import (KeyMappingError, KeyRule, convert_back,
                        convert_state_dict, model_tensor_shapes, rename_keys)
from .original import ORIGINAL_RULES, mmpdl_to_original, original_to_mmpdl

__all__ = [
    'CheckpointFormatError', 'KeyMappingError', 'KeyRule', 'ORIGINAL_RULES',
    'backbone_to_mmpdl', 'convert_back', 'convert_state_dict',
    'detectron2_rules', 'detectron2_to_mmpdl', 'mmpdl_to_detectron2',
    'mmpdl_to_original', 'model_tensor_shapes', 'original_to_mmpdl',
    'read_detectron2_state_dict', 'read_state_dict', 'rename_keys',
    'save_converted'
]
