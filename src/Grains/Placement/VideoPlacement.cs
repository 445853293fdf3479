using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace HiStream.Grains.Placement;

/// <summary>Places a video grain on the silo that leased its work: that silo passes itself as the placement hint.
/// Without a hint (a status query for a video that is not rendering) the caller's silo is used when it can host the
/// grain, else a silo chosen from the grain id.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("histream.VideoPlacementStrategy")]
public sealed class VideoPlacementStrategy : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class VideoPlacementAttribute() : PlacementAttribute(new VideoPlacementStrategy());

/// <summary>Stateless, so safe as the keyed singleton Orleans makes of it.</summary>
public sealed class VideoPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, silos) is { } hint) return Task.FromResult(hint);
        if (silos.Contains(context.LocalSilo)) return Task.FromResult(context.LocalSilo);
        if (silos.Length == 0) throw new OrleansException($"No silo can host {target.GrainIdentity}.");
        var ordered = silos.OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToArray();
        return Task.FromResult(ordered[(int)(target.GrainIdentity.GetUniformHashCode() % (uint)ordered.Length)]);
    }
}
