using System.CommandLine;
using HiStream.Gateway.Api;
using HiStream.Silo.Hosting;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream serve</c>: the gateway web server. An Orleans client joins the cluster through the configured
/// membership (<see cref="HiStreamClustering"/>: Redis, Azure Table or localhost); with <c>Gateway:EmbeddedSilo=true</c> it hosts a silo itself. Other arguments
/// (e.g. <c>--urls</c>) go to ASP.NET Core.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the gateway web server (REST API, OpenAPI at /openapi/v1.json)") { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(async (parse, ct) =>
        {
            var app = Build(parse.UnmatchedTokens.ToArray());
            await app.RunAsync(ct);
            return 0;
        });
        return command;
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        if (configuration.GetValue("Gateway:EmbeddedSilo", false))
        {
            builder.UseOrleans(silo =>
            {
                silo.UseHiStreamClustering(configuration);
                silo.AddHiStreamSilo(configuration);
            });
        }
        else
        {
            builder.UseOrleansClient(client => client.UseHiStreamClustering(configuration));
        }
        builder.Services.AddGatewayServices(configuration);
        var app = builder.Build();
        app.MapGateway();
        return app;
    }
}
