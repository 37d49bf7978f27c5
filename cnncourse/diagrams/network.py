"""Diagrams of networks and blocks, drawn from the PyTorch module itself.

``network_diagram(module, input_shape)`` traces ``module.forward`` with ``torch.fx`` (so a
skip connection, a concatenation or a branch appears exactly where the code has it), runs a
zero input through the traced graph to learn every tensor's shape, and lays the graph out
with Graphviz. A picture drawn this way cannot disagree with the network: it *is* the
network's dataflow. Batch norm, activations and dropout are written into the box of the
layer they follow, so a Conv-BN-ReLU is one box.

Taught in: chapters 7-10 (every architecture diagram of the book).
"""
from __future__ import annotations

import html

import torch
import torch.fx as fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

# Box colours by what a box does first (light fills: legible on white and on the dark theme's
# light figure background).
COLOURS = {"conv": "#dbe8fb", "pool": "#fde9cf", "dense": "#eadcf8", "merge": "#fff4b8",
           "block": "#d9f2e3", "io": "#eeeeee", "other": "#f4f4f4"}
# Layers drawn inside the box of the layer before them.
FOLLOWERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Dropout,
             nn.GroupNorm, nn.LayerNorm)
FOLLOWER_FUNCTIONS = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "dropout": "dropout"}


def _pair(value):
    return value if isinstance(value, tuple) else (value, value)


def _describe_module(module) -> tuple[str, str]:
    """(text, kind) of one module for its box."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        text = f"conv {kh}×{kw}, {module.out_channels}"
        if module.groups > 1:
            text += " depthwise" if module.groups == module.in_channels else f", {module.groups} groups"
        if max(module.stride) > 1:
            text += f", /{module.stride[0]}"
        return text, "conv"
    if isinstance(module, nn.ConvTranspose2d):
        return f"transposed conv {module.kernel_size[0]}×{module.kernel_size[1]}, ×{module.stride[0]}", "conv"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        k, s = _pair(module.kernel_size)[0], _pair(module.stride)[0]
        return f"{kind} pool {k}×{k}" + (f", /{s}" if s > 1 else ""), "pool"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "global avg pool" if _pair(module.output_size) == (1, 1) else "adaptive pool", "pool"
    if isinstance(module, nn.Linear):
        return f"dense {module.out_features}", "dense"
    if isinstance(module, nn.Flatten):
        return "flatten", "other"
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return "batch norm", "other"
    if isinstance(module, nn.Dropout):
        return f"dropout {module.p:g}", "other"
    if isinstance(module, nn.ReLU | nn.Sigmoid | nn.Tanh):
        return type(module).__name__.replace("Sigmoid", "sigmoid").replace("Tanh", "tanh"), "other"
    return type(module).__name__, "block"


def _describe_node(graph_module, node) -> tuple[str, str]:
    if node.op == "placeholder":
        return "input", "io"
    if node.op == "call_module":
        return _describe_module(graph_module.get_submodule(node.target))
    name = getattr(node.target, "__name__", str(node.target))
    if name in ("add", "iadd", "__add__"):
        return "+", "merge"
    if name == "cat":
        return "concatenate", "merge"
    if name in FOLLOWER_FUNCTIONS:
        return FOLLOWER_FUNCTIONS[name], "other"
    return name, "other"


def _is_follower(graph_module, node) -> bool:
    if node.op == "call_module":
        return isinstance(graph_module.get_submodule(node.target), FOLLOWERS)
    return node.op in ("call_function", "call_method") and \
        getattr(node.target, "__name__", str(node.target)) in FOLLOWER_FUNCTIONS


def _downsampling(node) -> str:
    """", /2" when a block halves the height and width of its input (a strided block)."""
    shapes = [tuple(n.meta["tensor_meta"].shape) for n in (node.all_input_nodes[0], node)
              if hasattr(n.meta.get("tensor_meta"), "shape")]
    if len(shapes) == 2 and len(shapes[0]) == len(shapes[1]) == 4 and shapes[1][-1] < shapes[0][-1]:
        return f", /{shapes[0][-1] // shapes[1][-1]}"
    return ""


def _shape(node) -> str:
    meta = node.meta.get("tensor_meta")
    return "×".join(str(d) for d in tuple(meta.shape)[1:]) if hasattr(meta, "shape") else ""


class NetworkDiagram:
    """The traced graph as Graphviz boxes; a notebook shows it as a PNG image.

    PNG rather than SVG: the book's tests compare every text output of a chapter, and an SVG
    would be compared too, character by character, with the fonts of the machine.
    """

    def __init__(self, dot, boxes, edges):
        self.dot, self.boxes, self.edges = dot, boxes, edges

    def png(self) -> bytes:
        return self.dot.pipe(format="png")

    def save(self, path):
        """Write the diagram as a PNG file."""
        with open(path, "wb") as f:
            f.write(self.png())

    def _repr_png_(self):
        return self.png()

    def __repr__(self):
        return f"<network diagram: {len(self.boxes)} boxes>"


def trace(module: nn.Module, input_shape, leaves=()) -> fx.GraphModule:
    """``module``'s forward as an fx graph, with every tensor's shape for one input of ``input_shape``.

    Module types in ``leaves`` are kept as single nodes (a whole residual block as one box).
    """
    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, name):
            return isinstance(m, tuple(leaves)) or super().is_leaf_module(m, name)

    was_training = module.training
    module.eval()
    graph_module = fx.GraphModule(module, Tracer().trace(module))
    with torch.no_grad():
        ShapeProp(graph_module).propagate(torch.zeros(1, *input_shape))
    module.train(was_training)
    return graph_module


def network_diagram(module: nn.Module, input_shape, leaves=(), title=None, direction="TB") -> NetworkDiagram:
    """Draw ``module`` for one input of ``input_shape`` (C, H, W) or (features,).

    Args:
        module: any ``nn.Module`` whose forward ``torch.fx`` can trace.
        input_shape: the shape of one example, without the batch axis.
        leaves: module types drawn as one box each (e.g. ``(BasicBlock,)`` for a whole ResNet).
        title: a caption above the diagram.
        direction: ``"TB"`` (top to bottom, narrow: phones) or ``"LR"``.

    Returns:
        A :class:`NetworkDiagram`; its ``boxes`` are ``(lines, output shape)`` in graph order,
        its ``edges`` ``(from box, to box)`` index pairs.

    Examples::

        >>> from cnncourse.torch.models import BasicBlock
        >>> network_diagram(BasicBlock(64, 128, stride=2), (64, 16, 16))
        <network diagram: 6 boxes>
    """
    import graphviz

    graph_module = trace(module, input_shape, leaves)
    box_of, boxes, edges = {}, [], []
    for node in graph_module.graph.nodes:
        if node.op in ("get_attr", "output"):
            continue
        parents = [box_of[p] for p in node.all_input_nodes if p in box_of]
        text, kind = _describe_node(graph_module, node)
        if len(parents) == 1 and (kind == "merge" or text == "Identity"):  # cat of one tensor, identity
            box_of[node] = parents[0]
            continue
        if kind == "block":
            text += _downsampling(node)
        lone_parent = len(node.all_input_nodes) == 1 and len(node.all_input_nodes[0].users) == 1
        if (_is_follower(graph_module, node) and lone_parent and parents
                and boxes[parents[0]]["kind"] not in ("io", "merge")):
            box = parents[0]
            boxes[box]["lines"].append(text)
            boxes[box]["shape"] = _shape(node)
        else:
            box = len(boxes)
            boxes.append({"lines": [text], "kind": kind, "shape": _shape(node)})
            edges += [(parent, box) for parent in dict.fromkeys(parents)]
        box_of[node] = box

    dot = graphviz.Digraph(graph_attr={"rankdir": direction, "nodesep": "0.25", "ranksep": "0.28",
                                       "bgcolor": "white", "pad": "0.15", "dpi": "150"},
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "DejaVu Sans",
                                      "fontsize": "12", "color": "#555555", "margin": "0.12,0.05"},
                           edge_attr={"color": "#444444", "arrowsize": "0.7"})
    if title:
        dot.attr(label=title, labelloc="t", fontname="DejaVu Sans", fontsize="14")
    for i, box in enumerate(boxes):
        first, rest = html.escape(box["lines"][0]), [html.escape(line) for line in box["lines"][1:]]
        label = f"<<b>{first}</b>" + "".join(f"<br/>{line}" for line in rest)
        if box["shape"]:
            label += f'<br/><font point-size="10" color="#333333">{box["shape"]}</font>'
        dot.node(str(i), label + ">", fillcolor=COLOURS[box["kind"]])
    for a, b in edges:
        dot.edge(str(a), str(b))
    return NetworkDiagram(dot, [(box["lines"], box["shape"]) for box in boxes], edges)
