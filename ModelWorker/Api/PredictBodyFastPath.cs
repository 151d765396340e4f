using System.Text;

namespace ModelWorker.Api;

/// <summary>
/// The fast path of <see cref="PredictRequestParser"/>: one forward pass over the body clients actually send,
/// <c>{"features": [plain decimals], "request_id": "printable ASCII" | null}</c> (either order, request_id
/// optional, any JSON whitespace). That shape is a strict subset of JSON, so what it accepts means the same as
/// through the general reader; it never explains anything. On any other body (unknown fields, escapes, exponents,
/// a wrong count, invalid JSON) it returns false and the Utf8JsonReader path, which says what to fix, reads the
/// body from the start. Utf8JsonReader's general token machinery was the largest .NET cost of a loaded worker.
/// </summary>
internal static class PredictBodyFastPath
{
    public static bool TryRead(ReadOnlySpan<byte> json, Span<float> features, out string? requestId)
    {
        requestId = null;
        var i = SkipWhitespace(json, 0);
        if (features.IsEmpty || !TrySkip(json, ref i, (byte)'{'))
        {
            return false;
        }

        var hasFeatures = false;
        var hasRequestId = false;
        do
        {
            i = SkipWhitespace(json, i);
            if (!hasFeatures && TrySkip(json, ref i, "\"features\""u8))
            {
                hasFeatures = TrySkipColon(json, ref i) && TryReadRow(json, ref i, features);
                if (!hasFeatures)
                {
                    return false;
                }
            }
            else if (!hasRequestId && TrySkip(json, ref i, "\"request_id\""u8))
            {
                hasRequestId = TrySkipColon(json, ref i) && TryReadRequestId(json, ref i, out requestId);
                if (!hasRequestId)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }

            i = SkipWhitespace(json, i);
        }
        while (TrySkip(json, ref i, (byte)','));

        return hasFeatures && TrySkip(json, ref i, (byte)'}') && SkipWhitespace(json, i) == json.Length;
    }

    // Exactly features.Length plain decimals, written as they are read (a wrong count goes to the general reader).
    private static bool TryReadRow(ReadOnlySpan<byte> json, ref int i, Span<float> features)
    {
        i = SkipWhitespace(json, i);
        if (!TrySkip(json, ref i, (byte)'['))
        {
            return false;
        }

        var last = features.Length - 1;
        for (var n = 0; n <= last; n++)
        {
            i = SkipWhitespace(json, i);
            if (!JsonNumber.TryRead(json, ref i, out var value))
            {
                return false;
            }

            features[n] = (float)value;
            i = SkipWhitespace(json, i);
            if (!TrySkip(json, ref i, n < last ? (byte)',' : (byte)']'))
            {
                return false;
            }
        }

        return true;
    }

    // null, or a string of printable ASCII without escapes, not longer than the limit (the general reader
    // explains a longer one).
    private static bool TryReadRequestId(ReadOnlySpan<byte> json, ref int i, out string? requestId)
    {
        requestId = null;
        i = SkipWhitespace(json, i);
        if (TrySkip(json, ref i, "null"u8))
        {
            return true;
        }

        if (!TrySkip(json, ref i, (byte)'"'))
        {
            return false;
        }

        var start = i;
        while (i < json.Length && json[i] is >= 0x20 and < 0x7f and not (byte)'"' and not (byte)'\\')
        {
            i++;
        }

        if (i - start > Limits.MaxRequestIdLength || !TrySkip(json, ref i, (byte)'"'))
        {
            return false;
        }

        requestId = Encoding.ASCII.GetString(json[start..(i - 1)]);
        return true;
    }

    private static bool TrySkipColon(ReadOnlySpan<byte> json, ref int i)
    {
        i = SkipWhitespace(json, i);
        return TrySkip(json, ref i, (byte)':');
    }

    private static bool TrySkip(ReadOnlySpan<byte> json, ref int i, byte expected)
    {
        if (i < json.Length && json[i] == expected)
        {
            i++;
            return true;
        }

        return false;
    }

    private static bool TrySkip(ReadOnlySpan<byte> json, ref int i, ReadOnlySpan<byte> expected)
    {
        if (json[i..].StartsWith(expected))
        {
            i += expected.Length;
            return true;
        }

        return false;
    }

    // JSON's four whitespace characters.
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }
}
