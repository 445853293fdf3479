using Orleans.Dashboard;

namespace HiStream.Silo.Hosting;

/// <summary>The silo's management endpoints: <c>/metrics</c> (the OpenTelemetry Prometheus exporter, registered by the
/// caller) and, when <see cref="ManagementPort.Dashboard"/> is on, the Orleans dashboard at <c>/dashboard</c>, on the
/// management port only: on any other port they answer 404.</summary>
public static class ManagementEndpoints
{
    /// <summary>Orleans' dashboard grains and services, only when the dashboard is on.</summary>
    public static ISiloBuilder AddManagementDashboard(this ISiloBuilder silo, ManagementPort management)
    {
        if (management.Dashboard) silo.AddDashboard();
        return silo;
    }

    public static WebApplication MapManagementEndpoints(this WebApplication app, ManagementPort management)
    {
        app.UseManagementPort(management);
        app.MapPrometheusScrapingEndpoint().OnlyOnManagementPort();
        if (management.Dashboard) app.MapOrleansDashboard("/dashboard").OnlyOnManagementPort();
        return app;
    }
}
