"""Reference CNNs in Keras 3 (NHWC); same constructor names, arguments and (torch) layer
names as :mod:`cnncourse.torch.models`, so :mod:`cnncourse.convert` pairs them, and the same
``MODELS`` registry of whole networks.
"""
from cnncourse.tensorflow.models.alexnet import alexnet
from cnncourse.tensorflow.models.cifar2 import cifar2net
from cnncourse.tensorflow.models.densenet import DenseBlock, Transition, densenet121, densenet_cifar
from cnncourse.tensorflow.models.googlenet import InceptionBlock, googlenet
from cnncourse.tensorflow.models.lenet import LENET5_INPUT_SIZE, LENET5_VARIANTS, LeNet5, lenet5
from cnncourse.tensorflow.models.nin import NiNBlock, nin
from cnncourse.tensorflow.models.resnet import BasicBlock, Bottleneck, resnet18, resnet34, resnet50
from cnncourse.tensorflow.models.vgg import vgg11, vgg13, vgg13_cifar, vgg16, vgg19, vgg_block

# The registry of whole networks, by the names cnncourse.architectures.MODEL_NAMES lists.
MODELS = {"lenet5": lenet5, "cifar2net": cifar2net, "alexnet": alexnet, "nin": nin, "vgg11": vgg11, "vgg13": vgg13,
          "vgg16": vgg16, "vgg19": vgg19, "vgg13_cifar": vgg13_cifar, "googlenet": googlenet, "resnet18": resnet18,
          "resnet34": resnet34, "resnet50": resnet50, "densenet121": densenet121, "densenet_cifar": densenet_cifar}

__all__ = ["MODELS", *MODELS, "LENET5_VARIANTS", "LENET5_INPUT_SIZE", "LeNet5", "vgg_block", "NiNBlock",
           "InceptionBlock", "BasicBlock", "Bottleneck", "DenseBlock", "Transition"]
