namespace HiStream.Abstractions; internal static class AssemblyMarker { }
