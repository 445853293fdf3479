using System.Text.Json;
using System.Text.Json.Nodes;

namespace HiStream.GpuCheck;

/// <summary>What one step writes: a status (pass, fail, gaps, skipped, shrunk), a one-line summary, a markdown
/// table of its own, and details as JSON.</summary>
public sealed class StepOutput(string step)
{
    public string Step { get; } = step;
    public string Status { get; set; } = "pass";
    public string Summary { get; set; } = "";
    public List<string> Notes { get; } = [];
    public List<string[]> Rows { get; } = [];
    public string[] Header { get; set; } = [];
    public JsonObject Details { get; } = new();

    public void Fail(string why)
    {
        Status = "fail";
        Notes.Add(why);
    }

    public void Write(string path)
    {
        var root = new JsonObject
        {
            ["step"] = Step,
            ["status"] = Status,
            ["summary"] = Summary,
            ["notes"] = new JsonArray(Notes.Select(n => (JsonNode)n).ToArray()),
            ["header"] = new JsonArray(Header.Select(h => (JsonNode)h).ToArray()),
            ["rows"] = new JsonArray(Rows.Select(r => (JsonNode)new JsonArray(r.Select(c => (JsonNode)c).ToArray())).ToArray()),
            ["details"] = Details.DeepClone(),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
