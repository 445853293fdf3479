using TorchSharp;

namespace HiStream.Engine.Vae.Layers;

/// <summary>One step of the decoder that may read and update the temporal feature cache.</summary>
internal interface IDecoderBlock
{
    /// <summary>Runs on [B, C, T, H, W]; returns a new tensor (the input is left to the caller).</summary>
    torch.Tensor Forward(torch.Tensor x, FeatureCache cache);

    /// <summary>How far wrong values creep in from a band edge that was zero-padded instead of seeing its neighbours.</summary>
    BandHalo Through(BandHalo halo);

    bool UpsamplesTime { get; }
}

/// <summary>Rows (at the current resolution) that a band edge contaminates, and the spatial scale reached so far.</summary>
internal readonly record struct BandHalo(int Rows, int Scale)
{
    public static BandHalo Start => new(0, 1);

    /// <summary>Input rows to add on each side of a band so that its centre comes out exact.</summary>
    public int InputRows => (Rows + Scale - 1) / Scale;
}
