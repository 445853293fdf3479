using HiStream.Engine.Pipeline;
using HiStream.Gateway.Jobs;
using HiStream.Gateway.Security;
using HiStream.Grains.Hosting;
using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;
using HiStream.Silo.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HiStream.Gateway.Api;

/// <summary>The gateway web application: REST API with OpenAPI at <c>/openapi/v1.json</c>, health at
/// <c>/healthz</c>, the autoscalers' demand on the management port. The Orleans client (or an embedded silo) is
/// configured by the caller.</summary>
public static class GatewayApp
{
    public static void AddGatewayServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GatewayLimits>(configuration.GetSection(GatewayLimits.Section));
        services.Configure<FarmOptions>(configuration.GetSection(FarmOptions.Section));
        services.Configure<PipelineOptions>(configuration.GetSection(PipelineOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBlobStore>(_ => HiStreamSiloExtensions.BlobStoreFromConfiguration(configuration));
        services.Configure<DownloadOptions>(configuration.GetSection(DownloadOptions.Section));
        services.AddSingleton(sp => InternalContainers.From(configuration, sp.GetRequiredService<IOptions<FarmOptions>>().Value.JobsContainer));
        services.AddSingleton<JobSubmitter>();
        services.AddSingleton<ResultLister>();
        services.AddSingleton<StoredVideoStatus>();
        services.AddSingleton<DownloadLinks>();
        services.AddSingleton<JobAccess>();
        services.AddSingleton<JobListing>();
        services.AddGatewaySecurity(configuration);
        services.AddGatewayForwardedHeaders(configuration);
        services.AddExceptionHandler<BlobNameExceptionHandler>();
        services.AddOpenApi();
        services.AddProblemDetails();
        services.Configure<JsonOptions>(o =>
        {
            foreach (var converter in FarmJson.Options.Converters) o.SerializerOptions.Converters.Add(converter);
            o.SerializerOptions.DefaultIgnoreCondition = FarmJson.Options.DefaultIgnoreCondition;
        });
    }

    /// <summary>The API on every port; <c>/scaling/demand</c> only on <paramref name="management"/>'s port.</summary>
    public static WebApplication MapGateway(this WebApplication app, ManagementPort management)
    {
        app.UseGatewayForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseManagementPort(management);
        app.UseGatewaySecurity();
        app.MapOpenApi().AllowAnonymous();
        app.MapJobEndpoints();
        app.MapScalingEndpoints();
        app.MapGet("/healthz", () => Results.Text("ok")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
