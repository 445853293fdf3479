namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>Azurite's table service (<c>azurite-table</c>, same npm package as the blob service) on a free loopback
/// port, in memory, stopped by PID on dispose.</summary>
public sealed class AzuriteTableServer : IDisposable
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly ServerProcess _server;

    public AzuriteTableServer()
    {
        var blob = Environment.GetEnvironmentVariable("HISTREAM_AZURITE") is { Length: > 0 } env ? env
            : Path.Combine(RepoPaths.Root, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
        var table = Path.Combine(Path.GetDirectoryName(blob)!, "azurite-table");
        if (!File.Exists(table))
            throw new InvalidOperationException($"Azurite's table service is not installed at {table}: run scripts/setup.sh (it installs Azurite with npm).");
        _server = ServerProcess.Start(table, port => ["--tableHost", "127.0.0.1", "--tablePort", port.ToString(), "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
            TimeSpan.FromSeconds(60));
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};TableEndpoint=http://127.0.0.1:{_server.Port}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public void Dispose() => _server.Dispose();
}
