using System.Diagnostics;
using System.Globalization;
using HiStream.Engine.Native;
using TorchSharp;

namespace HiStream.GpuCheck;

/// <summary>
/// Step 2: the device, a bf16 matmul's TFLOP/s, and scaled_dot_product_attention at the engine's head size, timed with
/// the flash kernel allowed and refused (TorchSharp can switch flash and math only; the profiler line that
/// scripts/gpu-check.sh adds through Python names the kernel). On a CPU the sizes shrink and the step says so.
/// </summary>
public static class CudaSmoke
{
    public static StepOutput Run(CheckArgs args, LibTorchInfo libtorch)
    {
        var step = new StepOutput("smoke");
        bool cuda = libtorch.CudaAvailable;
        var device = cuda ? torch.CUDA : torch.CPU;
        step.Details["libtorch"] = libtorch.Describe();
        step.Details["device"] = cuda ? libtorch.DeviceName : "cpu";
        step.Details["cuda_runtime"] = libtorch.CudaRuntime;
        step.Details["cuda_driver"] = libtorch.CudaDriver;
        if (!cuda)
        {
            step.Status = "shrunk";
            step.Notes.Add("no CUDA device: CPU rehearsal with small sizes (the GPU run uses 8192^2 matmuls and 8192-token attention)");
        }
        step.Header = ["measurement", "value"];
        step.Rows.Add(["device", cuda ? $"{libtorch.DeviceName} (CUDA runtime {libtorch.CudaRuntime}, driver API {libtorch.CudaDriver})" : "cpu"]);
        step.Rows.Add(["libtorch", $"{libtorch.Version} ({libtorch.Source})"]);

        int n = args.Int("matmul", cuda ? 8192 : 512);
        using (torch.no_grad())
        {
            using var a = torch.randn(n, n, dtype: torch.ScalarType.BFloat16, device: device);
            using var b = torch.randn(n, n, dtype: torch.ScalarType.BFloat16, device: device);
            double seconds = Time(() => { using var c = a.matmul(b); }, cuda, warmup: cuda ? 5 : 1, iterations: cuda ? 30 : 3);
            double tflops = 2.0 * n * n * n / seconds / 1e12;
            step.Details["bf16_matmul_n"] = n;
            step.Details["bf16_matmul_tflops"] = tflops;
            step.Rows.Add([$"bf16 matmul {n}x{n}x{n}", $"{F(tflops, "0.000")} TFLOP/s ({F(seconds * 1e3, "0.000")} ms)"]);

            // The engine's self-attention: [B, heads, L, 128] bf16 (Wan 1.3B: 12 heads of 128).
            int tokens = args.Int("tokens", cuda ? 8192 : 256);
            var shape = new long[] { 1, 12, tokens, 128 };
            using var q = torch.randn(shape, dtype: torch.ScalarType.BFloat16, device: device);
            using var k = torch.randn(shape, dtype: torch.ScalarType.BFloat16, device: device);
            using var v = torch.randn(shape, dtype: torch.ScalarType.BFloat16, device: device);
            double attentionFlops = 4.0 * 12 * tokens * (double)tokens * 128;
            double Sdpa() => Time(() => { using var o = torch.nn.functional.scaled_dot_product_attention(q, k, v); }, cuda, cuda ? 3 : 1, cuda ? 20 : 2);
            double defaultSeconds = Sdpa();
            step.Details["sdpa_tokens"] = tokens;
            step.Details["sdpa_default_seconds"] = defaultSeconds;
            step.Rows.Add([$"SDPA bf16 [1,12,{tokens},128], default backends", $"{F(defaultSeconds * 1e3, "0.000")} ms, {F(attentionFlops / defaultSeconds / 1e12, "0.000")} TFLOP/s"]);
            if (cuda)
            {
                bool flash = torch.backends.cuda.flash_sdp_enabled();
                torch.backends.cuda.enable_flash_sdp(false);
                try
                {
                    double noFlash = Sdpa();
                    step.Details["sdpa_without_flash_seconds"] = noFlash;
                    step.Rows.Add(["SDPA, flash refused (efficient/cuDNN/math)", $"{F(noFlash * 1e3, "0.000")} ms"]);
                    string inferred = noFlash > defaultSeconds * 1.15 ? "flash (refusing it made SDPA slower)" : "not flash (refusing flash changed nothing)";
                    step.Details["sdpa_backend_inferred"] = inferred;
                    step.Rows.Add(["SDPA backend picked (inferred from timing)", inferred]);
                }
                finally { torch.backends.cuda.enable_flash_sdp(flash); }
            }
            else
            {
                step.Rows.Add(["SDPA backend", "CPU kernel (flash/efficient backends are CUDA only)"]);
            }
        }
        step.Summary = string.Join("; ", step.Rows.Take(3).Select(r => $"{r[0]}: {r[1]}"));
        return step;
    }

    private static double Time(Action run, bool cuda, int warmup, int iterations)
    {
        for (int i = 0; i < warmup; i++) run();
        if (cuda) torch.cuda.synchronize();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) run();
        if (cuda) torch.cuda.synchronize();
        return sw.Elapsed.TotalSeconds / iterations;
    }

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
