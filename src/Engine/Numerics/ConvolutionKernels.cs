namespace HiStream.Engine.Numerics;

/// <summary>Which kernels a convolution runs on the CPU (other devices always use libtorch's own convolution).</summary>
public enum ConvolutionKernels
{
    /// <summary>
    /// libtorch's convolution (oneDNN on x86-64) with the input and output channels zero-padded to a multiple of
    /// <see cref="EngineConvolution.ChannelMultiple"/>. Exact (the added channels are zeros with zero weights, the added
    /// outputs are dropped) and as fast as libtorch for the real Wan widths, which need no padding but for the 3 RGB
    /// outputs of the head. The default.
    /// </summary>
    LibTorchPaddedChannels,

    /// <summary>One matrix product per kernel tap on a flattened, zero-padded input (MKL's GEMM, no oneDNN convolution).
    /// Slower; the engine falls back to it when the load-time check finds the padded libtorch path wrong.</summary>
    MatrixMultiply,

    /// <summary>libtorch's convolution as it is. Only for checks: it returns wrong numbers for some channel counts on
    /// AVX2 and AVX-512 CPUs (libtorch-cpu 2.10, see docs/vae-and-video.md).</summary>
    LibTorchUnpadded,
}
