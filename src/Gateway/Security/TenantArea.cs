namespace HiStream.Gateway.Security;

/// <summary>Where a tenant's jobs may read and write: its container (its own, or the shared results container) and,
/// inside it, the prefix <c>tenants/{tenant}/</c>. Job ids are scoped too: <c>{tenant}.{id}</c>, so two tenants never
/// share an id and one tenant's ids say nothing about another's.</summary>
public sealed record TenantArea(string Tenant, string Container)
{
    public string Prefix => $"tenants/{Tenant}";

    /// <summary>The farm-wide job id of a tenant's job id (ids already scoped to this tenant are kept).</summary>
    public string ScopeJobId(string jobId) => IsScoped(jobId) ? jobId : $"{Tenant}.{jobId}";

    public bool IsScoped(string jobId) => jobId.StartsWith(Tenant + ".", StringComparison.Ordinal);

    /// <summary>The tenant's output prefix with the user's own prefix below it.</summary>
    public string OutputPrefix(string userPrefix) => userPrefix.Length == 0 ? Prefix : $"{Prefix}/{userPrefix}";

    public bool Owns(string container, string name) =>
        container == Container && name.StartsWith(Prefix + "/", StringComparison.Ordinal);
}

/// <summary>Containers the farm keeps for itself (manifest pages, grain state): no job may read or write them.</summary>
public sealed record InternalContainers(IReadOnlySet<string> Names)
{
    public bool Contains(string container) => Names.Contains(container);

    public static InternalContainers From(IConfiguration configuration, string jobsContainer) =>
        new(new HashSet<string>(StringComparer.Ordinal)
        {
            jobsContainer,
            configuration["Farm:State:Container"] ?? "histream-state",
        });
}
