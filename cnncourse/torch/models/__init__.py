"""Reference CNNs in PyTorch (NCHW); the Keras twins in :mod:`cnncourse.tensorflow.models`
have the same constructor names, arguments and layer names.

``MODELS`` is the registry of whole networks (``cnncourse train --model NAME``); blocks such
as ``vgg_block`` or ``BasicBlock`` are exported for the book and the assignments, not listed
there.
"""
from cnncourse.torch.models.alexnet import alexnet
from cnncourse.torch.models.cifar2 import cifar2net
from cnncourse.torch.models.densenet import DenseBlock, Transition, densenet121, densenet_cifar
from cnncourse.torch.models.googlenet import InceptionBlock, googlenet
from cnncourse.torch.models.lenet import LENET5_INPUT_SIZE, LENET5_VARIANTS, LeNet5, lenet5
from cnncourse.torch.models.nin import NiNBlock, nin
from cnncourse.torch.models.resnet import BasicBlock, Bottleneck, resnet18, resnet34, resnet50
from cnncourse.torch.models.vgg import vgg11, vgg13, vgg13_cifar, vgg16, vgg19, vgg_block

# The registry of whole networks, by the names cnncourse.architectures.MODEL_NAMES lists.
MODELS = {"lenet5": lenet5, "cifar2net": cifar2net, "alexnet": alexnet, "nin": nin, "vgg11": vgg11, "vgg13": vgg13,
          "vgg16": vgg16, "vgg19": vgg19, "vgg13_cifar": vgg13_cifar, "googlenet": googlenet, "resnet18": resnet18,
          "resnet34": resnet34, "resnet50": resnet50, "densenet121": densenet121, "densenet_cifar": densenet_cifar}

__all__ = ["MODELS", *MODELS, "LENET5_VARIANTS", "LENET5_INPUT_SIZE", "LeNet5", "vgg_block", "NiNBlock",
           "InceptionBlock", "BasicBlock", "Bottleneck", "DenseBlock", "Transition"]
