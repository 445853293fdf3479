using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Api;
using HiStream.Gateway.Security;
using HiStream.Grains.Storage;
using HiStream.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HiStream.Farm.Tests.Security;

/// <summary>A gateway with API keys on Kestrel (loopback, free port) in front of a given cluster and result store.
/// Tenants: <c>tenant-a</c>, <c>tenant-b</c>, and <c>ops</c> with the admin role.</summary>
public sealed class SecureGateway : IAsyncDisposable
{
    public const string KeyA = "hs_test-key-of-tenant-a-0123456789abcdef";
    public const string KeyB = "hs_test-key-of-tenant-b-0123456789abcdef";
    public const string KeyAdmin = "hs_test-key-of-the-admin-0123456789abcdef";

    private readonly WebApplication _app;

    private SecureGateway(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(3) };
        if (key is not null) http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    public static async Task<SecureGateway> StartAsync(FarmCluster farm, IBlobStore store, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var config = new Dictionary<string, string?>
        {
            ["Farm:JobsContainer"] = farm.Farm.JobsContainer,
            ["Farm:ResultsContainer"] = farm.Farm.ResultsContainer,
            ["Farm:State:Container"] = $"state-{farm.Suffix}",
            ["Gateway:Limits:MaxFrames"] = "101",
            ["Gateway:Auth:Keys:0:Tenant"] = "tenant-a",
            ["Gateway:Auth:Keys:0:KeySha256"] = ApiKeys.HashHex(KeyA),
            ["Gateway:Auth:Keys:1:Tenant"] = "tenant-b",
            ["Gateway:Auth:Keys:1:KeySha256"] = ApiKeys.HashHex(KeyB),
            ["Gateway:Auth:Keys:2:Tenant"] = "ops",
            ["Gateway:Auth:Keys:2:KeySha256"] = ApiKeys.HashHex(KeyAdmin),
            ["Gateway:Auth:Keys:2:Roles:0"] = "admin",
            ["Gateway:Quotas:RequestsPerMinute"] = "0",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(farm.Grains);
        builder.Services.AddGatewayServices(builder.Configuration);
        var app = builder.Build();
        app.MapGateway(ManagementPort.FromConfiguration(builder.Configuration));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SecureGateway(app, new Uri(address));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One render silo whose results go to a local folder store (grain state in Azurite), and the folder around
/// it, so tests can check that nothing outside the store root is read or written.</summary>
public sealed class LocalStoreFarm : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();

    public string Sandbox { get; } = Directory.CreateTempSubdirectory("histream-sec-").FullName;
    public string StoreRoot => Path.Combine(Sandbox, "store");
    /// <summary>A file outside the store root that no request may read.</summary>
    public string Secret => Path.Combine(Sandbox, "outside", "secret.txt");
    public string SecretText { get; } = $"planted secret {Guid.NewGuid():N}";
    public LocalFolderBlobStore Store { get; private set; } = null!;
    public FarmCluster Farm { get; private set; } = null!;
    public AzuriteFixture Azurite => _azurite;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Secret)!);
        await File.WriteAllTextAsync(Secret, SecretText + "\n");
        Store = new LocalFolderBlobStore(StoreRoot);
        Farm = await FarmCluster.StartAsync(_azurite, [1], resultStore: Store);
    }

    public async Task DisposeAsync()
    {
        await Farm.DisposeAsync();
        _azurite.Dispose();
        try
        {
            Directory.Delete(Sandbox, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
