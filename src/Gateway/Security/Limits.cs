namespace HiStream.Gateway.Security;

/// <summary>Refusals for a limit: a problem-details answer with <c>limit</c> (the configuration key) and its value.</summary>
public static class Limits
{
    public static IResult Refuse(int status, string title, string detail, string limit, object value) =>
        Results.Problem(detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["limit"] = limit, ["value"] = value });
}

/// <summary>A submission that would take a tenant over a quota.</summary>
public sealed class QuotaExceededException(string limit, long value, string detail) : Exception(detail)
{
    public string Limit { get; } = limit;
    public long Value { get; } = value;
}
