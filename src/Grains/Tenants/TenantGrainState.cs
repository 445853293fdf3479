namespace HiStream.Grains.Tenants;

[GenerateSerializer, Alias("histream.TenantGrainState")]
public sealed class TenantGrainState
{
    /// <summary>The tenant's newest jobs, oldest first (fewer than twice <see cref="PageSize"/>); the older ones are in
    /// <see cref="ArchivedPages"/> pages of <see cref="TenantJobPages"/>.</summary>
    [Id(0)] public List<string> Jobs { get; set; } = [];
    [Id(1)] public HashSet<string> Active { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public int ArchivedPages { get; set; }
    /// <summary>Ids per archived page, fixed by the first archive (<c>Farm:TenantJobPage</c> then).</summary>
    [Id(3)] public int PageSize { get; set; }
    /// <summary>When the last page was archived: every archived job was recorded before it.</summary>
    [Id(4)] public DateTimeOffset? ArchivedAt { get; set; }
}
