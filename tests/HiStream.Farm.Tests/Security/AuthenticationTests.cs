using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
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
        string Token(byte[] key, string tenant, DateTime expires) => TokenWith(key, expires, new Claim("tenant", tenant));
        string TokenWith(byte[] key, DateTime expires, params Claim[] claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test",
            Audience = "histream",
            Expires = expires,
            NotBefore = expires.AddHours(-2),
            Subject = new ClaimsIdentity(claims),
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

        // A tenant claim that is not a valid tenant name is refused; it never acts as a caller without tenant or quota.
        foreach (var claim in new[] { "Acme", "acme.corp", "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(signingKey, claim, DateTime.UtcNow.AddMinutes(10)));
            var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"tenant '{claim}': {(int)response.StatusCode} {body}");
            Assert.Contains("is not a valid tenant name", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());

            using var submit = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = JsonContent.Create(new { items = new[] { new { prompt = "x", size = "32x32", frames = 9 } } }) };
            submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(signingKey, claim, DateTime.UtcNow.AddMinutes(10)));
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(submit)).StatusCode);
        }
        // A token with neither a tenant nor the admin role is refused; an admin token needs no tenant.
        Assert.Equal(HttpStatusCode.Forbidden, await ListAsync(TokenWith(signingKey, DateTime.UtcNow.AddMinutes(10), new Claim("sub", "someone"))));
        Assert.Equal(HttpStatusCode.OK, await ListAsync(TokenWith(signingKey, DateTime.UtcNow.AddMinutes(10), new Claim("role", "admin"))));
    }

    [Fact]
    public void ServeRefusesAJwtAuthorityWithoutAnAudience()
    {
        // Without an audience, tokens the authority issued for any other application would be accepted here.
        Assert.Null(ServeCommand.Build(["--Gateway:Auth:JwtAuthority=https://issuer.test"]));
        Assert.Contains("Gateway:Auth:JwtAudience", new GatewayAuthOptions { JwtAuthority = "https://issuer.test" }.JwtConfigurationError());
        Assert.NotNull(ServeCommand.Build(["--Gateway:Auth:JwtAuthority=https://issuer.test", "--Gateway:Auth:JwtAudience=histream"]));
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
