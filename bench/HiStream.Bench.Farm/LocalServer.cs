using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HiStream.Bench.Farm;

/// <summary>redis-server or Azurite on a free loopback port, started and stopped by PID.</summary>
public sealed class LocalServer : IDisposable
{
    private readonly Process _process;

    private LocalServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static LocalServer Start(string fileName, Func<int, IEnumerable<string>> arguments)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments(port)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LocalServer(process, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{fileName} exited with {process.ExitCode}.");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        server.Dispose();
        throw new TimeoutException($"{fileName} did not listen on {port}.");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
