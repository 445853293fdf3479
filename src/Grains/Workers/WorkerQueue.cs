using HiStream.Abstractions.Queue;

namespace HiStream.Grains.Workers;

/// <summary>The queue as the worker's parts see it: one place that names the queue grain.</summary>
public sealed class WorkerQueue
{
    private readonly IGrainFactory _grains;

    public WorkerQueue(IGrainFactory grains) => _grains = grains;

    public IWorkQueueGrain Grain => _grains.GetGrain<IWorkQueueGrain>(IWorkQueueGrain.DefaultKey);
}
