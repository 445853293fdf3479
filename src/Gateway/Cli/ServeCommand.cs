using System.CommandLine;
using HiStream.Gateway.Api;
using HiStream.Gateway.Security;
using HiStream.Silo.Hosting;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream serve</c>: the gateway web server. An Orleans client joins the cluster through the configured
/// membership (<see cref="HiStreamClustering"/>: Redis, Azure Table or localhost); with <c>Gateway:EmbeddedSilo=true</c> it hosts a silo itself. Other arguments
/// (e.g. <c>--urls</c>) go to ASP.NET Core. <c>/scaling/demand</c> answers on the management port (<c>Management:Port</c>,
/// 9090) only.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var anonymous = new Option<bool>("--anonymous") { Description = "Accept requests without an API key, as an admin (local development only; logs a warning)" };
        var command = new Command("serve", "Run the gateway web server (REST API, OpenAPI at /openapi/v1.json); needs API keys (Gateway:Auth:Keys) or --anonymous")
        {
            anonymous,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var app = Build(parse.UnmatchedTokens.ToArray(), parse.GetValue(anonymous));
            if (app is null) return 2;
            GatewaySecurity.WarnIfAnonymous(app);
            await app.RunAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>The gateway, or null (with the reason on stderr) when it has no way to authenticate callers.</summary>
    public static WebApplication? Build(string[] args, bool anonymous = false)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        if (anonymous) configuration[$"{GatewayAuthOptions.Section}:Anonymous"] = "true";
        var auth = configuration.GetSection(GatewayAuthOptions.Section).Get<GatewayAuthOptions>() ?? new GatewayAuthOptions();
        if (auth.Keys.Count == 0 && !auth.HasJwt && !auth.Anonymous)
        {
            Console.Error.WriteLine("histream serve: no API keys are configured (Gateway:Auth:Keys, e.g. Gateway__Auth__Keys__0__Tenant and " +
                "Gateway__Auth__Keys__0__KeySha256; `histream keys new --tenant NAME` makes one). Refusing to serve without authentication; " +
                "pass --anonymous for local development.");
            return null;
        }
        if (auth.JwtConfigurationError() is { } jwtError)
        {
            Console.Error.WriteLine($"histream serve: {jwtError} Refusing to serve.");
            return null;
        }
        ManagementPort management;
        try
        {
            management = ManagementPort.FromConfiguration(configuration);
            builder.ListenOnManagementPort(management);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"histream serve: {e.Message} Refusing to serve.");
            return null;
        }
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
        app.MapGateway(management);
        return app;
    }
}
