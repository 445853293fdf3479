using HiStream.Engine.Tests.Reference;
using HiStream.Engine.Vae;
using TorchSharp;

namespace HiStream.Engine.Tests.Vae;

/// <summary>Replays every <c>wan-vae-decoder</c> reference case: video_raw (decoder output) and video (clamped).</summary>
public sealed class WanVaeDecoderParityTests
{
    public static TheoryData<string> Cases => ReferenceCases.OfKinds("wan-vae-decoder");

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeMatchesReference(string caseDir) => Replay(caseDir, VaeDecodeOptions.Unsliced);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeInSingleFrameSlicesMatchesReference(string caseDir) => Replay(caseDir, new VaeDecodeOptions { FramesPerSlice = 1 });

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeInRowBandsWithCacheOnOtherDeviceMatchesReference(string caseDir) =>
        Replay(caseDir, new VaeDecodeOptions { FramesPerSlice = 2, BandRows = 8, CacheDevice = torch.CPU });

    private static void Replay(string caseDir, VaeDecodeOptions options)
    {
        using var c = new ReferenceCase(caseDir);
        using var model = VaeFixture.LoadModel(c);
        foreach (var call in c.Calls)
        {
            Assert.Equal("decode", call.Method);
            var z = c.Tensor(call, "z");
            using var raw = StreamingWanVaeDecoder.DecodeAll(model, z, options, VaeFixture.Normalization(c, call));
            c.AssertClose(call, "video_raw", raw);
            using var clamped = raw.clamp(-1.0, 1.0);
            c.AssertClose(call, "video", clamped);
        }
    }
}
