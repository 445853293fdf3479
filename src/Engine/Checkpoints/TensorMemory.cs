using System.Runtime.InteropServices;
using TorchSharp;

namespace HiStream.Engine.Checkpoints;

/// <summary>
/// Raw access to a CPU tensor's data. TorchSharp exposes the bytes only as a Span (at most 2 GB), while the
/// umT5 token embedding alone is 2.1 GB in bf16, so the loader copies through the native data pointer.
/// </summary>
internal static partial class TensorMemory
{
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);

    /// <summary>Pointer to the first element of a contiguous CPU tensor.</summary>
    public static IntPtr DataPointer(torch.Tensor t)
    {
        if (t.device_type != DeviceType.CPU) throw new ArgumentException("DataPointer needs a CPU tensor.", nameof(t));
        if (!t.is_contiguous()) throw new ArgumentException("DataPointer needs a contiguous tensor.", nameof(t));
        var p = THSTensor_data(t.Handle);
        if (p == IntPtr.Zero && t.numel() > 0) torch.CheckForErrors();
        return p;
    }

    public static long ElementSize(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Int64 or torch.ScalarType.ComplexFloat32 => 8,
        torch.ScalarType.Float32 or torch.ScalarType.Int32 => 4,
        torch.ScalarType.BFloat16 or torch.ScalarType.Float16 or torch.ScalarType.Int16 => 2,
        torch.ScalarType.Int8 or torch.ScalarType.Byte or torch.ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {dtype} is not supported here."),
    };
}
