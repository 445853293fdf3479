using System.CommandLine;
using HiStream.Gateway.Api;
using HiStream.Silo.Hosting;
using Orleans.Configuration;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream serve</c>: the gateway web server. An Orleans client joins the cluster through Redis
/// (<c>Orleans:Redis</c>) or localhost; with <c>Gateway:EmbeddedSilo=true</c> it hosts a silo itself. Other arguments
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
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = configuration["Orleans:ClusterId"] ?? "histream";
                    o.ServiceId = configuration["Orleans:ServiceId"] ?? "histream-farm";
                });
                var redis = configuration["Orleans:Redis"];
                if (string.IsNullOrWhiteSpace(redis)) client.UseLocalhostClustering(configuration.GetValue("Orleans:GatewayPort", 30000));
                else client.UseRedisClustering(redis);
            });
        }
        builder.Services.AddGatewayServices(configuration);
        var app = builder.Build();
        app.MapGateway();
        return app;
    }
}
