using HiStream.Grains.Hosting;
using HiStream.Grains.Storage;
using Orleans.Storage;
using Polly;

namespace HiStream.Silo.Hosting;

/// <summary>The storage level of the farm's retries for grain state (see <see cref="FarmRetry"/>): reads, writes and
/// clears that fail transiently are retried here with <see cref="BlobRetry"/>'s backoff, whatever the provider, and a
/// failure given up on is marked so the grains' own retries do not repeat it. A stale ETag is an answer, never retried.</summary>
public sealed class RetryingGrainStorage(IGrainStorage inner, ResiliencePipeline retry) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Wraps the grain storage registered under <paramref name="name"/>.</summary>
    public static void Decorate(IServiceCollection services, string name)
    {
        var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var factory = original.KeyedImplementationFactory ?? throw new InvalidOperationException($"Grain storage '{name}' is not registered by a factory.");
        services.Remove(original);
        var retry = BlobRetry.Create(8, TimeSpan.FromMilliseconds(200), FarmRetry.IsTransient);
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new RetryingGrainStorage((IGrainStorage)factory(sp, key), retry));
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        retry.ExecuteAsync(async _ => await inner.ReadStateAsync(stateName, grainId, grainState)).AsTask();

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        retry.ExecuteAsync(async _ => await inner.WriteStateAsync(stateName, grainId, grainState)).AsTask();

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        retry.ExecuteAsync(async _ => await inner.ClearStateAsync(stateName, grainId, grainState)).AsTask();

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
}
