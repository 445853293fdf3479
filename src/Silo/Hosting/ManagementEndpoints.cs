using Orleans.Dashboard;

namespace HiStream.Silo.Hosting;

/// <summary>Serves <c>/metrics</c> (the OpenTelemetry Prometheus exporter, registered by the caller) and, when
/// <see cref="ManagementPort.Dashboard"/> is on, the Orleans dashboard at <c>/dashboard</c>, on the management port
/// only: on any other port they answer 404.</summary>
public static class ManagementEndpoints
{
    /// <summary>Kestrel listens on the public addresses and on the management port.</summary>
    public static WebApplicationBuilder ListenOnManagementPort(this WebApplicationBuilder builder, ManagementPort management)
    {
        builder.WebHost.UseUrls([.. management.ListenUrls(builder.Configuration)]);
        return builder;
    }

    /// <summary>Orleans' dashboard grains and services, only when the dashboard is on.</summary>
    public static ISiloBuilder AddManagementDashboard(this ISiloBuilder silo, ManagementPort management)
    {
        if (management.Dashboard) silo.AddDashboard();
        return silo;
    }

    public static WebApplication MapManagementEndpoints(this WebApplication app, ManagementPort management)
    {
        app.UseRouting();
        // The port the connection arrived on, not RequireHost("*:9090"): that matches the client's Host header, which
        // anyone reaching the public port can set (dotnet/aspnetcore#46057).
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ManagementOnly>() is not null && context.Connection.LocalPort != management.Port)
                context.SetEndpoint(null);
            return next(context);
        });
        app.MapPrometheusScrapingEndpoint().WithMetadata(ManagementOnly.Instance);
        if (management.Dashboard) app.MapOrleansDashboard("/dashboard").WithMetadata(ManagementOnly.Instance);
        return app;
    }

    private sealed class ManagementOnly
    {
        public static readonly ManagementOnly Instance = new();
    }
}
