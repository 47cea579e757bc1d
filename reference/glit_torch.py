"""The GLiT supernet in PyTorch, wired as glit's Rust model is, for side-by-side checks.

glit's reference implementation: the same supernet (entangled slices of the largest weights,
separate weights per global head count), the same parameter names as glit's checkpoints, so
weights move between the two, and the same three local modules (the space's
`skeleton.local`: conv1d, conv2d, local-attention). Used by `speed.py` (images/s of the same
training step), `check.py` (a glit checkpoint evaluated here gives glit's accuracy) and
`twin_logits.py` (a glit network's logits, which the test suite compares with glit's).
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn


class Sliced(nn.Module):
    """A linear layer whose weight is glit's `[input_max, output_max]`, used by prefix."""

    def __init__(self, inputs, outputs, std=0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(inputs, outputs) * std)
        self.bias = nn.Parameter(torch.zeros(outputs))

    def forward(self, x, inputs, outputs):
        return F.linear(x, self.weight[:inputs, :outputs].t(), self.bias[:outputs])


class HeadLinear(nn.Module):
    """glit's `[features, heads, width]` layer, into heads or out of them."""

    def __init__(self, features, heads, width, into_heads):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(features, heads, width) * 0.02)
        self.bias = nn.Parameter(torch.zeros(heads * width if into_heads else features))
        self.into_heads = into_heads

    def forward(self, x, features, heads, width):
        hm, wm = self.weight.shape[1], self.weight.shape[2]
        w = self.weight[:features, :heads, :width].reshape(features, heads * width)
        if self.into_heads:
            b = self.bias.reshape(hm, wm)[:heads, :width].reshape(-1)
            return F.linear(x, w.t(), b)
        return F.linear(x, w, self.bias[:features])


class GlobalPart(nn.Module):
    def __init__(self, channels, heads, width):
        super().__init__()
        self.query = HeadLinear(channels, heads, width, True)
        self.key = HeadLinear(channels, heads, width, True)
        self.value = HeadLinear(channels, heads, width, True)
        self.projection = HeadLinear(channels, heads, width, False)

    def forward(self, x, channels, heads, width, bias=None):
        b, t, _ = x.shape
        split = lambda layer: layer(x, channels, heads, width).reshape(b, t, heads, width).transpose(1, 2)
        q, k, v = split(self.query), split(self.key), split(self.value)
        scores = q @ k.transpose(2, 3) / math.sqrt(width)
        if bias is not None:
            scores = scores + bias
        attended = F.softmax(scores, dim=-1) @ v
        return self.projection(attended.transpose(1, 2).reshape(b, t, heads * width), channels, heads, width)


class BatchNorm(nn.Module):
    """BatchNorm1d over a channel prefix, running statistics per channel."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x, channels):
        if self.training:
            mean = x.mean(dim=(0, 2))
            var = x.var(dim=(0, 2), unbiased=False)
            n = x.shape[0] * x.shape[2]
            with torch.no_grad():
                self.running_mean[:channels] = 0.9 * self.running_mean[:channels] + 0.1 * mean
                self.running_var[:channels] = 0.9 * self.running_var[:channels] + 0.1 * var * n / max(n - 1, 1)
        else:
            mean, var = self.running_mean[:channels], self.running_var[:channels]
        scale = self.gamma[:channels] / torch.sqrt(var + 1e-5)
        shift = self.beta[:channels] - mean * scale
        return x * scale[None, :, None] + shift[None, :, None]


def window_bias(side, window):
    """Local attention's additive bias [T, T]: the class token (token 0) meets every token;
    a patch the class token and the patches of the window×window square around it."""
    rows = torch.arange(side).repeat_interleave(side)
    cols = torch.arange(side).repeat(side)
    reach = window // 2
    near = ((rows[:, None] - rows[None, :]).abs() <= reach) & ((cols[:, None] - cols[None, :]).abs() <= reach)
    allowed = torch.ones(side * side + 1, side * side + 1, dtype=torch.bool)
    allowed[1:, 1:] = near
    return torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf"))


class LocalPart(nn.Module):
    """The conv head; `grid` (patches per side) makes its depthwise convolution k×k over the
    patch grid, the class token passing that stage unchanged."""

    def __init__(self, channels, expand, kernel, grid=None):
        super().__init__()
        inner = channels * expand
        taps = kernel * kernel if grid else kernel
        shape = (inner, 1, kernel, kernel) if grid else (inner, 1, kernel)
        self.grid = grid
        self.glu_value = Sliced(channels, inner)
        self.glu_gate = Sliced(channels, inner)
        self.depthwise_weight = nn.Parameter(torch.empty(shape).uniform_(-1, 1) / math.sqrt(taps))
        self.depthwise_bias = nn.Parameter(torch.empty(inner).uniform_(-1, 1) / math.sqrt(taps))
        self.batch_norm = BatchNorm(inner)
        self.pointwise_out = Sliced(inner, channels)

    def forward(self, x, channels, expand, kernel):
        inner = channels * expand
        gated = self.glu_value(x, channels, inner) * torch.sigmoid(self.glu_gate(x, channels, inner))
        km = self.depthwise_weight.shape[2]
        start = (km - kernel) // 2
        bias = self.depthwise_bias[:inner]
        if self.grid:
            s = self.grid
            w = self.depthwise_weight[:inner, :, start:start + kernel, start:start + kernel]
            tokens = gated.transpose(1, 2)  # [B, inner, T]
            grid = tokens[:, :, 1:].reshape(x.shape[0], inner, s, s)
            conv = F.conv2d(grid, w, bias, padding=kernel // 2, groups=inner).flatten(2)
            mixed = torch.cat([tokens[:, :, :1], conv], dim=2)
        else:
            w = self.depthwise_weight[:inner, :, start:start + kernel]
            mixed = F.conv1d(gated.transpose(1, 2), w, bias, padding=kernel // 2, groups=inner)
        normed = F.silu(self.batch_norm(mixed, inner))
        return self.pointwise_out(normed.transpose(1, 2), inner, channels)


class Ffn(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.expand = Sliced(dim, hidden)
        self.contract = Sliced(hidden, dim)

    def forward(self, x, dim, hidden, activation):
        h = self.expand(x, dim, hidden)
        h = F.gelu(h) if activation == "gelu" else F.silu(h)
        return self.contract(h, hidden, dim)


class Block(nn.Module):
    """One position's weights for one global head count (or all of them)."""

    def __init__(self, dim, heads, choices, global_heads, local="conv1d", side=0):
        super().__init__()
        width = dim // heads
        self.dim, self.heads, self.local, self.side = dim, heads, local, side
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.globals = nn.ModuleList()
        self.locals = nn.ModuleList()
        self.local_attention = nn.ModuleList()
        if global_heads > 0:
            self.globals.append(GlobalPart(dim * global_heads // heads, global_heads, max(choices["qk_dim"])))
        if global_heads < heads and choices["conv_expand"]:
            channels = dim * (heads - global_heads) // heads
            expand = max(choices["conv_expand"])
            if local == "local-attention":
                self.local_attention.append(GlobalPart(channels, heads - global_heads, expand * width))
            else:
                grid = side if local == "conv2d" else None
                self.locals.append(LocalPart(channels, expand, max(choices["kernel"]), grid))
        self.ffns = nn.ModuleList([Ffn(dim, dim * max(choices["ffn_ratio"]))])

    def forward(self, x, arch, activation, drop_path):
        g = arch["global_heads"]
        gw = self.dim * g // self.heads
        h = self.norm1(x)
        parts = []
        if g > 0:
            parts.append(self.globals[0](h[:, :, :gw], gw, g, arch["qk_dim"]))
        if g < self.heads and self.local == "local-attention":
            width = arch["conv_expand"] * (self.dim // self.heads)
            bias = window_bias(self.side, arch["kernel"]).to(x.device)
            parts.append(self.local_attention[0](h[:, :, gw:], self.dim - gw, self.heads - g, width, bias))
        elif g < self.heads:
            parts.append(self.locals[0](h[:, :, gw:], self.dim - gw, arch["conv_expand"], arch["kernel"]))
        mixer = torch.cat(parts, dim=2)
        if drop_path > 0 and self.training:
            keep = (torch.rand(x.shape[0], 1, 1, device=x.device) >= drop_path).float() / (1 - drop_path)
            mixer = mixer * keep
        x = x + mixer
        out = self.ffns[0](self.norm2(x), self.dim, self.dim * arch["ffn_ratio"], activation)
        if drop_path > 0 and self.training:
            out = out * (torch.rand(x.shape[0], 1, 1, device=x.device) >= drop_path).float() / (1 - drop_path)
        return x + out


class Supernet(nn.Module):
    """Separate blocks per global head count, the rest entangled (glit's default plan)."""

    def __init__(self, space):
        super().__init__()
        s = space["skeleton"]
        self.s = s
        d, p = s["embed_dim"], s["patch_size"]
        tokens = (s["image_size"] // p) ** 2 + 1
        bound = 1 / math.sqrt(s["channels"] * p * p)
        self.patch_weight = nn.Parameter(torch.empty(d, s["channels"], p, p).uniform_(-bound, bound))
        self.patch_bias = nn.Parameter(torch.empty(d).uniform_(-bound, bound))
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.positions = nn.Parameter(torch.randn(1, tokens, d) * 0.02)
        self.choices = space["blocks"]
        local, side = s.get("local", "conv1d"), s["image_size"] // p
        self.blocks = nn.ModuleList(
            nn.ModuleList(Block(d, s["heads"], c, g, local, side) for g in c["global_heads"])
            for c in space["blocks"]
        )
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = Sliced(d, s["classes"])

    def forward(self, images, arch, drop_path=0.0):
        s = self.s
        x = F.conv2d(images, self.patch_weight, self.patch_bias, stride=s["patch_size"])
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.positions
        depth = len(self.blocks)
        for i, (groups, block) in enumerate(zip(self.blocks, arch["blocks"])):
            group = self.choices[i]["global_heads"].index(block["global_heads"])
            rate = drop_path * i / max(depth - 1, 1)
            x = groups[group](x, block, s["activation"], rate)
        x = self.norm(x)
        return self.head(x[:, 0], s["embed_dim"], s["classes"])

    def load_glit_state(self, tensors):
        """Loads glit's tensors (names without the `model.` prefix)."""
        mine = dict(self.named_parameters())
        mine.update(dict(self.named_buffers()))
        renames = {".depthwise.weight": ".depthwise_weight", ".depthwise.bias": ".depthwise_bias"}
        layer_norm = {"gamma": "weight", "beta": "bias"}
        loaded = 0
        for name, value in tensors.items():
            target = name
            for old, new in renames.items():
                if target.endswith(old):
                    target = target[: -len(old)] + new
            parts = target.split(".")
            # LayerNorms (norm1, norm2, the final norm) take PyTorch's names; the conv head's
            # BatchNorm keeps glit's gamma and beta.
            if parts[-1] in layer_norm and parts[-2] in ("norm1", "norm2", "norm"):
                target = ".".join(parts[:-1] + [layer_norm[parts[-1]]])
            if target not in mine:
                raise KeyError(f"glit tensor {name} has no counterpart ({target})")
            with torch.no_grad():
                mine[target].copy_(value.reshape(mine[target].shape))
            loaded += 1
        return loaded


def sample(space, rng):
    """A uniform architecture, as glit's `Space::sample` (not the same stream)."""
    heads = space["skeleton"]["heads"]
    blocks = []
    for c in space["blocks"]:
        g = rng.choice(c["global_heads"])
        blocks.append({
            "global_heads": g,
            "qk_dim": rng.choice(c["qk_dim"]) if g > 0 else None,
            "ffn_ratio": rng.choice(c["ffn_ratio"]),
            "conv_expand": rng.choice(c["conv_expand"]) if g < heads else None,
            "kernel": rng.choice(c["kernel"]) if g < heads else None,
        })
    return {"heads": heads, "blocks": blocks}


def load_space(text):
    return json.loads(text)
