using System.CommandLine;

namespace HiStream.Gateway.Cli;

public static class CliApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("HiStream Farm: long, high-resolution video generation on an Orleans render farm")
        {
            RenderCommand.Create(),
            ServeCommand.Create(),
            KeysCommand.Create(),
        };
        foreach (var command in RemoteCommands.Create()) root.Add(command);
        return root;
    }
}
