using HiStream.Bench.Checkpoints;

// Compares our .pt reader with TorchSharp.PyBridge and Razorvine.Pickle (issue 12). Each load runs in its own process.
// Usage: dotnet run -c Release --project bench/HiStream.Bench.Checkpoints -- compare [--checkpoint BIG.pt] [--malicious DIR]
//        [--marker /tmp/histream-pwned-marker] [--repeats 3] [--timeout-s 60] [--malicious-memory-limit-gib 4]
//        Files come from bench/checkpoints/make-checkpoint.py and make-malicious.py (same --marker).
// Child: ... -- load Ours|PyBridge|Razorvine FILE
if (args.Length >= 3 && args[0] == "load") return LoadCommand.Run(Enum.Parse<ReaderKind>(args[1]), args[2]);
if (args.Length >= 1 && args[0] == "compare") return CompareCommand.Run(CompareOptions.Parse(args[1..]));
Console.Error.WriteLine("usage: compare [--checkpoint FILE] [--malicious DIR] [--marker PATH] [--repeats N] [--timeout-s S] [--malicious-memory-limit-gib G] | load READER FILE");
return 2;
