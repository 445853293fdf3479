using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace HiStream.Farm.Tests.Infrastructure;

/// <summary>A silo's real grain storage, except that a state write the test's rule answers with an exception throws it
/// instead of reaching storage (a storage brownout for chosen grains).</summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner, Func<object?, Exception?> failWrite) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Wraps the storage provider registered under <paramref name="name"/>; <paramref name="failWrite"/> sees
    /// the state about to be written.</summary>
    public static void Decorate(IServiceCollection services, string name, Func<object?, Exception?> failWrite)
    {
        var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var factory = original.KeyedImplementationFactory ?? throw new InvalidOperationException($"Grain storage '{name}' is not registered by a factory.");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new FaultInjectingGrainStorage((IGrainStorage)factory(sp, key), failWrite));
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        failWrite(grainState.State) is { } exception ? Task.FromException(exception) : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
}
