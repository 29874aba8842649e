from .atomic_save import ATOMIC_BACKEND, AtomicLocalBackend
from .convert import (convert_backbone_state_dict, convert_on_load,
                      convert_state_dict, foreign_layout, split_backbone)
from .convert_file import convert_checkpoint_file
from .errors import CheckpointError
from .layouts import BASELINES, LAYOUTS, POOLFORMER, Family, Layout
from .pretrained import load_pretrained_backbone
from .safe_load import (URL_PREFIXES, allow_mmengine_checkpoint_types,
                        load_checkpoint_file, load_state_dict)

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'BASELINES', 'CheckpointError',
    'Family', 'LAYOUTS', 'Layout', 'POOLFORMER', 'URL_PREFIXES',
    'allow_mmengine_checkpoint_types', 'convert_backbone_state_dict',
    'convert_checkpoint_file', 'convert_on_load', 'convert_state_dict',
    'foreign_layout', 'load_checkpoint_file', 'load_pretrained_backbone',
    'load_state_dict', 'split_backbone'
]
