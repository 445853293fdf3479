using TorchSharp;

namespace HiStream.Engine;

/// <summary>Resolves the configured device and dtype names to TorchSharp values.</summary>
public static class TorchRuntime
{
    public static torch.Device ParseDevice(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Device must be 'cpu' or 'cuda[:N]'.", nameof(name));
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !torch.cuda.is_available())
            throw new InvalidOperationException(
                $"Device '{name}' was requested but CUDA is not available. Build with -p:TorchBackend=cuda on a machine with an NVIDIA driver, or use device 'cpu'.");
        return new torch.Device(name);
    }

    public static torch.ScalarType ParseDType(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => torch.ScalarType.Float32,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        "float16" or "fp16" or "half" => torch.ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{name}'. Use float32, bfloat16 or float16.", nameof(name)),
    };
}
