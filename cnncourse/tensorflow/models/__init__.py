"""Reference CNNs in Keras 3 (NHWC); same constructor names, arguments and (torch) layer
names as :mod:`cnncourse.torch.models`, so :mod:`cnncourse.convert` pairs them."""
from .alexnet import alexnet
from .cifar2 import cifar2net
from .lenet import LENET5_INPUT_SIZE, LENET5_VARIANTS, lenet5
from .nin import NiNBlock, nin
from .vgg import vgg11, vgg13, vgg13_cifar, vgg16, vgg19, vgg_block

__all__ = ["lenet5", "LENET5_VARIANTS", "LENET5_INPUT_SIZE", "cifar2net", "alexnet",
           "vgg_block", "vgg11", "vgg13", "vgg16", "vgg19", "vgg13_cifar", "NiNBlock", "nin"]

# GoogLeNet, ResNet and DenseNet (written alongside these models, same conventions).
from .densenet import DenseBlock, Transition, densenet121, densenet_cifar  # noqa: E402
from .googlenet import InceptionBlock, googlenet  # noqa: E402
from .resnet import BasicBlock, Bottleneck, resnet18, resnet34, resnet50  # noqa: E402

__all__ += ["googlenet", "InceptionBlock", "resnet18", "resnet34", "resnet50", "BasicBlock", "Bottleneck",
            "densenet121", "densenet_cifar", "DenseBlock", "Transition"]
