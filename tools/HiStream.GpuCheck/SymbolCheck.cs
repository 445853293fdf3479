using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HiStream.GpuCheck;

/// <summary>
/// Step 1: the undefined C++ symbols of TorchSharp's native binding (libLibTorchSharp.so, built for libtorch 2.10)
/// that the given libtorch does not export (<c>nm -D</c>), demangled, each with the binding's functions that call it
/// (<c>objdump -d</c>) and whether the engine bound it during the CPU rehearsal (the kit's engine-symbols.txt).
/// Loads nothing, so it runs even where the binding cannot load.
/// </summary>
public static partial class SymbolCheck
{
    public static StepOutput Run(CheckArgs args, string libDir)
    {
        var step = new StepOutput("symbols");
        var binding = args.Require("binding");
        foreach (var tool in new[] { "nm", "objdump" })
            if (!ToolProcess.Exists(tool)) { step.Fail($"{tool} is not installed (binutils)"); return step; }

        var undefined = ParseNm(ToolProcess.Run("nm", ["-D", "--undefined-only", binding]));
        // Versioned names (GLIBC_*, GLIBCXX_*, CXXABI_*, GCC_*) come from the system's C and C++ runtimes, not libtorch.
        var fromLibTorch = undefined.Where(s => !s.Name.Contains('@')).ToList();
        var libraries = Directory.GetFiles(libDir, "*.so*").Where(f => !Path.GetFileName(f).Contains("python", StringComparison.Ordinal)).Order().ToList();
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lib in libraries)
        {
            try
            {
                foreach (var s in ParseNm(ToolProcess.Run("nm", ["-D", "--defined-only", lib]))) exported.Add(StripVersion(s.Name));
            }
            catch (InvalidOperationException e) { step.Notes.Add($"skipped {Path.GetFileName(lib)}: {e.Message}"); }
        }
        var missing = fromLibTorch.Where(s => !exported.Contains(s.Name)).ToList();
        var engineUses = args.Get("engine-symbols") is { } f && File.Exists(f)
            ? File.ReadAllLines(f).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal)
            : null;
        var callers = missing.Count > 0 ? Callers(binding, missing.Select(m => m.Name).ToHashSet(StringComparer.Ordinal)) : [];
        var demangled = Demangle(missing.Select(m => m.Name).Concat(callers.Values.SelectMany(c => c)).Distinct().ToList());

        var strong = missing.Where(m => !m.Weak).ToList();
        int usedMissing = engineUses is null ? 0 : strong.Count(m => engineUses.Contains(m.Name));
        step.Details["binding"] = binding;
        step.Details["libtorch"] = libDir;
        step.Details["libraries_scanned"] = new JsonArray(libraries.Select(l => (JsonNode)Path.GetFileName(l)).ToArray());
        step.Details["undefined_total"] = undefined.Count;
        step.Details["undefined_from_libtorch"] = fromLibTorch.Count;
        step.Details["missing_strong"] = strong.Count;
        step.Details["missing_weak"] = missing.Count - strong.Count;
        step.Details["engine_symbols_known"] = engineUses?.Count;
        step.Details["missing_used_by_engine"] = engineUses is null ? null : usedMissing;
        var list = new JsonArray();
        step.Header = ["symbol (demangled)", "weak", "engine used it (CPU rehearsal)", "called from (binding functions)"];
        foreach (var m in missing)
        {
            var from = callers.GetValueOrDefault(m.Name) ?? [];
            string used = engineUses is null ? "unknown" : engineUses.Contains(m.Name) ? "yes" : "no";
            list.Add(new JsonObject
            {
                ["symbol"] = m.Name,
                ["demangled"] = demangled.GetValueOrDefault(m.Name, m.Name),
                ["weak"] = m.Weak,
                ["engine_used"] = used,
                ["called_from"] = new JsonArray(from.Select(c => (JsonNode)demangled.GetValueOrDefault(c, c)).ToArray()),
            });
            step.Rows.Add([Truncate(demangled.GetValueOrDefault(m.Name, m.Name), 160), m.Weak ? "yes" : "no", used,
                           Truncate(string.Join(", ", from.Select(c => demangled.GetValueOrDefault(c, c))), 160)]);
        }
        step.Details["missing"] = list;
        step.Status = strong.Count == 0 ? "pass" : "gaps";
        step.Summary = strong.Count == 0
            ? $"all {fromLibTorch.Count} libtorch symbols of {Path.GetFileName(binding)} are exported by {libraries.Count} libraries in {libDir}" +
              (missing.Count > 0 ? $" ({missing.Count} weak ones missing)" : "")
            : $"{strong.Count} of {fromLibTorch.Count} libtorch symbols missing" + (engineUses is null ? "" : $", {usedMissing} of them bound by the engine in the CPU rehearsal");
        return step;
    }

    private sealed record NmSymbol(string Name, bool Weak);

    private static List<NmSymbol> ParseNm(string output)
    {
        var list = new List<NmSymbol>();
        foreach (var line in output.Split('\n'))
        {
            var m = NmLine().Match(line);
            if (m.Success) list.Add(new NmSymbol(m.Groups[2].Value, m.Groups[1].Value is "w" or "v"));
        }
        return list;
    }

    private static string StripVersion(string name) => name.Split('@')[0];

    /// <summary>For each symbol, the binding's functions whose code calls or references it (through the PLT).</summary>
    private static Dictionary<string, List<string>> Callers(string binding, HashSet<string> symbols)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in ToolProcess.Run("objdump", ["-d", "--no-show-raw-insn", binding]).Split('\n'))
        {
            var header = FunctionHeader().Match(line);
            if (header.Success) { current = header.Groups[1].Value; continue; }
            if (current is null) continue;
            foreach (Match r in PltReference().Matches(line))
            {
                var target = r.Groups[1].Value;
                if (!symbols.Contains(target)) continue;
                var list = result.TryGetValue(target, out var l) ? l : result[target] = [];
                if (!list.Contains(current)) list.Add(current);
            }
        }
        return result;
    }

    private static Dictionary<string, string> Demangle(IReadOnlyList<string> names)
    {
        if (names.Count == 0 || !ToolProcess.Exists("c++filt")) return names.ToDictionary(n => n, n => n);
        var lines = ToolProcess.Run("c++filt", [], string.Join('\n', names) + "\n").Split('\n');
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++) map[names[i]] = i < lines.Length && lines[i].Length > 0 ? lines[i] : names[i];
        return map;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    /// <summary>"                 U name" (undefined) or "00000000001234 T name" (defined).</summary>
    [GeneratedRegex(@"^\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)\s*$")]
    private static partial Regex NmLine();

    [GeneratedRegex(@"^[0-9a-f]+ <([^>]+)>:$")]
    private static partial Regex FunctionHeader();

    [GeneratedRegex(@"<([^>@+]+)@plt>")]
    private static partial Regex PltReference();
}
