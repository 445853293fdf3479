using TorchSharp;

namespace HiStream.Engine.Vae.Layers;

/// <summary>
/// The reference's per-layer caching step around a temporal causal conv: the conv sees the slot's frames as its past,
/// and the slot then keeps the last two input frames (taking one from the old slot when the chunk has one frame).
/// </summary>
internal static class CachedCausalConv
{
    public static torch.Tensor Run(CausalConv3d conv, torch.Tensor x, FeatureCache cache)
    {
        if (!conv.IsTemporal) return conv.Forward(x, null);
        int slot = cache.NextSlot();
        using var history = cache.Get(slot, x.device);
        var next = LastFrames(x, history);
        var y = conv.Forward(x, history);
        cache.Set(slot, next);
        return y;
    }

    /// <summary>A fresh tensor with the last <see cref="FeatureCache.HistoryFrames"/> frames of the stream so far.</summary>
    public static torch.Tensor LastFrames(torch.Tensor x, torch.Tensor? history)
    {
        long t = x.shape[2];
        long take = Math.Min(t, FeatureCache.HistoryFrames);
        using var last = x.narrow(2, t - take, take);
        if (take < FeatureCache.HistoryFrames && history is not null)
        {
            using var previous = history.narrow(2, history.shape[2] - 1, 1);
            return torch.cat([previous, last], 2);
        }
        return last.clone();
    }
}
