"""What the README and docs/ tell a user to copy works: every config example
builds, trains a step with a gradient for every backbone parameter and, for
a detector, feeds its anchors the levels they are made for; every tool
command names a tool that exists and options that it takes."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from test_configs import det_batch, seg_batch
from tool_runs import ROOT, assert_ok, run_in_process

DOCS = ['README.md', *sorted(
    osp.relpath(path, ROOT) for path in glob.glob(osp.join(ROOT, 'docs',
                                                           '*.md')))]
# A tool run as the docs write it: the interpreter, the script, its
# arguments (continuation lines joined).
TOOL_COMMAND = re.compile(
    r'(?:^|\s|`)(?:\S*/)?python3? ((?:tools|demo)/[\w/]+\.py)([^`\n]*)')
# A tool and options named in running text: `test.py --fuse`.
TOOL_MENTION = re.compile(r'`((?:tools/|demo/)?[\w/]+\.py)( --[^`]*)`')


def read(doc):
    with open(osp.join(ROOT, doc)) as f:
        return f.read()


def config_examples():
    """(where, text) of each ```python block of the docs that is a
    config (it inherits one)."""
    examples = []
    for doc in DOCS:
        text = read(doc)
        for match in re.finditer(r'```python\n(.*?)```', text, re.S):
            if re.search(r'^_base_ =', match.group(1), re.M):
                line = text[:match.start()].count('\n') + 1
                examples.append((f'{doc}:{line}', match.group(1)))
    return examples


EXAMPLES = config_examples()


def test_the_docs_have_config_examples():
    # The README's, two in detection_segmentation.md, one in
    # metaformer_baselines.md.
    assert len(EXAMPLES) >= 4
    assert any(where.startswith('README.md') for where, _ in EXAMPLES)


def strides_of(model, size=256):
    """The stride of each map the neck gives, measured on a square
    input."""
    with torch.no_grad():
        features = model.extract_feat(torch.rand(1, 3, size, size))
    return [size // feature.shape[-1] for feature in features]


def anchor_strides(model):
    """The strides of the anchors of a detector's (RPN or dense) head, or
    None without anchors."""
    head = getattr(model, 'rpn_head', None) or getattr(
        model, 'bbox_head', None)
    generator = getattr(head, 'prior_generator', None)
    if generator is None:
        return None
    return [stride if isinstance(stride, int) else stride[0]
            for stride in generator.strides]


@pytest.mark.parametrize('where, text', EXAMPLES,
                         ids=[where for where, _ in EXAMPLES])
def test_config_example_trains_a_step(where, text, tmp_path):
    path = tmp_path / 'example.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    # Nothing is downloaded: the backbone keeps its random initialisation.
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.pop('pretrained', None)
    cfg.model.pop('pretrained', None)
    if cfg.default_scope == 'mmseg':
        cfg.model.data_preprocessor.size = (64, 96)
    if 'rpn_proposal' in cfg.model.get('train_cfg', {}):
        # Fewer proposals and RoIs than on COCO images keep this fast.
        cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
        cfg.model.train_cfg.rcnn.sampler.num = 64
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert type(model.backbone).__module__.startswith('mmpoolformer.')
    if cfg.default_scope == 'mmseg':
        batch = seg_batch()
    else:
        with_mask = getattr(model, 'with_mask', False)
        batch = det_batch(with_mask=with_mask)
        model.eval()
        expected = anchor_strides(model)
        if expected is not None:
            assert strides_of(model) == expected, (
                f'{where}: the neck gives maps of these strides, the '
                'anchors are made for others')
    model.train()
    data = model.data_preprocessor(batch, True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()
    unused = [name for name, param in model.backbone.named_parameters()
              if param.grad is None]
    assert unused == [], f'{where}: backbone parameters without a gradient'


def tool_commands():
    """{tool: options} of every tool command in the docs: the scripts, and
    the ``--options`` given to each."""
    commands = {}
    for doc in DOCS:
        text = read(doc).replace('\\\n', ' ')
        for match in [*TOOL_COMMAND.finditer(text),
                      *TOOL_MENTION.finditer(text)]:
            tool = match.group(1)
            if '/' not in tool:
                tool = f'tools/{tool}'
            options = set(re.findall(r'(?<![\w-])(--[\w-]+)', match.group(2)))
            commands.setdefault(tool, set()).update(options)
    return commands


COMMANDS = tool_commands()


def test_the_docs_run_the_tools():
    assert {'tools/train.py', 'tools/test.py', 'demo/image_demo.py'} <= set(
        COMMANDS)
    assert sum(map(len, COMMANDS.values())) >= 15


@pytest.mark.parametrize('tool', sorted(COMMANDS))
def test_tool_command_of_the_docs_exists(tool):
    """The tool is there and its ``--help`` lists every option the docs
    give it."""
    assert osp.isfile(osp.join(ROOT, tool)), tool
    result = run_in_process(tool, '--help')
    assert_ok(result)
    unknown = [option for option in sorted(COMMANDS[tool])
               if not re.search(rf'(?<![\w-]){option}(?![\w-])',
                                result.stdout)]
    assert unknown == [], f'{tool} takes none of {unknown}'


@pytest.mark.parametrize('doc', DOCS)
def test_files_the_docs_name_exist(doc):
    """Every tool, config and demo script path in the docs is a file."""
    # Not the config examples: they name the files a user would write.
    text = re.sub(r'```python\n.*?```', '', read(doc), flags=re.S)
    paths = set(re.findall(
        r'(?<![\w/.:-])((?:tools|configs|demo)/[\w/.-]+\.(?:py|sh|yml))',
        text))
    missing = [path for path in sorted(paths)
               if '*' not in path and not osp.isfile(osp.join(ROOT, path))]
    assert missing == []


def markdown_rows(doc, header):
    """The rows (lists of cells) of the table of ``doc`` whose header row
    starts with ``header``."""
    lines = read(doc).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        rows.append([cell.strip() for cell in line.strip('|').split('|')])
    return rows


def test_the_readme_demo_numbers_are_those_of_docs_demo():
    """Each result and time the README's demo table quotes is in the row of
    the same demo config in docs/demo.md's table of measurements."""
    measured = markdown_rows('docs/demo.md', '| Demo |')
    quoted = markdown_rows('README.md', '| demo config |')
    assert len(quoted) >= 3
    for row in quoted:
        config = re.search(r'`(\w+\.py)`', row[0]).group(1)
        matches = [cells for cells in measured if f'`{config}' in cells[0]]
        assert len(matches) == 1, config
        numbers = re.findall(r'\d+\.\d+', ' '.join(row[1:]))
        assert numbers, config
        missing = [number for number in numbers if not re.search(
            rf'(?<![\d.]){re.escape(number)}(?![\d])', ' '.join(matches[0]))]
        assert missing == [], f'{config}: docs/demo.md has no {missing}'
        assert osp.isfile(osp.join(ROOT, 'configs', 'demo', config)), config


def demo_schedules():
    """{demo config name: (batch size, iterations)} from the configs."""
    from mmpoolformer.engine import load_config
    schedules = {}
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', 'demo', '*.py'))):
        cfg = load_config(path)
        schedules[osp.splitext(osp.basename(path))[0]] = (
            cfg.train_dataloader.batch_size, cfg.train_cfg.max_iters)
    return schedules


def test_the_docs_give_each_demo_its_schedule():
    """docs/demo.md's table of demo configs and every demo checkpoint path
    in the docs (``work_dirs/<demo>/iter_N.pth``, the one its schedule
    saves) agree with the config."""
    schedules = demo_schedules()
    rows = markdown_rows('docs/demo.md', '| Config |')
    assert len(rows) >= 5
    for row in rows:
        name = re.search(r'configs/demo/(\w+)\.py', row[0]).group(1)
        assert (int(row[1]), int(row[2])) == schedules[name], name
    checkpoints = [(doc, *match) for doc in DOCS for match in re.findall(
        r'work_dirs/(\w+_demo\w*)/iter_(\d+)\.pth', read(doc))]
    assert len(checkpoints) >= 10
    wrong = [(doc, name, iters) for doc, name, iters in checkpoints
             if int(iters) != schedules[name][1]]
    assert wrong == []
