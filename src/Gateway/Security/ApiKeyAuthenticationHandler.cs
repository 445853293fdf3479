using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Security;

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The configured keys with their hashes decoded once.</summary>
    public IReadOnlyList<(ApiKeyEntry Entry, byte[] Hash)> Keys { get; set; } = [];
    public bool Anonymous { get; set; }
}

/// <summary>The API-key scheme: the key comes in <c>X-Api-Key</c> (or <c>Authorization: ApiKey KEY</c>), its SHA-256 is
/// compared in constant time with every configured hash, and the caller becomes the key's tenant with its roles.
/// Without a key the request is unauthenticated (401), unless the gateway runs with <c>--anonymous</c>: then it is an
/// admin without a tenant.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = PresentedKey(Request);
        if (key is null)
            return Task.FromResult(Options.Anonymous ? AuthenticateResult.Success(Ticket(Anonymous())) : AuthenticateResult.NoResult());
        if (key.Length is 0 or > 512) return Task.FromResult(AuthenticateResult.Fail("The API key is empty or too long."));
        var entry = ApiKeys.Find(Options.Keys, key);
        if (entry is null) return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        var claims = new List<Claim> { new(ClaimTypes.Name, entry.Tenant), new(GatewayClaims.Tenant, entry.Tenant) };
        claims.AddRange(entry.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return Task.FromResult(AuthenticateResult.Success(Ticket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)))));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        await Results.Problem("Send an API key in the X-Api-Key header (histream --api-key, or HISTREAM_API_KEY).", statusCode: 401, title: "Authentication required")
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await Results.Problem("This API key may not do this (it needs the admin role).", statusCode: 403, title: "Forbidden").ExecuteAsync(Context);

    private AuthenticationTicket Ticket(ClaimsPrincipal principal) => new(principal, SchemeName);

    private static ClaimsPrincipal Anonymous() =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "anonymous"), new Claim(ClaimTypes.Role, GatewayClaims.AdminRole)], SchemeName));

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header)) return header.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}

public static class GatewayClaims
{
    public const string Tenant = "histream:tenant";
    public const string AdminRole = "admin";
    /// <summary>Policy: a tenant, or an admin.</summary>
    public const string TenantPolicy = "tenant";
    public const string AdminPolicy = "admin";
}
