using System.Security.Cryptography;
using System.Text;

namespace HiStream.Gateway.Security;

/// <summary>API keys: 32 random bytes (base64url, prefixed <c>hs_</c>) and their SHA-256, which is all the gateway
/// stores. A fast hash is enough for a key of 256 bits of entropy (no dictionary to search), and lookups compare
/// every stored hash in constant time.</summary>
public static class ApiKeys
{
    public static string NewKey() => "hs_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string HashHex(string key) => Convert.ToHexStringLower(Hash(key));

    /// <summary>The entry whose hash matches, comparing against every entry so the time does not depend on which.</summary>
    public static ApiKeyEntry? Find(IReadOnlyList<(ApiKeyEntry Entry, byte[] Hash)> entries, string presented)
    {
        var hash = Hash(presented);
        ApiKeyEntry? found = null;
        foreach (var (entry, stored) in entries)
            if (CryptographicOperations.FixedTimeEquals(hash, stored)) found ??= entry;
        return found;
    }
}
