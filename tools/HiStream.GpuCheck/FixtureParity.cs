using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using HiStream.Engine;
using HiStream.Engine.Caching;
using HiStream.Engine.Checkpoints;
using HiStream.Engine.Models;
using HiStream.Engine.Native;
using HiStream.Engine.Random;
using HiStream.Engine.Sampling;
using HiStream.Engine.Scheduling;
using HiStream.Engine.Text;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.GpuCheck;

/// <summary>
/// Step 3: every fixture case replayed on the device in float32 and in bfloat16, compared with the PyTorch reference.
/// float32 must meet the fixture's own tolerance; on CUDA, cuDNN convolutions default to TF32, so a case that misses it
/// but has a relative L2 error ≤ <see cref="Tf32RelativeL2"/> is reported as "pass (TF32)". bfloat16 (8 mantissa
/// bits) passes at a relative L2 error ≤ <see cref="BFloat16RelativeL2"/>.
/// </summary>
public static class FixtureParity
{
    /// <summary>TF32 keeps 10 mantissa bits (unit roundoff 4.9e-4); a few layers deep that is about 1e-3.</summary>
    public const double Tf32RelativeL2 = 5e-3;

    /// <summary>bfloat16's unit roundoff is 3.9e-3; the tiny fixtures chain tens of ops (and the causal cases 4 chunks
    /// of 5 passes), so errors of 1-3% are normal. The CPU rehearsal measures where each case lands.</summary>
    public const double BFloat16RelativeL2 = 5e-2;

    public static StepOutput Run(CheckArgs args, LibTorchInfo libtorch)
    {
        var step = new StepOutput("parity");
        string device = args.Get("device") ?? (libtorch.CudaAvailable ? "cuda" : "cpu");
        var dtypes = (args.Get("dtypes") ?? "float32,bfloat16").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var cases = FixtureCase.Discover(args.Require("fixtures"));
        if (cases.Count == 0) { step.Fail($"no fixture cases under {args.Require("fixtures")}"); return step; }
        step.Header = ["case", "kind", "dtype", "outputs", "max |diff|", "worst rel. L2", "tolerance", "result"];
        step.Details["device"] = device;
        step.Details["tf32_relative_l2"] = Tf32RelativeL2;
        step.Details["bfloat16_relative_l2"] = BFloat16RelativeL2;
        var results = new JsonArray();
        int passed = 0, total = 0;
        foreach (var dir in cases)
        {
            foreach (var dtypeName in dtypes)
            {
                using var c = new FixtureCase(dir);
                var dtype = TorchRuntime.ParseDType(dtypeName);
                if (c.Kind == "flow-scheduler" && dtype != torch.ScalarType.Float32) continue;   // it computes in float32/float64 whatever the model's dtype
                total++;
                var sw = Stopwatch.StartNew();
                string result, tolerance = dtype == torch.ScalarType.Float32 ? $"atol {c.Atol:G2}, rtol {c.Rtol:G2}" : $"rel. L2 ≤ {BFloat16RelativeL2:G2}";
                List<ParityComparison> comparisons = [];
                string? error = null;
                try
                {
                    using var scope = torch.NewDisposeScope();
                    using var _ = torch.no_grad();
                    comparisons = Replay(c, device, dtype);
                    result = Verdict(comparisons, dtype, device);
                }
                catch (Exception e)
                {
                    error = $"{e.GetType().Name}: {e.Message}";
                    result = "fail";
                }
                if (result.StartsWith("pass", StringComparison.Ordinal)) passed++;
                else step.Status = "fail";
                double maxAbs = comparisons.Count > 0 ? comparisons.Max(x => x.MaxAbsDiff) : double.NaN;
                double relL2 = comparisons.Count > 0 ? comparisons.Max(x => x.RelativeL2) : double.NaN;
                step.Rows.Add([c.Name, c.Kind, dtypeName, comparisons.Count.ToString(CultureInfo.InvariantCulture), G(maxAbs), G(relL2), tolerance,
                               error is null ? result : $"fail: {Shorten(error)}"]);
                results.Add(new JsonObject
                {
                    ["case"] = c.Name, ["kind"] = c.Kind, ["dtype"] = dtypeName, ["result"] = result, ["error"] = error,
                    ["seconds"] = sw.Elapsed.TotalSeconds, ["max_abs_diff"] = double.IsNaN(maxAbs) ? null : maxAbs, ["worst_relative_l2"] = double.IsNaN(relL2) ? null : relL2,
                    ["atol"] = c.Atol, ["rtol"] = c.Rtol,
                });
            }
        }
        step.Details["cases"] = results;
        step.Summary = $"{passed} of {total} case/dtype runs within tolerance on {device}";
        return step;
    }

    private static string Verdict(List<ParityComparison> comparisons, torch.ScalarType dtype, string device)
    {
        if (comparisons.Count == 0) return "fail: nothing compared";
        if (comparisons.Any(c => !c.Finite)) return "fail: NaN or Inf";
        if (dtype == torch.ScalarType.Float32)
        {
            if (comparisons.All(c => c.WithinFixtureTolerance)) return "pass";
            return device.StartsWith("cuda", StringComparison.Ordinal) && comparisons.All(c => c.RelativeL2 <= Tf32RelativeL2) ? "pass (TF32)" : "fail";
        }
        return comparisons.All(c => c.RelativeL2 <= BFloat16RelativeL2) ? "pass" : "fail";
    }

    private static List<ParityComparison> Replay(FixtureCase c, string device, torch.ScalarType dtype) => c.Kind switch
    {
        "wan-dit" => WanDiT(c, device, dtype),
        "causal-wan" => CausalWan(c, device, dtype),
        "flow-scheduler" => Scheduler(c, device),
        "wan-vae-decoder" => Vae(c, device, dtype),
        "umt5-encoder" => UmT5(c, device, dtype),
        _ => throw new NotSupportedException($"unknown fixture kind '{c.Kind}'"),
    };

    private static List<ParityComparison> WanDiT(FixtureCase c, string device, torch.ScalarType dtype)
    {
        var dev = new torch.Device(device);
        using var model = WanDiTFactory.Create(WanConfig.FromJson(c.ModelConfig), c.WeightsPath, device, Name(dtype));
        var list = new List<ParityComparison>();
        foreach (var call in c.Calls)
        {
            var x = c.Tensor(call, "x").unsqueeze(0).to(dtype, dev);
            var t = c.Tensor(call, "t").to(dev);
            var context = c.Tensor(call, "context").unsqueeze(0).to(dtype, dev);
            var output = model.Forward(x, t, context);
            foreach (var name in FixtureCase.CheckedOutputs(call))
                list.Add(ParityComparison.Of($"call {call.GetProperty("index").GetInt32()} {name}", c.Tensor(call, name), output.squeeze(0), c.Atol, c.Rtol));
        }
        return list;
    }

    /// <summary>The Self-Forcing sampler fed the fixture's stored noise must reproduce the reference's final latents.</summary>
    private static List<ParityComparison> CausalWan(FixtureCase c, string device, torch.ScalarType dtype)
    {
        using var model = WanDiTFactory.Create(WanConfig.FromJson(c.ModelConfig), c.WeightsPath, device, Name(dtype));
        var sampler = new SelfForcingSampler(model, new SelfForcingOptions { Window = KvWindow.FromJson(c.ModelConfig), Device = device, DType = Name(dtype) }, new StoredNoise(c));
        var output = c.Calls.Single(k => FixtureCase.Method(k) == "pipeline_output");
        var expected = c.Tensor(output, "latents");
        var context = c.Tensor(c.Calls[0], "context").squeeze(0);
        var request = new SamplingRequest(context, Seed: 0, (int)expected.shape[2], (int)expected.shape[3], (int)expected.shape[4]);
        var chunks = sampler.Generate(request).Select(ch => ch.Latents).ToArray();
        var all = torch.cat(chunks, 1).unsqueeze(0);
        return [ParityComparison.Of("latents (whole chain)", expected, all, c.Atol, c.Rtol)];
    }

    private static List<ParityComparison> Scheduler(FixtureCase c, string device)
    {
        var dev = new torch.Device(device);
        var cfg = c.ModelConfig;
        using var scheduler = new FlowMatchScheduler(cfg.GetProperty("shift").GetDouble(), cfg.GetProperty("num_train_timesteps").GetInt32());
        var list = new List<ParityComparison>();
        foreach (var call in c.Calls)
        {
            switch (FixtureCase.Method(call))
            {
                case "add_noise":
                    list.Add(ParityComparison.Of("add_noise", c.Tensor(call, "x_noisy"),
                        scheduler.AddNoise(c.Tensor(call, "x0").to(dev), c.Tensor(call, "noise").to(dev), c.Tensor(call, "t").to(dev), dim: 0), c.Atol, c.Rtol));
                    break;
                case "convert_flow_pred_to_x0":
                    list.Add(ParityComparison.Of("flow_to_x0", c.Tensor(call, "x0_pred"),
                        scheduler.FlowToX0(c.Tensor(call, "xt").to(dev), c.Tensor(call, "flow_pred").to(dev), c.Tensor(call, "t").to(dev), dim: 0), c.Atol, c.Rtol));
                    break;
            }
        }
        return list;
    }

    private static List<ParityComparison> Vae(FixtureCase c, string device, torch.ScalarType dtype)
    {
        var dev = new torch.Device(device);
        using var model = WanVaeDecoderModel.Create(WanVaeConfig.FromJson(c.ModelConfig), dev, dtype);
        var weights = SafeTensorsFile.Load(c.WeightsPath);
        model.LoadStateDict(weights, c.WeightsPath);
        foreach (var w in weights.Values) w.Dispose();
        var list = new List<ParityComparison>();
        foreach (var call in c.Calls)
        {
            var normalization = LatentNormalization.FromTensors(c.Tensor(call, "mean").to(dev), c.Tensor(call, "std").to(dev));
            var raw = StreamingWanVaeDecoder.DecodeAll(model, c.Tensor(call, "z").to(dtype, dev), VaeDecodeOptions.Default, normalization);
            list.Add(ParityComparison.Of("video_raw", c.Tensor(call, "video_raw"), raw, c.Atol, c.Rtol));
        }
        return list;
    }

    private static List<ParityComparison> UmT5(FixtureCase c, string device, torch.ScalarType dtype)
    {
        var dev = new torch.Device(device);
        var m = c.ModelConfig;
        var config = new UmT5Config(m.GetProperty("vocab").GetInt32(), m.GetProperty("dim").GetInt32(), m.GetProperty("dim_attn").GetInt32(),
            m.GetProperty("dim_ffn").GetInt32(), m.GetProperty("num_heads").GetInt32(), m.GetProperty("num_layers").GetInt32(), m.GetProperty("num_buckets").GetInt32());
        using var model = new UmT5EncoderModel(config, dtype, dev);
        using (var file = CheckpointLoader.Open(c.WeightsPath)) ModuleWeights.LoadStrict(model, file);
        var list = new List<ParityComparison>();
        foreach (var call in c.Calls)
        {
            var hidden = model.call(c.Tensor(call, "ids").to(dev), c.Tensor(call, "mask").to(dev));
            list.Add(ParityComparison.Of($"call {call.GetProperty("index").GetInt32()} hidden", c.Tensor(call, "hidden"), hidden, c.Atol, c.Rtol));
        }
        return list;
    }

    private static string Name(torch.ScalarType dtype) => dtype == torch.ScalarType.BFloat16 ? "bfloat16" : "float32";

    private static string G(double v) => double.IsNaN(v) ? "–" : v.ToString("G3", CultureInfo.InvariantCulture);

    private static string Shorten(string s) => (s.Length > 140 ? s[..139] + "…" : s).Replace('|', '/').Replace('\n', ' ');

    /// <summary>The fixture's noise draws (each chunk's initial latent and every add_noise), served by key.</summary>
    private sealed class StoredNoise : INoiseSource
    {
        private readonly Dictionary<(int, int, NoisePurpose), torch.Tensor> _draws = new();

        public StoredNoise(FixtureCase c)
        {
            foreach (var call in c.Calls)
            {
                var args = call.GetProperty("args");
                var method = FixtureCase.Method(call);
                if (method == "forward" && args.GetProperty("role").GetString() == "denoise" && args.GetProperty("step").GetInt32() == 0)
                    _draws[(args.GetProperty("chunk").GetInt32(), 0, NoisePurpose.InitialLatent)] = c.Tensor(call, "x");
                else if (method == "scheduler.add_noise")
                    _draws[(args.GetProperty("chunk").GetInt32(), args.GetProperty("after_step").GetInt32() + 1, NoisePurpose.Renoise)] = c.Tensor(call, "noise");
            }
        }

        public torch.Tensor Draw(NoiseKey key, long[] shape) =>
            _draws.TryGetValue((key.Chunk, key.Step, key.Purpose), out var t) ? t.clone() : throw new KeyNotFoundException($"the fixture has no noise for {key}");
    }
}
