namespace HiStream.Abstractions.Jobs;

/// <summary>A validated, normalised job manifest stored as pages of JSON lines (<c>{Prefix}/{page:D6}.jsonl</c>),
/// so a worker reads one page to start one item and nothing holds the whole job in memory.</summary>
[GenerateSerializer, Immutable, Alias("histream.ManifestLocation")]
public sealed record ManifestLocation(
    [property: Id(0)] string Container,
    [property: Id(1)] string Prefix,
    [property: Id(2)] int PageSize,
    [property: Id(3)] int ItemCount)
{
    public string PageName(int page) => $"{Prefix.TrimEnd('/')}/{page:D6}.jsonl";
    public int PageOf(int itemIndex) => itemIndex / PageSize;
    public int PageCount => (ItemCount + PageSize - 1) / PageSize;
}
