namespace HiStream.Engine.Native;

/// <summary>The requested libtorch could not be found or TorchSharp's native binding could not bind to it. The message
/// names the folder, the missing file or the loader's own error (for example the first undefined symbol).</summary>
public sealed class LibTorchLoadException(string message, Exception? inner = null) : Exception(message, inner);
