namespace HiStream.Silo.Hosting;

/// <summary>Endpoints marked <see cref="OnlyOnManagementPort{TBuilder}"/> answer on the management port only; on
/// any other port the request goes on without an endpoint (404, or the app's fallback for unknown paths).</summary>
public static class ManagementPortRouting
{
    /// <summary>Kestrel listens on the public addresses and on the management port.</summary>
    public static WebApplicationBuilder ListenOnManagementPort(this WebApplicationBuilder builder, ManagementPort management)
    {
        builder.WebHost.UseUrls([.. management.ListenUrls(builder.Configuration)]);
        return builder;
    }

    /// <summary>Routing, then the port check; call it before middleware that acts on the endpoint (authorization).</summary>
    public static WebApplication UseManagementPort(this WebApplication app, ManagementPort management)
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
        return app;
    }

    public static TBuilder OnlyOnManagementPort<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ManagementOnly.Instance);

    private sealed class ManagementOnly
    {
        public static readonly ManagementOnly Instance = new();
    }
}
