using System.Text;

namespace Gateway.Upstream;

/// <summary>
/// A connection's strings from its last response head: a backend answers alike on every request (same Server,
/// Content-Type, often the same Date and Content-Length), so a value equal to the last one reuses its string.
/// Names outside <see cref="KnownHeaders"/> are kept the same way.
/// </summary>
internal sealed class HeaderValueCache
{
    private const int MaxOtherNames = 16;

    private readonly string?[] _values = new string?[KnownHeaders.Count];
    private readonly string?[] _otherNames = new string?[MaxOtherNames];
    private readonly string?[] _otherValues = new string?[MaxOtherNames];
    private string _reason = "OK";

    public string Value(int known, ReadOnlySpan<byte> bytes) => Reuse(ref _values[known], bytes);

    public string Reason(ReadOnlySpan<byte> bytes) => Reuse(ref _reason!, bytes);

    /// <summary>The slot of an unknown header name (exact case, so the name is forwarded as received), or -1 when the cache is full.</summary>
    public int OtherSlot(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < MaxOtherNames; i++)
        {
            var cached = _otherNames[i];
            if (cached is null)
            {
                _otherNames[i] = Encoding.Latin1.GetString(name);
                return i;
            }

            if (cached.Length == name.Length && Latin1Equals(name, cached))
            {
                return i;
            }
        }

        return -1;
    }

    public string OtherName(int slot) => _otherNames[slot]!;

    public string OtherValue(int slot, ReadOnlySpan<byte> bytes) => Reuse(ref _otherValues[slot], bytes);

    private static string Reuse(ref string? cached, ReadOnlySpan<byte> bytes)
    {
        var last = cached;
        if (last is not null && last.Length == bytes.Length && Latin1Equals(bytes, last))
        {
            return last;
        }

        return cached = Encoding.Latin1.GetString(bytes);
    }

    /// <summary>
    /// Byte for char, vectorised for ASCII; a value beyond ASCII compares unequal, so it is read anew (rare, and still
    /// the same string content).
    /// </summary>
    private static bool Latin1Equals(ReadOnlySpan<byte> bytes, string value) => Ascii.Equals(bytes, value);
}
