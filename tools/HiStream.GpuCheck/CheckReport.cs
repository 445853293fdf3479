using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HiStream.GpuCheck;

/// <summary>
/// Merges what scripts/gpu-check.sh recorded into one results file, <c>results.json</c> (every step's status, time,
/// summary, table and details, plus the whole report as markdown) and the same markdown as <c>results.md</c>.
/// <c>steps.tsv</c> has one line per step run: name, title, exit code, seconds, note (e.g. why it was skipped).
/// </summary>
public static class CheckReport
{
    public static int Run(CheckArgs args)
    {
        var dir = args.Require("dir");
        var steps = new JsonArray();
        var md = new StringBuilder();
        md.AppendLine($"## GPU check results ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.AppendLine();
        foreach (var line in (args.Get("header") ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries)) md.AppendLine($"- {line.Trim()}");
        md.AppendLine();
        md.AppendLine("| # | step | status | seconds | summary |");
        md.AppendLine("|---|---|---|---:|---|");
        var tables = new StringBuilder();
        int failed = 0, index = 0;
        var bench = new List<(string Name, int Rc, double Seconds, JsonNode? Json)>();
        foreach (var row in ReadSteps(Path.Combine(dir, "steps.tsv")))
        {
            var (name, title, rc, seconds, note) = row;
            var json = ReadJson(Path.Combine(dir, name + ".json"));
            if (name.StartsWith("bench-", StringComparison.Ordinal)) bench.Add((name, rc, seconds, json));
            string status = note.StartsWith("skipped", StringComparison.Ordinal) ? note
                : rc == 124 ? "fail (timed out)"
                // timeout(1) answers 137 when the step ignored SIGTERM and was killed after the grace; the OOM killer too.
                : rc == 137 ? "fail (timed out or killed, exit 137)"
                : json?["status"]?.GetValue<string>() is { } s ? (rc == 0 ? s : $"fail (exit {rc})")
                : rc == 0 ? "pass" : $"fail (exit {rc})";
            if (status.StartsWith("fail", StringComparison.Ordinal) || status == "gaps") failed++;
            string summary = json?["summary"]?.GetValue<string>() ?? (status.StartsWith("fail", StringComparison.Ordinal) ? LogTail(Path.Combine(dir, name + ".log")) : note);
            if (note.Length > 0 && !note.StartsWith("skipped", StringComparison.Ordinal) && summary != note) summary = $"{summary} ({note})";
            md.AppendLine($"| {++index} | {title} | {status} | {seconds.ToString("0.0", CultureInfo.InvariantCulture)} | {Cell(summary)} |");
            steps.Add(new JsonObject
            {
                ["name"] = name, ["title"] = title, ["status"] = status, ["exit_code"] = rc, ["seconds"] = seconds, ["note"] = note, ["summary"] = summary,
                ["output"] = json?.DeepClone(),
            });
            if (json?["rows"] is JsonArray rows && rows.Count > 0 && json["header"] is JsonArray header)
            {
                tables.AppendLine($"### {title}").AppendLine();
                foreach (var n in json["notes"]?.AsArray() ?? []) tables.AppendLine($"- {n}");
                tables.AppendLine().AppendLine("| " + string.Join(" | ", header.Select(h => Cell(h!.ToString()))) + " |");
                tables.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
                foreach (var r in rows) tables.AppendLine("| " + string.Join(" | ", r!.AsArray().Select(c => Cell(c?.ToString() ?? ""))) + " |");
                tables.AppendLine();
            }
        }
        if (bench.Count > 0) tables.Append(BenchTable(bench));
        md.AppendLine().Append(tables);
        var markdown = md.ToString();
        var root = new JsonObject
        {
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            ["header"] = args.Get("header"),
            ["failed_steps"] = failed,
            ["steps"] = steps,
            ["markdown"] = markdown,
        };
        File.WriteAllText(Path.Combine(dir, "results.json"), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(dir, "results.md"), markdown);
        Console.WriteLine(markdown);
        return 0;
    }

    private static string BenchTable(List<(string Name, int Rc, double Seconds, JsonNode? Json)> runs)
    {
        var sb = new StringBuilder();
        var first = runs.Select(r => r.Json).FirstOrDefault(j => j is not null);
        sb.AppendLine("### HiStream benchmark").AppendLine();
        if (first is not null)
            sb.AppendLine($"- {first["width"]}x{first["height"]}, {first["latent_frames"]} latent frames ({first["pixel_frames"]} frames), {first["model"]}, {first["dtype"]} on {first["device"]}; random weights; each sampler in its own process after a warm-up")
              .AppendLine($"- {first["libtorch"]}").AppendLine();
        sb.AppendLine("| sampler | s / frame (denoising) | achieved TFLOP/s (FLOP model) | analytic TFLOP / video | peak KV cache | peak device memory in use |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, rc, _, json) in runs)
        {
            var s = json?["samplers"]?.AsArray().FirstOrDefault();
            if (s is null) { sb.AppendLine($"| {name["bench-".Length..]} | fail (exit {rc}) | | | | |"); continue; }
            sb.AppendLine($"| {s["sampler"]} | {D(s["seconds_per_frame"], "0.000")} | {D(s["achieved_tflops"], "0.000")} | {D(s["analytic_tflop"], "0.000")} | {Bytes(s["peak_kv_cache_bytes"])} | {Bytes(s["peak_device_bytes"])} |");
        }
        return sb.AppendLine().ToString();
    }

    private static IEnumerable<(string Name, string Title, int Rc, double Seconds, string Note)> ReadSteps(string path)
    {
        if (!File.Exists(path)) yield break;
        foreach (var line in File.ReadAllLines(path))
        {
            var f = line.Split('\t');
            if (f.Length < 4) continue;
            yield return (f[0], f[1], int.TryParse(f[2], out var rc) ? rc : -1, double.TryParse(f[3], CultureInfo.InvariantCulture, out var s) ? s : 0, f.Length > 4 ? f[4] : "");
        }
    }

    private static JsonNode? ReadJson(string path)
    {
        try { return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null; }
        catch (JsonException) { return null; }
    }

    private static string LogTail(string path)
    {
        if (!File.Exists(path)) return "no output";
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).TakeLast(3);
        return "log: " + string.Join(" / ", lines.Select(l => l.Length > 200 ? l[..200] + "…" : l));
    }

    private static string D(JsonNode? n, string format) => n is null ? "–" : n.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);

    private static string Bytes(JsonNode? n) => n is null ? "–" : (n.GetValue<long>() / 1048576.0).ToString("N0", CultureInfo.InvariantCulture) + " MiB";

    private static string Cell(string s) => s.Replace('|', '/').Replace('\n', ' ');
}
