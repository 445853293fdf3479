using HiStream.Grains.Storage;

namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>Azurite (blob service) on a free loopback port with its own data folder, for the whole test run.
/// Found through HISTREAM_AZURITE (scripts/test.sh sets it) or tools/azurite (scripts/setup.sh installs it).</summary>
public sealed class AzuriteFixture : IDisposable
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly ServerProcess _server;
    private readonly string _data;

    public AzuriteFixture()
    {
        var azurite = Environment.GetEnvironmentVariable("HISTREAM_AZURITE") is { Length: > 0 } env ? env
            : Path.Combine(RepoPaths.Root, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
        if (!File.Exists(azurite))
            throw new InvalidOperationException($"Azurite is not installed at {azurite}: run scripts/setup.sh (it installs it with npm).");
        _data = Directory.CreateTempSubdirectory("histream-azurite-").FullName;
        _server = ServerProcess.Start(azurite, port => ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", _data, "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
            TimeSpan.FromSeconds(60));
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:{_server.Port}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public AzureBlobStore CreateStore() => AzureBlobStore.FromConnectionString(ConnectionString);

    public void Dispose()
    {
        _server.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
