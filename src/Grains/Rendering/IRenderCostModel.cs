using HiStream.Abstractions.Rendering;

namespace HiStream.Grains.Rendering;

/// <summary>Device memory one video needs while it renders (its KV caches at both resolutions, text context,
/// activations of one chunk, decoder cache). Computed from the model configuration, so any silo can size a job
/// without loading weights.</summary>
public interface IRenderCostModel
{
    long EstimateVideoBytes(RenderFootprint footprint);
}
