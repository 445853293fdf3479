using HiStream.Engine.Native;
using HiStream.GpuCheck;

// The GPU check kit's program: one step per process, so a crash in one (a missing symbol aborts the process) cannot
// take the others down. scripts/gpu-check.sh runs the steps in order and then `report`.
//   histream-gpucheck symbols --binding libLibTorchSharp.so --libtorch DIR [--engine-symbols FILE] --out FILE
//   histream-gpucheck info|smoke --out FILE [--libtorch DIR] [--threads N]   (every torch step takes --libtorch and --threads)
//   histream-gpucheck parity --fixtures DIR [--dtypes float32,bfloat16] --out FILE [--libtorch DIR]
//   histream-gpucheck vae [--width 1920 --height 1088 --latent-frames 3 --dtype bfloat16 --preset wan2.1] --out FILE
//   histream-gpucheck report --dir RESULTS [--header "line|line"]
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: histream-gpucheck symbols|info|smoke|parity|vae|report --name value ...");
    return 2;
}
try
{
    var rest = LibTorchRequest.FromArgsOrEnvironment(args[1..], out var remaining);
    var options = new CheckArgs(remaining);
    if (args[0] == "report") return CheckReport.Run(options);
    StepOutput step;
    if (args[0] == "symbols") step = SymbolCheck.Run(options, rest.Directory ?? throw new ArgumentException("symbols needs --libtorch DIR (or HISTREAM_LIBTORCH)."));
    else
    {
        var libtorch = TorchNative.Initialize(rest, line => Console.Error.WriteLine(line));
        // The CPU rehearsal runs one torch thread: on a loaded 2-core machine more threads mostly wait at barriers.
        if (options.Get("threads") is { } threads) HiStream.Engine.IntraOpThreads.PinCurrentThread(int.Parse(threads, System.Globalization.CultureInfo.InvariantCulture));
        step = args[0] switch
        {
            "info" => Info(libtorch),
            "smoke" => CudaSmoke.Run(options, libtorch),
            "parity" => FixtureParity.Run(options, libtorch),
            "vae" => VaeDecodeCheck.Run(options, libtorch),
            _ => throw new ArgumentException($"unknown step '{args[0]}'"),
        };
    }
    step.Write(options.Require("out"));
    Console.WriteLine($"{step.Step}: {step.Status}: {step.Summary}");
    foreach (var note in step.Notes) Console.WriteLine($"  {note}");
    return step.Status is "fail" ? 1 : 0;
}
catch (Exception e) when (e is LibTorchLoadException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}

static StepOutput Info(LibTorchInfo libtorch)
{
    var step = new StepOutput("info") { Summary = libtorch.Describe() };
    step.Details["version"] = libtorch.Version;
    step.Details["directory"] = libtorch.Directory;
    step.Details["cuda_build"] = libtorch.CudaBuild;
    step.Details["cuda_available"] = libtorch.CudaAvailable;
    step.Details["device"] = libtorch.DeviceName;
    step.Header = ["libtorch", "CUDA build", "device"];
    step.Rows.Add([$"{libtorch.Version} ({libtorch.Source})", libtorch.CudaBuild ?? "none (CPU build)", libtorch.CudaAvailable ? libtorch.DeviceName ?? "cuda" : "cpu"]);
    return step;
}
