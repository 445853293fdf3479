namespace HiStream.Grains.Videos;

/// <summary>A device call (engine load, session open, chunk) threw: the failure is the device's, which the silo's
/// breaker counts. The message is the device's own.</summary>
public sealed class DeviceCallException(string call, Exception error) : Exception(error.Message, error)
{
    /// <summary>Which call failed ("open", "chunk 3").</summary>
    public string Call { get; } = call;
}
