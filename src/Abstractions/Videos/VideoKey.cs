using System.Security.Cryptography;
using System.Text;

namespace HiStream.Abstractions.Videos;

/// <summary>Deterministic video ids and grain keys: the same job and item always give the same id, so a resubmitted
/// job finds its finished outputs.</summary>
public static class VideoKey
{
    public static string GrainKey(string jobId, string videoId) => $"{jobId}/{videoId}";

    /// <summary>The id of an item with no user-supplied id: its index (for ordering) and a hash of job and index.</summary>
    public static string DefaultVideoId(string jobId, int itemIndex)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{jobId}\n{itemIndex}"));
        return $"{itemIndex:D6}-{Convert.ToHexStringLower(hash, 0, 5)}";
    }

    public static (string JobId, string VideoId) Parse(string grainKey)
    {
        int slash = grainKey.IndexOf('/');
        if (slash <= 0 || slash == grainKey.Length - 1) throw new ArgumentException($"'{grainKey}' is not a video key (jobId/videoId).", nameof(grainKey));
        return (grainKey[..slash], grainKey[(slash + 1)..]);
    }
}
