namespace ModelWorker.Api;

/// <summary>
/// Clinger's fast path (W. D. Clinger, "How to Read Floating Point Numbers Accurately", PLDI 1990) for the plain
/// decimals a /predict row is made of ("-0.4821"): when the digits form an integer m &lt;= 2^53 and there are
/// k &lt;= 22 of them after the point, m and 10^k are exact doubles and one IEEE division rounds m / 10^k
/// correctly, so the result is bit-identical to double.Parse. Anything else (an exponent, more digits) is left
/// to the general parser. The profile of a loaded worker showed the general parser as its largest .NET cost.
/// </summary>
internal static class JsonNumber
{
    private const ulong MaxExactMantissa = 1UL << 53;

    private static readonly double[] PowersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses a JSON number token without exponent; false when it needs the general parser.</summary>
    public static bool TryParsePlainDecimal(ReadOnlySpan<byte> token, out double value)
    {
        value = 0;
        var i = 0;
        var negative = token.Length > 0 && token[0] == (byte)'-';
        i += negative ? 1 : 0;
        ulong mantissa = 0;
        var fractionDigits = -1; // -1 until the point is seen
        for (; i < token.Length; i++)
        {
            var c = token[i];
            if (c == (byte)'.' && fractionDigits < 0)
            {
                fractionDigits = 0;
                continue;
            }

            var digit = (uint)(c - '0');
            if (digit > 9)
            {
                return false; // an exponent, or not a number at all
            }

            mantissa = (mantissa * 10) + digit;
            if (mantissa > MaxExactMantissa)
            {
                return false;
            }

            fractionDigits += fractionDigits >= 0 ? 1 : 0;
        }

        if (i == (negative ? 1 : 0) || fractionDigits >= PowersOf10.Length || fractionDigits == 0)
        {
            return false; // empty, too many decimals for an exact power of ten, or "1." (not JSON anyway)
        }

        var result = fractionDigits > 0 ? mantissa / PowersOf10[fractionDigits] : mantissa;
        value = negative ? -result : result;
        return true;
    }
}
