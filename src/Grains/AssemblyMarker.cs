namespace HiStream.Grains; internal static class AssemblyMarker { }
