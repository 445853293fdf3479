using HiStream.Farm.Tests.Infrastructure;
using HiStream.Gateway.Api;
using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using HiStream.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace HiStream.Farm.Tests.Gateway;

/// <summary>The gateway's web application on a test server, talking to an in-process cluster (one render silo) whose
/// results and state are in its own Azurite; shared by the tests of a class.</summary>
public sealed class GatewayHost : IAsyncLifetime
{
    private readonly AzuriteFixture _azurite = new();
    private WebApplication? _app;

    public FarmCluster Farm { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;

    /// <summary>The gateway's management port (the default): a request arrives on it when the test server's
    /// connection says so (<see cref="TestServer.SendAsync"/>).</summary>
    public ManagementPort Management { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Farm = await FarmCluster.StartAsync(_azurite, [2]);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Gateway:Auth:Anonymous"] = "true"; // these tests are about the API, not keys (see TenantTests)
        builder.Configuration["Gateway:Limits:ManifestPageSize"] = "2";
        builder.Configuration["Gateway:Limits:MaxFrames"] = "101";
        builder.Configuration["Gateway:Limits:LargestSiloMemoryGiB"] = "4";
        builder.Configuration["Farm:JobsContainer"] = Farm.Farm.JobsContainer;
        builder.Configuration["Farm:ResultsContainer"] = Farm.Farm.ResultsContainer;
        builder.Services.AddSingleton<IBlobStore>(Farm.Blobs);
        builder.Services.AddSingleton(Farm.Grains);
        builder.Services.AddGatewayServices(builder.Configuration);
        Management = ManagementPort.FromConfiguration(builder.Configuration);
        _app = builder.Build();
        _app.MapGateway(Management);
        await _app.StartAsync();
        Client = _app.GetTestClient();
        Server = _app.GetTestServer();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        await Farm.DisposeAsync();
        _azurite.Dispose();
    }
}
