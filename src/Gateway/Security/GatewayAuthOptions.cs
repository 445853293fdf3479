namespace HiStream.Gateway.Security;

/// <summary>Who may call the gateway (configuration section <c>Gateway:Auth</c>). Keys are stored as the SHA-256 of a
/// high-entropy key (<c>histream keys new</c> makes one), never the key itself; in Kubernetes they come from a
/// Secret as environment variables (<c>Gateway__Auth__Keys__0__Tenant</c>, <c>..__KeySha256</c>, <c>..__Roles__0</c>).</summary>
public sealed class GatewayAuthOptions
{
    public const string Section = "Gateway:Auth";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>Requests without a key act as an admin with no tenant. For local development only: <c>histream serve
    /// --anonymous</c> sets it and logs a warning.</summary>
    public bool Anonymous { get; set; }

    /// <summary>Optional bearer JWTs through the standard handler: set <see cref="JwtAuthority"/> (OpenID Connect
    /// discovery) or <see cref="JwtSigningKey"/> (HS256, base64), and the audience.</summary>
    public string? JwtAuthority { get; set; }
    public string? JwtAudience { get; set; }
    public string? JwtIssuer { get; set; }
    public string? JwtSigningKey { get; set; }
    /// <summary>The claim that names the tenant in a JWT.</summary>
    public string JwtTenantClaim { get; set; } = "tenant";

    /// <summary>Why the JWT settings cannot be used, or null. Tokens of an OpenID Connect authority are issued for many
    /// applications, so without an audience any of them would be accepted here.</summary>
    public string? JwtConfigurationError() =>
        !string.IsNullOrWhiteSpace(JwtAuthority) && string.IsNullOrWhiteSpace(JwtAudience)
            ? $"Gateway:Auth:JwtAuthority is set but Gateway:Auth:JwtAudience is not: tokens that {JwtAuthority} issued for any other application would be accepted. Set the audience of this gateway."
            : null;

    public bool HasJwt => !string.IsNullOrWhiteSpace(JwtAuthority) || !string.IsNullOrWhiteSpace(JwtSigningKey);
}

/// <summary>One API key: the tenant it acts for, its roles (<c>admin</c> sees every tenant and the queue), the
/// SHA-256 of the key (64 hex digits) and optionally the tenant's own result container.</summary>
public sealed class ApiKeyEntry
{
    public string Tenant { get; set; } = "";
    public string KeySha256 { get; set; } = "";
    public List<string> Roles { get; set; } = [];
    public string? Container { get; set; }
}
