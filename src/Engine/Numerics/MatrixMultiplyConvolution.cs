using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Numerics;

/// <summary>
/// Convolution from matrix products only, independent of libtorch's convolution kernels: the zero-padded input is
/// flattened per channel, and each kernel tap (dy, dx) adds weight[:, :, dy, dx] @ (the input shifted by dy·Wp + dx).
/// Output columns past the valid width are computed on the padding and dropped. Memory: one padded input copy and one
/// output-sized accumulator (no im2col buffer).
/// </summary>
internal static class MatrixMultiplyConvolution
{
    public static torch.Tensor Conv2d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long padding)
    {
        long batch = x.shape[0], cin = x.shape[1], h = x.shape[2], w = x.shape[3];
        long cout = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        if (weight.shape[1] != cin) throw new ArgumentException($"Weight takes {weight.shape[1]} input channels, the input has {cin}.", nameof(weight));
        long paddedW = w + 2 * padding;
        long outH = h + 2 * padding - kh + 1, outW = paddedW - kw + 1;
        if (outH < 1 || outW < 1) throw new ArgumentException($"Kernel {kh}x{kw} does not fit a {h}x{w} input with padding {padding}.", nameof(weight));
        long columns = outH * paddedW;
        // One extra zero row at the bottom keeps the last taps' shifted windows inside the buffer.
        using var padded = F.pad(x, [padding, padding, padding, padding + 1]);
        using var taps = weight.permute(2, 3, 0, 1).contiguous(); // [kh, kw, Cout, Cin]
        var output = torch.empty([batch, cout, outH, outW], x.dtype, x.device);
        for (long b = 0; b < batch; b++)
        {
            using var scope = torch.NewDisposeScope();
            var flat = padded[b].reshape(cin, -1);
            var sum = bias is null
                ? torch.zeros([cout, columns], x.dtype, x.device)
                : bias.reshape(cout, 1).expand(cout, columns).contiguous();
            for (long dy = 0; dy < kh; dy++)
                for (long dx = 0; dx < kw; dx++)
                    sum.addmm_(taps[dy, dx], flat.narrow(1, dy * paddedW + dx, columns));
            output[b].copy_(sum.view(cout, outH, paddedW).narrow(2, 0, outW));
        }
        return output;
    }

    /// <summary>Supports what the engine runs: kernels of one frame with time stride 1 (folded into the batch), and
    /// patch convolutions (kernel = stride, no padding) as one matrix product.</summary>
    public static torch.Tensor Conv3d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long[] strides, long[] padding)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        long cout = weight.shape[0], kt = weight.shape[2], kh = weight.shape[3], kw = weight.shape[4];
        if (strides.SequenceEqual(new[] { kt, kh, kw }) && padding.All(p => p == 0))
        {
            long ot = t / kt, oh = h / kh, ow = w / kw;
            using var scope = torch.NewDisposeScope();
            var cropped = x.narrow(2, 0, ot * kt).narrow(3, 0, oh * kh).narrow(4, 0, ow * kw);
            var patches = cropped.reshape(b, c, ot, kt, oh, kh, ow, kw).permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(b * ot * oh * ow, c * kt * kh * kw);
            var y = bias is null ? patches.matmul(weight.reshape(cout, -1).t()) : torch.addmm(bias, patches, weight.reshape(cout, -1).t(), 1, 1);
            return y.reshape(b, ot, oh, ow, cout).permute(0, 4, 1, 2, 3).contiguous().MoveToOuterDisposeScope();
        }
        if (kt == 1 && strides.All(s => s == 1) && padding[0] == 0 && padding[1] == padding[2])
        {
            using var scope = torch.NewDisposeScope();
            var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
            var y = Conv2d(frames, weight.squeeze(2), bias, padding[1]);
            return y.reshape(b, t, cout, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4).contiguous().MoveToOuterDisposeScope();
        }
        throw new NotSupportedException($"The matrix-product convolution does not support kernel [{kt},{kh},{kw}] with strides [{string.Join(",", strides)}] and padding [{string.Join(",", padding)}].");
    }
}
