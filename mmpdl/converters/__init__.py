"""Checkpoint conversion between foreign formats and mmpdl: the key-template
engine (:mod:`.key_rules`), checkpoint files (:mod:`.checkpoint_io`), the
original implementation's rules (:mod:`.original`), detectron2's
(:mod:`.detectron2`) and the converters' command line (:mod:`.cli`, used
by ``tools/model_converters/``)."""
