using System.Text.Json;
using HiStream.Engine.Caching;
using HiStream.Engine.Scheduling;
using HiStream.Engine.Tests.Reference;
using TorchSharp;

namespace HiStream.Engine.Tests.Sampling;

/// <summary>
/// Replays a Self-Forcing generation call by call with the port's own outputs feeding forward (x0 → add_noise with
/// the stored noise → next forward; the chunk result → cache refresh), comparing every output on the way.
/// </summary>
public sealed class CausalWanParityTests
{
    public static TheoryData<string> Cases => ReferenceCases.OfKinds("causal-wan");

    [Theory]
    [MemberData(nameof(Cases))]
    public void WholeChainMatchesReference(string caseDir)
    {
        using var c = new ReferenceCase(caseDir);
        var root = c.Config.RootElement;
        var pipeline = root.GetProperty("pipeline");
        int framesPerChunk = pipeline.GetProperty("num_frame_per_block").GetInt32();
        int chunks = pipeline.GetProperty("num_chunks").GetInt32();
        int frameTokens = root.GetProperty("frame_seq_length").GetInt32();
        var stepList = pipeline.GetProperty("denoising_step_list").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        using var model = FixtureModels.Load(c);
        var cfg = model.Config;
        using var scheduler = new FlowMatchScheduler(pipeline.GetProperty("timestep_shift").GetDouble());
        var steps = scheduler.WarpSteps(stepList);
        var expectedSteps = root.GetProperty("warped_denoising_steps").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(expectedSteps, steps);

        using var kv = new KvCache(cfg, 1, frameTokens, FixtureModels.Window(c), chunks * framesPerChunk, torch.CPU, torch.ScalarType.Float32);
        using var cross = new CrossAttentionCache(cfg, 1, torch.CPU, torch.ScalarType.Float32);

        torch.Tensor? x = null, x0 = null;
        var results = new List<torch.Tensor>();
        int forwards = 0;
        foreach (var call in c.Calls)
        {
            using var scope = torch.NewDisposeScope();
            var args = call.Args;
            switch (call.Method)
            {
                case "forward":
                {
                    forwards++;
                    string role = args.GetProperty("role").GetString()!;
                    int chunk = args.GetProperty("chunk").GetInt32();
                    int startFrame = chunk * framesPerChunk;
                    Assert.Equal(startFrame, args.GetProperty("current_start_frame").GetInt32());
                    Assert.Equal((long)startFrame * frameTokens, args.GetProperty("current_start").GetInt64());
                    float t;
                    if (role == "denoise")
                    {
                        int step = args.GetProperty("step").GetInt32();
                        t = steps[step];
                        if (step == 0) x = Keep(c.Tensor(call, "x").clone());       // the chunk's initial noise
                    }
                    else
                    {
                        Assert.Equal("cache_refresh", role);
                        t = 0f;
                        x = Keep(results[chunk].clone());
                    }
                    Assert.Equal(args.GetProperty("timestep").GetSingle(), t);
                    int frames = (int)x!.shape[2];
                    var tFrames = torch.full(new long[] { 1, frames }, t);
                    c.AssertClose(call, "t", tFrames);

                    var dbg = new Dictionary<string, torch.Tensor>();
                    var flow = model.ForwardCausal(x, tFrames, c.Tensor(call, "context"), kv, cross, startFrame,
                        probe: (name, value) => dbg[name] = value.clone().DetachFromDisposeScope());
                    x0 = Keep(scheduler.FlowToX0(x, flow, t));
                    try
                    {
                        foreach (var name in call.Outputs.Where(o => o.StartsWith("dbg.", StringComparison.Ordinal)))
                        {
                            var key = name["dbg.".Length..];
                            Assert.True(dbg.ContainsKey(key), $"the model reported no activation '{key}'");
                            c.AssertClose(call, name, dbg[key].reshape(c.Tensor(call, name).shape));
                        }
                    }
                    finally
                    {
                        foreach (var d in dbg.Values) d.Dispose();
                    }
                    c.AssertClose(call, "flow_pred", flow);
                    c.AssertClose(call, "x0_pred", x0);
                    Assert.Equal(args.GetProperty("kv_global_end_index_after").GetInt64(), kv.GlobalEnd);
                    Assert.Equal(args.GetProperty("kv_local_end_index_after").GetInt64(), kv.LocalEnd);
                    for (int layer = 0; layer < cfg.NumLayers; layer++)
                    {
                        if (call.Outputs.Contains($"kv_cache.{layer}.k")) c.AssertClose(call, $"kv_cache.{layer}.k", kv.Keys(layer));
                        if (call.Outputs.Contains($"kv_cache.{layer}.v")) c.AssertClose(call, $"kv_cache.{layer}.v", kv.Values(layer));
                    }
                    if (role == "denoise" && args.GetProperty("step").GetInt32() == steps.Length - 1)
                    {
                        Assert.Equal(chunk, results.Count);
                        results.Add(Keep(x0.clone()));
                    }
                    break;
                }
                case "scheduler.add_noise":
                {
                    int next = args.GetProperty("after_step").GetInt32() + 1;
                    Assert.Equal(args.GetProperty("timestep").GetSingle(), steps[next]);
                    var tFrames = torch.full(new long[] { x0!.shape[2] }, steps[next]);
                    c.AssertClose(call, "t", tFrames);
                    x = Keep(scheduler.AddNoise(x0, c.Tensor(call, "noise"), tFrames, dim: 2));
                    c.AssertClose(call, "x_noisy", x);
                    break;
                }
                case "pipeline_output":
                    c.AssertClose(call, "latents", torch.cat(results.ToArray(), 2));
                    break;
                default:
                    Assert.Fail($"{c.Name}: unknown call '{call.Method}'.");
                    break;
            }
        }
        Assert.Equal(chunks, results.Count);
        Assert.Equal(chunks * (steps.Length + 1), forwards);
    }

    /// <summary>Keeps a tensor alive past the per-call dispose scope (the chain carries it to later calls).</summary>
    private static torch.Tensor Keep(torch.Tensor t) => t.DetachFromDisposeScope();
}
