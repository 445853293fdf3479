namespace HiStream.Gateway.Embedded;

/// <summary>Settings of the in-process farm that <c>histream render</c> starts.</summary>
public sealed record EmbeddedFarmOptions
{
    /// <summary>Output folder (local store); results go to <c>{Out}/{job}/{video}/</c>.</summary>
    public required string Out { get; init; }

    /// <summary>Azure Blob connection string: results go there instead of the folder.</summary>
    public string? BlobConnectionString { get; init; }

    public string Container { get; init; } = "histream-results";
    public int Slots { get; init; } = 1;
    public bool Verbose { get; init; }

    /// <summary>Extra configuration (Engine:*, Farm:*, Gateway:Limits:*).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}
