using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HiStream.Testing;

/// <summary>A server the tests and benchmarks start (Azurite, redis-server) on a free loopback port, waited for, and stopped by PID.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="port">The port to listen on (a restart on the same port); a free one when null.</param>
    public static ServerProcess Start(string fileName, Func<int, IEnumerable<string>> arguments, TimeSpan startTimeout, int? port = null)
    {
        int listenPort = port ?? FreePort();
        return StartOn(fileName, arguments, startTimeout, listenPort);
    }

    private static ServerProcess StartOn(string fileName, Func<int, IEnumerable<string>> arguments, TimeSpan startTimeout, int port)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments(port)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, port);
        var deadline = DateTime.UtcNow + startTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{fileName} exited with {process.ExitCode} before listening on {port}.");
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
        throw new TimeoutException($"{fileName} did not listen on port {port} within {startTimeout}.");
    }

    /// <summary>Stops the server the way an orderly outage would: SIGTERM, so it stores what it acknowledged (Azurite
    /// saves its metadata only every few seconds and on shutdown), then a kill after <paramref name="grace"/>.</summary>
    public void Stop(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            ChildProcesses.Terminate(_process);
            _process.WaitForExit(grace);
        }
        Dispose();
    }

    public void Dispose() => ChildProcesses.Stop(_process);
}
