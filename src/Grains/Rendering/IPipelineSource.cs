using HiStream.Engine.Pipeline;

namespace HiStream.Grains.Rendering;

/// <summary>Builds the silo's pipeline from configuration (weights or the seeded-random tiny model).</summary>
public interface IPipelineSource
{
    /// <summary>Sizes of the configured model, known without loading it.</summary>
    ModelDimensions Dimensions { get; }

    /// <summary>Called once, on the device thread.</summary>
    VideoPipeline Load();
}
