"""cnncourse.torch.models.fashion: the classic networks scaled to 28x28 Fashion-MNIST."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import cnncourse.torch.models as tm  # noqa: E402
from cnncourse import count_parameters  # noqa: E402
from cnncourse.torch.models import fashion  # noqa: E402


@pytest.mark.parametrize("name", list(fashion.FASHION_MODELS))
def test_each_network_maps_a_batch_of_28x28_images_to_10_logits_and_trains(name):
    torch.manual_seed(0)
    net = fashion.FASHION_MODELS[name]()
    x, y = torch.randn(4, 1, 28, 28), torch.arange(4)
    out = net(x)
    assert out.shape == (4, 10)
    nn.functional.cross_entropy(out, y).backward()
    assert all(p.grad is not None for p in net.parameters())  # every layer is on the path


def test_narrowing_divides_the_widths():
    for make in (fashion.alexnet_fashion, fashion.vgg11_fashion, fashion.resnet18_fashion):
        assert count_parameters(make(narrow=4)) > 3 * count_parameters(make(narrow=8))
    widest = max(m.out_channels for m in fashion.resnet18_fashion(narrow=8).modules()
                 if isinstance(m, nn.Conv2d))
    assert widest == 512 // 8
    assert count_parameters(fashion.lenet5_fashion()) == count_parameters(tm.lenet5()) == 61_706


def test_the_plain_twin_is_the_resnet_without_its_shortcuts():
    residual, plain = fashion.resnet18_fashion(), fashion.plain_resnet18_fashion()
    projections = sum(count_parameters(m.downsample) for m in residual.modules()
                      if isinstance(m, tm.BasicBlock) and m.downsample is not None)
    assert count_parameters(residual) - count_parameters(plain) == projections > 0
    block = fashion.PlainBlock(8, 8).eval()
    twin = tm.BasicBlock(8, 8).eval()
    twin.load_state_dict(block.state_dict())
    x = torch.relu(torch.randn(2, 8, 5, 5))
    with torch.no_grad():
        block.bn2.weight.zero_()
        twin.bn2.weight.zero_()
        assert torch.equal(twin(x), x)  # the residual block becomes the identity ...
        assert torch.count_nonzero(block(x)) == 0  # ... the plain one outputs relu(0) = 0


def test_the_stems_and_blocks_give_the_sizes_the_module_docstring_states():
    sizes = {}
    net = fashion.densenet_fashion()
    for name, child in net.features.named_children():
        child.register_forward_hook(lambda m, i, o, name=name: sizes.update({name: o.shape[-1]}))
    net(torch.zeros(1, 1, 28, 28))
    assert [sizes[n] for n in ("conv0", "transition1", "transition2")] == [14, 7, 3]
    with pytest.raises(ValueError, match="narrow"):
        fashion.alexnet_fashion(narrow=0)
