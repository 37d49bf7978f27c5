"""The mini-batch picture draws what a real DataLoader produced."""
import pytest
import torch
from matplotlib.patches import Rectangle

from cnncourse.diagrams.batches import minibatches


def _epochs(n, batch_size, count=2):
    loader = torch.utils.data.DataLoader(range(n), batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    return [[batch.tolist() for batch in loader] for _ in range(count)]


def test_one_cell_per_example_per_epoch_in_the_loader_s_order():
    epochs = _epochs(12, 5)
    fig = minibatches(epochs, 12)
    ax = fig.axes[0]
    cells = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(cells) == 2 * 12
    texts = [t.get_text() for t in ax.texts if not t.get_text().startswith("epoch")]
    assert texts == [str(i) for batches in epochs for batch in batches for i in batch]
    assert [len(b) for b in epochs[0]] == [5, 5, 2]  # the short last batch
    # one colour per batch within a row
    first_row = cells[:12]
    assert len({tuple(c.get_facecolor()) for c in first_row}) == 3


def test_batches_that_miss_or_repeat_an_example_are_refused():
    with pytest.raises(ValueError, match="each index 0..3 once"):
        minibatches([[[0, 1], [1, 2]]], 4)
    with pytest.raises(ValueError, match="at least one epoch"):
        minibatches([], 4)
