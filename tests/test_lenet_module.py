"""The LeNet-5 classes of chapter 7 (``nn.Module`` and ``keras.Model`` subclasses) are the
package's ``lenet5("modern")``: same parameters in the same order, same outputs."""
import numpy as np
import pytest
import torch

import cnncourse.tensorflow.models as KM
import cnncourse.torch.models as TM
from cnncourse import count_parameters
from cnncourse.convert import nchw_to_nhwc, torch_to_keras
from cnncourse.diagrams import network_diagram


def test_the_class_registers_its_named_layers_in_order():
    net = TM.LeNet5()
    assert [name for name, _ in net.named_parameters()] == [
        f"{layer}.{kind}" for layer in ("conv1", "conv2", "fc1", "fc2", "fc3") for kind in ("weight", "bias")]
    assert count_parameters(net) == count_parameters(TM.lenet5("modern")) == 61_706


def test_the_class_computes_what_the_sequential_computes():
    torch.manual_seed(0)
    net, sequential = TM.LeNet5(), TM.lenet5("modern")
    # same tensors in the same order: copy by position
    net.load_state_dict(dict(zip(net.state_dict(), sequential.state_dict().values())))
    x = torch.randn(3, 1, 28, 28)
    assert torch.equal(net(x), sequential(x))


@pytest.mark.parametrize("num_classes, in_channels", [(10, 1), (4, 3)])
def test_keras_twin_gets_the_torch_weights_by_name(num_classes, in_channels):
    torch.manual_seed(1)
    net = TM.LeNet5(num_classes, in_channels).eval()
    twin = KM.LeNet5(num_classes, in_channels)
    twin(np.zeros((1, 28, 28, in_channels), np.float32))  # a subclassed model builds at its first call
    assert count_parameters(twin) == count_parameters(net)
    torch_to_keras(net, twin, input_size=(in_channels, 28, 28))
    x = torch.randn(2, in_channels, 28, 28)
    with torch.no_grad():
        expected = net(x).numpy()
    np.testing.assert_allclose(np.asarray(twin(nchw_to_nhwc(x.numpy()))), expected, atol=1e-5)


def test_the_diagram_of_the_class_has_its_layers_and_shapes():
    diagram = network_diagram(TM.LeNet5(), (1, 28, 28))
    firsts = [box[0][0] for box in diagram.boxes]
    assert firsts == ["input", "conv 5×5, 6", "max pool 2×2, /2", "conv 5×5, 16", "max pool 2×2, /2",
                      "flatten", "dense 120", "dense 84", "dense 10"]
    assert [box[1] for box in diagram.boxes][-4:] == ["400", "120", "84", "10"]
    # functions (F.relu) and modules (nn.ReLU) draw alike: the class and the Sequential are one picture
    assert diagram.boxes == network_diagram(TM.lenet5("modern"), (1, 28, 28)).boxes


def test_keras_twin_refuses_input_with_other_channels():
    with pytest.raises(ValueError, match="built for 1 input channels"):
        KM.LeNet5()(np.zeros((1, 28, 28, 3), np.float32))
