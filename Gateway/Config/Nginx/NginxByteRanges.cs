using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's range filter (ngx_http_range_filter_module.c) for a static file: a <c>Range: bytes=...</c> header, honoured
/// only when If-Range (an ETag compared exactly, or a date equal to Last-Modified) allows it, parsed as nginx parses
/// it: ranges beyond the end are cut to it, a syntax error or no satisfiable range is 416, ranges adding up to more
/// than the file are ignored (the whole file).
/// </summary>
public static class NginxByteRanges
{
    public enum Kind
    {
        /// <summary>Send the whole file (200, Accept-Ranges).</summary>
        Whole,

        /// <summary>206 with the ranges.</summary>
        Partial,

        /// <summary>416 with Content-Range: bytes */length.</summary>
        NotSatisfiable,
    }

    public static (Kind Kind, IReadOnlyList<(long Start, long End)> Ranges) Parse(Microsoft.AspNetCore.Http.IHeaderDictionary request, long length,
        long lastModified, string etag)
    {
        var range = request.Range.ToString();
        if (range.Length < 7 || !range.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return (Kind.Whole, []);
        }

        if (request.ContainsKey("If-Range"))
        {
            var ifRange = request.IfRange.ToString();
            if (ifRange.Length >= 2 && ifRange[^1] == '"' ? ifRange != etag
                : !NginxConditional.TryParseTime(ifRange, out var time) || time != lastModified)
            {
                return (Kind.Whole, []);
            }
        }

        return ParseSpec(range.AsSpan(6), length);
    }

    /// <summary>ngx_http_range_parse: end is exclusive in the result.</summary>
    private static (Kind, IReadOnlyList<(long, long)>) ParseSpec(ReadOnlySpan<char> p, long length)
    {
        var ranges = new List<(long, long)>();
        long size = 0;
        var i = 0;
        char At(ReadOnlySpan<char> s, int k) => k < s.Length ? s[k] : '\0';
        while (true)
        {
            long start = 0, end = 0;
            var suffix = false;
            while (At(p, i) == ' ')
            {
                i++;
            }

            var open = false;
            if (At(p, i) != '-')
            {
                if (!char.IsAsciiDigit(At(p, i)) || !Number(p, ref i, out start))
                {
                    return (Kind.NotSatisfiable, []);
                }

                while (At(p, i) == ' ')
                {
                    i++;
                }

                if (At(p, i++) != '-')
                {
                    return (Kind.NotSatisfiable, []);
                }

                while (At(p, i) == ' ')
                {
                    i++;
                }

                if (At(p, i) is ',' or '\0')
                {
                    end = length;
                    open = true;
                }
            }
            else
            {
                suffix = true;
                i++;
            }

            if (!open)
            {
                if (!char.IsAsciiDigit(At(p, i)) || !Number(p, ref i, out end))
                {
                    return (Kind.NotSatisfiable, []);
                }

                while (At(p, i) == ' ')
                {
                    i++;
                }

                if (At(p, i) is not (',' or '\0'))
                {
                    return (Kind.NotSatisfiable, []);
                }

                if (suffix)
                {
                    start = end < length ? length - end : 0;
                    end = length - 1;
                }

                end = end >= length ? length : end + 1;
            }

            if (start < end)
            {
                ranges.Add((start, end));
                size += end - start;
            }
            else if (start == 0)
            {
                return (Kind.Whole, []);
            }

            if (At(p, i++) != ',')
            {
                break;
            }
        }

        return ranges.Count == 0 ? (Kind.NotSatisfiable, []) : size > length ? (Kind.Whole, []) : (Kind.Partial, ranges);
    }

    private static bool Number(ReadOnlySpan<char> p, ref int i, out long value)
    {
        value = 0;
        while (i < p.Length && char.IsAsciiDigit(p[i]))
        {
            if (value > (long.MaxValue - 9) / 10)
            {
                return false; // nginx: an offset that overflows is not satisfiable
            }

            value = (value * 10) + (p[i++] - '0');
        }

        return true;
    }

    /// <summary>nginx's multipart boundary: a process-wide counter (ngx_next_temp_number), 20 digits.</summary>
    public static string NextBoundary() => Interlocked.Increment(ref s_boundary).ToString("D20", CultureInfo.InvariantCulture);

    private static long s_boundary;
}
