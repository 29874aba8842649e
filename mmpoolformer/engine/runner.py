"""mmengine's Runner with datasets that report unusable data by file."""
from typing import Dict, Optional, Union

from mmengine.runner import Runner as MMEngineRunner
from torch.utils.data import DataLoader

from mmpoolformer.datasets import as_annotation_error, check_samples
from mmpoolformer.registry import RUNNERS


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """:class:`mmengine.runner.Runner` whose dataloaders raise one
    :class:`~mmpoolformer.datasets.DataError` naming the file when

    - an annotation file cannot be parsed (not COCO, not JSON, ...);
    - a sample cannot be loaded or transformed (a missing or unreadable
      image or label map), also from a dataloader worker;
    - a label map holds values outside the dataset's classes and ignore
      index.

    The tools in ``tools/`` build this runner; a config selects it for
    other tools with ``runner_type='mmpoolformer.Runner'``.
    """

    @staticmethod
    def build_dataloader(dataloader: Union[DataLoader, Dict],
                         seed: Optional[int] = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        try:
            loader = MMEngineRunner.build_dataloader(
                dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
        except Exception as error:
            reported = as_annotation_error(error, dataloader.get('dataset'))
            if reported is error:
                raise
            raise reported from error
        check_samples(loader.dataset)
        return loader
