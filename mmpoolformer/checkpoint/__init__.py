from .atomic_save import AtomicLocalBackend, register_atomic_saving
from .convert import (convert_backbone_state_dict, convert_state_dict,
                      detect_layout, is_foreign_layout, split_backbone)
from .errors import CheckpointError
from .pretrained import load_pretrained_backbone
from .safe_load import (load_checkpoint_file, load_state_dict,
                        register_safe_checkpoint_loading)

__all__ = [
    'AtomicLocalBackend', 'register_atomic_saving', 'CheckpointError', 'convert_backbone_state_dict', 'convert_state_dict',
    'detect_layout', 'is_foreign_layout', 'load_checkpoint_file', 'load_pretrained_backbone',
    'load_state_dict', 'register_safe_checkpoint_loading', 'split_backbone'
]
