using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace HiStream.Engine.Numerics;

/// <summary>
/// The engine's only way into a convolution. libtorch-cpu 2.10's oneDNN convolution returns wrong float32 results when
/// the input channel count is not a multiple of the CPU's vector block (16 lanes with AVX-512, 8 with AVX2) and the
/// frame is large enough for oneDNN to be chosen (e.g. 24 → 8 channels at 64×96: max |error| 15), and wrong (even NaN)
/// bfloat16 results when the output channel count is not a multiple of 16. Zero-padding both channel counts to a
/// multiple of 16 (the widest block oneDNN has on x86-64) gives the same sums and avoids the broken channel-tail code;
/// the padded outputs are dropped. <see cref="ConvolutionCheck"/> verifies the chosen path at model load.
/// </summary>
public static class EngineConvolution
{
    /// <summary>Input channels are padded to a multiple of this on the CPU.</summary>
    public const long ChannelMultiple = 16;

    /// <summary>"Same"-style 2D convolution, stride 1: x [B, Cin, H, W], weight [Cout, Cin, kh, kw], symmetric padding.</summary>
    public static torch.Tensor Conv2d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long padding,
        ConvolutionKernels kernels = ConvolutionKernels.LibTorchPaddedChannels)
    {
        if (x.device_type != DeviceType.CPU || kernels == ConvolutionKernels.LibTorchUnpadded)
            return LibTorch.Conv2d(x, weight, bias, padding);
        if (kernels == ConvolutionKernels.MatrixMultiply)
            return MatrixMultiplyConvolution.Conv2d(x, weight, bias, padding);
        if (x.shape[1] % ChannelMultiple == 0 && weight.shape[0] % ChannelMultiple == 0) return LibTorch.Conv2d(x, weight, bias, padding);
        long outChannels = weight.shape[0];
        using var paddedX = PadChannels(x);
        using var inPadded = PadChannels(weight);
        using var paddedWeight = PadAxis(inPadded, 0);
        using var paddedBias = bias is null ? null : PadAxis(bias, 0);
        using var y = LibTorch.Conv2d(paddedX, paddedWeight, paddedBias, padding);
        return y.shape[1] == outChannels ? y.alias() : y.narrow(1, 0, outChannels).contiguous();
    }

    /// <summary>3D convolution: x [B, Cin, T, H, W], weight [Cout, Cin, kt, kh, kw], strides and padding per axis.</summary>
    public static torch.Tensor Conv3d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long[] strides, long[] padding,
        ConvolutionKernels kernels = ConvolutionKernels.LibTorchPaddedChannels)
    {
        if (x.device_type != DeviceType.CPU || kernels == ConvolutionKernels.LibTorchUnpadded)
            return LibTorch.Conv3d(x, weight, bias, strides, padding);
        if (kernels == ConvolutionKernels.MatrixMultiply)
            return MatrixMultiplyConvolution.Conv3d(x, weight, bias, strides, padding);
        if (x.shape[1] % ChannelMultiple == 0 && weight.shape[0] % ChannelMultiple == 0) return LibTorch.Conv3d(x, weight, bias, strides, padding);
        long outChannels = weight.shape[0];
        using var paddedX = PadChannels(x);
        using var inPadded = PadChannels(weight);
        using var paddedWeight = PadAxis(inPadded, 0);
        using var paddedBias = bias is null ? null : PadAxis(bias, 0);
        using var y = LibTorch.Conv3d(paddedX, paddedWeight, paddedBias, strides, padding);
        return y.shape[1] == outChannels ? y.alias() : y.narrow(1, 0, outChannels).contiguous();
    }

    /// <summary>Appends zero channels (axis 1) up to the next multiple of <see cref="ChannelMultiple"/>.</summary>
    internal static torch.Tensor PadChannels(torch.Tensor t) => PadAxis(t, 1);

    private static torch.Tensor PadAxis(torch.Tensor t, int axis)
    {
        long channels = t.shape[axis];
        long extra = (ChannelMultiple - channels % ChannelMultiple) % ChannelMultiple;
        if (extra == 0) return t.alias();
        var shape = (long[])t.shape.Clone();
        shape[axis] = extra;
        using var zeros = torch.zeros(shape, t.dtype, t.device);
        return torch.cat([t, zeros], axis);
    }

    /// <summary>libtorch's own convolutions, with NNPACK switched off first (it only logs a warning per call on CPUs it
    /// does not support, and the engine never wants it).</summary>
    private static class LibTorch
    {
        static LibTorch() => LibTorchGlobalContext.DisableNnpack();

        public static torch.Tensor Conv2d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long padding) =>
            F.conv2d(x, weight, bias, padding: [padding, padding]);

        public static torch.Tensor Conv3d(torch.Tensor x, torch.Tensor weight, torch.Tensor? bias, long[] strides, long[] padding) =>
            F.conv3d(x, weight, bias, strides: strides, padding: padding);
    }
}
