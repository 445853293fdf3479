using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace HiStream.Grains.Storage;

public static class AzureBlobGrainStorageExtensions
{
    /// <summary>Registers <see cref="AzureBlobGrainStorage"/> under <paramref name="name"/>; Orleans' helper adds it as
    /// keyed storage and as a silo lifecycle participant (the container is created at start-up).</summary>
    public static ISiloBuilder AddAzureBlobGrainStorage(this ISiloBuilder builder, string name, Action<AzureBlobGrainStorageOptions> configure)
    {
        var options = new AzureBlobGrainStorageOptions();
        configure(options);
        builder.Services.AddGrainStorage(name, (sp, key) =>
            new AzureBlobGrainStorage(key, options, sp.GetRequiredService<IGrainStorageSerializer>(), sp.GetRequiredService<ILogger<AzureBlobGrainStorage>>()));
        return builder;
    }
}
