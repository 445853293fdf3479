using System.Security.Claims;
using HiStream.Abstractions.Jobs;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Security;

/// <summary>Who is calling: a tenant (with the area its jobs live in), an admin, or both.</summary>
public sealed record Caller(string? Tenant, bool IsAdmin, TenantArea? Area)
{
    /// <summary>A job is visible to its tenant and to admins; to everyone else it does not exist (404).</summary>
    public bool CanSee(JobStatus status) => IsAdmin || (Tenant is not null && status.Tenant == Tenant);

    /// <summary>The farm-wide id of a job id the caller names: a tenant's own ids are scoped to it.</summary>
    public string JobKey(string jobId) => Area?.ScopeJobId(jobId) ?? jobId;
}

/// <summary>Turns the authenticated user into a <see cref="Caller"/>: the tenant claim (API key or JWT), the admin
/// role, and the tenant's container (its key's <c>Container</c>, else the shared results container).</summary>
public sealed class CallerResolver(IOptions<GatewayAuthOptions> auth, IOptions<FarmOptions> farm)
{
    private readonly Dictionary<string, string> _containers = auth.Value.Keys
        .Where(k => !string.IsNullOrWhiteSpace(k.Container))
        .GroupBy(k => k.Tenant, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().Container!, StringComparer.Ordinal);

    public Caller Resolve(ClaimsPrincipal user)
    {
        var tenant = TenantClaim(user);
        if (tenant is not null && TenantNames.Error(tenant) is not null) tenant = null;
        bool admin = user.IsInRole(GatewayClaims.AdminRole);
        var area = tenant is null ? null : new TenantArea(tenant, _containers.GetValueOrDefault(tenant) ?? farm.Value.ResultsContainer);
        return new Caller(tenant, admin, area);
    }

    /// <summary>Why the caller's tenant claim names no tenant, or null when it has none or a valid one.</summary>
    public string? TenantClaimError(ClaimsPrincipal user) =>
        TenantClaim(user) is { } tenant && TenantNames.Error(tenant) is { } error ? $"The '{auth.Value.JwtTenantClaim}' claim: {error}" : null;

    private string? TenantClaim(ClaimsPrincipal user) => user.FindFirst(GatewayClaims.Tenant)?.Value ?? user.FindFirst(auth.Value.JwtTenantClaim)?.Value;

    /// <summary>The tenants that configuration knows (for an admin's cross-tenant listing).</summary>
    public IEnumerable<string> KnownTenants => auth.Value.Keys.Select(k => k.Tenant).Distinct(StringComparer.Ordinal);
}

public static class TenantNames
{
    /// <summary>Tenant names are 1-32 lower-case letters, digits and '-', so they are safe in job ids and blob prefixes.</summary>
    public static string? Error(string tenant) =>
        tenant.Length is >= 1 and <= 32 && tenant.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && tenant[0] != '-'
            ? null
            : $"'{tenant}' is not a valid tenant name (1-32 lower-case letters, digits and '-').";
}
