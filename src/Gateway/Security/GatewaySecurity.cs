using System.Security.Claims;
using System.Text;
using System.Threading.RateLimiting;
using HiStream.Grains.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace HiStream.Gateway.Security;

/// <summary>Authentication (API keys, optionally JWT bearer), the <c>tenant</c> and <c>admin</c> policies, and a
/// per-tenant rate limiter, all with ASP.NET Core's own building blocks.</summary>
public static class GatewaySecurity
{
    private const string SelectScheme = "ApiKeyOrJwt";

    public static IServiceCollection AddGatewaySecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var auth = configuration.GetSection(GatewayAuthOptions.Section).Get<GatewayAuthOptions>() ?? new GatewayAuthOptions();
        var keys = CheckKeys(auth);
        if (auth.JwtConfigurationError() is { } jwtError) throw new InvalidOperationException(jwtError);
        services.Configure<GatewayAuthOptions>(configuration.GetSection(GatewayAuthOptions.Section));
        services.Configure<GatewayQuotas>(configuration.GetSection(GatewayQuotas.Section));
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<TenantQuotaChecker>();

        var builder = services.AddAuthentication(auth.HasJwt ? SelectScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, o =>
            {
                o.Keys = keys;
                o.Anonymous = auth.Anonymous;
            });
        if (auth.HasJwt)
        {
            builder.AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                if (!string.IsNullOrWhiteSpace(auth.JwtAuthority)) o.Authority = auth.JwtAuthority;
                o.Audience = auth.JwtAudience;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateAudience = !string.IsNullOrWhiteSpace(auth.JwtAudience),
                    ValidAudience = auth.JwtAudience,
                    ValidateIssuer = !string.IsNullOrWhiteSpace(auth.JwtIssuer) || !string.IsNullOrWhiteSpace(auth.JwtAuthority),
                    ValidIssuer = auth.JwtIssuer,
                    IssuerSigningKey = string.IsNullOrWhiteSpace(auth.JwtSigningKey) ? null : new SymmetricSecurityKey(Convert.FromBase64String(auth.JwtSigningKey)),
                    RoleClaimType = "role",
                    NameClaimType = auth.JwtTenantClaim,
                };
            });
            builder.AddPolicyScheme(SelectScheme, "API key or JWT", o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyAuthenticationHandler.SchemeName);
        }

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(GatewayClaims.AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(GatewayClaims.AdminRole))
            .AddPolicy(GatewayClaims.TenantPolicy, p => p.RequireAuthenticatedUser().AddRequirements(new TenantCallerRequirement()));
        services.AddSingleton<IAuthorizationHandler, TenantCallerHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenProblemHandler>();

        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<IOptions<GatewayQuotas>>().Value.RequestsPerMinute;
                if (perMinute <= 0) return RateLimitPartition.GetNoLimiter("off");
                return RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute,
                    TokensPerPeriod = perMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var perMinute = http.RequestServices.GetRequiredService<IOptions<GatewayQuotas>>().Value.RequestsPerMinute;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString();
                await Limits.Refuse(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"More than {perMinute} requests per minute for this tenant.", "Gateway:Quotas:RequestsPerMinute", perMinute).ExecuteAsync(http);
            };
        });
        return services;
    }

    /// <summary>Authentication, then the rate limiter (which needs the tenant), then authorization.</summary>
    public static WebApplication UseGatewaySecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Logs loudly when requests without a key are let in.</summary>
    public static void WarnIfAnonymous(WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<GatewayAuthOptions>>().Value.Anonymous)
            app.Logger.LogWarning("The gateway accepts requests WITHOUT an API key (--anonymous / Gateway:Auth:Anonymous): every caller is an admin. Use this for local development only.");
    }

    private static string PartitionKey(HttpContext http)
    {
        var tenant = http.User.FindFirst(GatewayClaims.Tenant)?.Value;
        return tenant is not null ? "tenant:" + tenant : "addr:" + http.Connection.RemoteIpAddress;
    }

    private static IReadOnlyList<(ApiKeyEntry, byte[])> CheckKeys(GatewayAuthOptions auth)
    {
        var keys = new List<(ApiKeyEntry, byte[])>();
        for (int i = 0; i < auth.Keys.Count; i++)
        {
            var k = auth.Keys[i];
            if (TenantNames.Error(k.Tenant) is { } tenantError) throw new InvalidOperationException($"Gateway:Auth:Keys:{i}:Tenant {tenantError}");
            if (k.KeySha256.Length != 64 || !k.KeySha256.All(Uri.IsHexDigit))
                throw new InvalidOperationException($"Gateway:Auth:Keys:{i}:KeySha256 must be the SHA-256 of the key as 64 hex digits (histream keys new prints one).");
            if (k.Container is not null && HiStream.Grains.Storage.BlobNames.ContainerError(k.Container) is { } containerError)
                throw new InvalidOperationException($"Gateway:Auth:Keys:{i}:Container {containerError}");
            keys.Add((k, Convert.FromHexString(k.KeySha256)));
        }
        return keys;
    }
}
