using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using HiStream.Gateway.Cli;
using HiStream.Gateway.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HiStream.Farm.Tests.Security;

/// <summary>How callers prove who they are: JWT bearer through the standard handler next to API keys, and the
/// gateway's refusal to serve without any.</summary>
public sealed class AuthenticationTests(LocalStoreFarm farm) : IClassFixture<LocalStoreFarm>
{
    [Fact]
    public async Task JwtBearerTokensActForTheirTenantNextToApiKeys()
    {
        var signingKey = RandomNumberGenerator.GetBytes(32);
        await using var gateway = await SecureGateway.StartAsync(farm.Farm, farm.Store, new Dictionary<string, string?>
        {
            ["Gateway:Auth:JwtSigningKey"] = Convert.ToBase64String(signingKey),
            ["Gateway:Auth:JwtIssuer"] = "https://issuer.test",
            ["Gateway:Auth:JwtAudience"] = "histream",
        });
        string Token(byte[] key, string tenant, DateTime expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test",
            Audience = "histream",
            Expires = expires,
            NotBefore = expires.AddHours(-2),
            Subject = new ClaimsIdentity([new Claim("tenant", tenant)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
        using var http = gateway.Client(null);
        async Task<HttpStatusCode> ListAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return (await http.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await ListAsync(Token(signingKey, "tenant-a", DateTime.UtcNow.AddMinutes(10))));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListAsync(Token(RandomNumberGenerator.GetBytes(32), "tenant-a", DateTime.UtcNow.AddMinutes(10))));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListAsync(Token(signingKey, "tenant-a", DateTime.UtcNow.AddMinutes(-10))));
        using var keyed = gateway.Client(SecureGateway.KeyA); // API keys still work beside JWT
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/jobs")).StatusCode);
    }

    [Fact]
    public void ServeRefusesToStartWithoutKeysUnlessAnonymous()
    {
        Assert.Null(ServeCommand.Build(["--Gateway:Auth:Anonymous=false"]));
        var withKey = ServeCommand.Build(["--Gateway:Auth:Keys:0:Tenant=acme", $"--Gateway:Auth:Keys:0:KeySha256={ApiKeys.HashHex("k")}"]);
        Assert.NotNull(withKey);
        var anonymous = ServeCommand.Build([], anonymous: true);
        Assert.NotNull(anonymous);
        Assert.Throws<InvalidOperationException>(() => ServeCommand.Build(["--Gateway:Auth:Keys:0:Tenant=Bad/Name", $"--Gateway:Auth:Keys:0:KeySha256={ApiKeys.HashHex("k")}"]));
    }

    [Fact]
    public void KeysAreRandomAndOnlyTheirHashesAreCompared()
    {
        var a = ApiKeys.NewKey();
        Assert.NotEqual(a, ApiKeys.NewKey());
        Assert.True(a.Length >= 40);
        var entries = new List<(ApiKeyEntry, byte[])> { (new ApiKeyEntry { Tenant = "acme" }, ApiKeys.Hash(a)) };
        Assert.Equal("acme", ApiKeys.Find(entries, a)?.Tenant);
        Assert.Null(ApiKeys.Find(entries, a + "x"));
        Assert.Equal(64, ApiKeys.HashHex(a).Length);
    }
}
