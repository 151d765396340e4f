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

    /// <summary>Parses a whole JSON number token without exponent; false when it needs the general parser.</summary>
    public static bool TryParsePlainDecimal(ReadOnlySpan<byte> token, out double value)
    {
        var position = 0;
        return TryRead(token, ref position, out value) && position == token.Length;
    }

    /// <summary>
    /// Reads the number that starts at <paramref name="position"/> in raw JSON and moves past it. The grammar is
    /// JSON's (no leading zeros, no "1." or ".5"), without exponent. False, with the position unchanged, for
    /// anything else: not a number, an exponent, or more digits than the exact path takes.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> json, ref int position, out double value)
    {
        value = 0;
        var i = position;
        var negative = i < json.Length && json[i] == (byte)'-';
        i += negative ? 1 : 0;
        ulong mantissa = 0;
        var integerStart = i;
        if (!TryReadDigits(json, ref i, ref mantissa) || i == integerStart || (json[integerStart] == (byte)'0' && i - integerStart > 1))
        {
            return false; // no digits, too many, or a leading zero ("01" is not JSON)
        }

        var fractionDigits = 0;
        if (i < json.Length && json[i] == (byte)'.')
        {
            var fractionStart = ++i;
            if (!TryReadDigits(json, ref i, ref mantissa))
            {
                return false;
            }

            fractionDigits = i - fractionStart;
            if (fractionDigits == 0 || fractionDigits >= PowersOf10.Length)
            {
                return false; // "1." (not JSON), or too many decimals for an exact power of ten
            }
        }

        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            return false; // an exponent: the general parser's job
        }

        var result = fractionDigits > 0 ? mantissa / PowersOf10[fractionDigits] : mantissa;
        value = negative ? -result : result;
        position = i;
        return true;
    }

    // False when the digits no longer fit an exact double mantissa.
    private static bool TryReadDigits(ReadOnlySpan<byte> json, ref int i, ref ulong mantissa)
    {
        for (; i < json.Length; i++)
        {
            var digit = (uint)(json[i] - '0');
            if (digit > 9)
            {
                break;
            }

            mantissa = (mantissa * 10) + digit;
            if (mantissa > MaxExactMantissa)
            {
                return false;
            }
        }

        return true;
    }
}
