namespace HiStream.Grains.Tenants;

[GenerateSerializer, Alias("histream.TenantGrainState")]
public sealed class TenantGrainState
{
    /// <summary>Every job of the tenant, oldest first.</summary>
    [Id(0)] public List<string> Jobs { get; set; } = [];
    [Id(1)] public HashSet<string> Active { get; set; } = new(StringComparer.Ordinal);
}
