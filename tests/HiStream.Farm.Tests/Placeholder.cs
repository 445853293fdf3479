namespace HiStream.Farm.Tests; public sealed class Placeholder { [Fact] public void Builds() => Assert.True(typeof(HiStream.Engine.TorchRuntime).Assembly is not null); }
