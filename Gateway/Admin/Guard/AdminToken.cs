using System.Security.Cryptography;
using System.Text;

namespace Gateway.Admin.Guard;

/// <summary>
/// Compares a presented token with the configured one in constant time: both are hashed first (so their lengths do not
/// leak either) and the digests compared with <see cref="CryptographicOperations.FixedTimeEquals"/>.
/// </summary>
internal static class AdminToken
{
    public static bool Matches(string expected, string presented)
    {
        Span<byte> a = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> b = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
