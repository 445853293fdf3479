using HiStream.Engine.Pipeline;
using Microsoft.Extensions.Options;

namespace HiStream.Grains.Rendering;

/// <summary>The pipeline described by the <c>Engine</c> configuration section.</summary>
public sealed class ConfiguredPipelineSource(IOptions<PipelineOptions> options) : IPipelineSource
{
    public ModelDimensions Dimensions => PipelineFactory.DimensionsOf(options.Value);

    public VideoPipeline Load() => PipelineFactory.Create(options.Value);
}
