"""A bare MetaFormer Baselines ImageNet checkpoint (official or timm layout)
as the whole classifier our ImageNet configs build: mmpretrain's
``ImageClassifier`` with a backbone without output norms and
``mmpoolformer.MetaFormerClsHead``."""
from .convert_baselines import (StateDict, convert_baseline_state_dict,
                                detect_baseline_layout)

# The classifier's final norm and head: ``norm.*`` and ``head.*`` in the
# official layout, ``head.norm.*`` and ``head.fc.*`` in timm's.
CLASSIFIER_PREFIXES = ('norm.', 'head.')


def _head_key(key: str, layout: str) -> str:
    """Our head's name of a final norm or head key: timm's names are ours;
    the official ``norm`` is our ``head.norm``, its ``head`` our
    ``head.fc``."""
    if layout == 'timm':
        return key
    if key.startswith('norm.'):
        return f'head.{key}'
    return f'head.fc.{key[len("head."):]}'


def convert_baseline_classifier(state_dict: StateDict) -> StateDict:
    """Converts a bare MetaFormer Baselines classifier state dict to the
    whole-model names: the backbone under ``backbone.`` (official names,
    no output norm), the final norm and the head under ``head.``.

    Raises:
        CheckpointError: no MetaFormer Baselines weights were recognised.
    """
    layout = detect_baseline_layout(state_dict)
    backbone = {
        k: v
        for k, v in state_dict.items() if not k.startswith(CLASSIFIER_PREFIXES)
    }
    converted = {
        f'backbone.{k}': v
        for k, v in convert_baseline_state_dict(backbone).items()
    }
    converted.update({
        _head_key(k, layout): v
        for k, v in state_dict.items() if k.startswith(CLASSIFIER_PREFIXES)
    })
    return converted
