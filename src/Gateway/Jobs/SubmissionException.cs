namespace HiStream.Gateway.Jobs;

/// <summary>A refused submission: each error names the field (e.g. <c>items[3].width</c>, <c>lines[17].frames</c>).
/// Nothing of the job was kept.</summary>
public sealed class SubmissionException(IReadOnlyDictionary<string, string[]> errors, string detail) : Exception(detail)
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static SubmissionException One(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] }, $"{field}: {message}");
}
