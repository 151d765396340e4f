using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's not_modified filter (ngx_http_not_modified_filter_module.c) for a static file: If-Unmodified-Since and
/// If-Match failing are 412; If-Modified-Since (an exact match of Last-Modified, nginx's <c>if_modified_since exact</c>)
/// and If-None-Match (weak comparison, <c>*</c>) both saying unchanged are 304.
/// </summary>
public static class NginxConditional
{
    /// <summary>200 (send it), 304 or 412.</summary>
    public static int Evaluate(Microsoft.AspNetCore.Http.IHeaderDictionary request, long lastModified, string etag)
    {
        var ius = request.IfUnmodifiedSince.ToString();
        if (request.ContainsKey("If-Unmodified-Since") && !(TryParseTime(ius, out var unmodified) && unmodified >= lastModified))
        {
            return 412;
        }

        if (request.ContainsKey("If-Match") && !Matches(request.IfMatch.ToString(), etag, weak: false))
        {
            return 412;
        }

        var hasIms = request.ContainsKey("If-Modified-Since");
        var hasInm = request.ContainsKey("If-None-Match");
        if (!hasIms && !hasInm)
        {
            return 200;
        }

        if (hasIms && !(TryParseTime(request.IfModifiedSince.ToString(), out var since) && since == lastModified))
        {
            return 200;
        }

        return hasInm && !Matches(request.IfNoneMatch.ToString(), etag, weak: true) ? 200 : 304;
    }

    /// <summary>ngx_http_test_if_match: <c>*</c>, or the ETag among the list (a W/ prefix ignored when weak).</summary>
    public static bool Matches(string header, string etag, bool weak)
    {
        var value = header.Trim();
        if (value == "*")
        {
            return true;
        }

        var own = weak && etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = weak && item.StartsWith("W/", StringComparison.Ordinal) ? item[2..] : item;
            if (candidate == own)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An HTTP date (RFC 1123, RFC 850 or asctime, as ngx_parse_http_time) as Unix seconds.</summary>
    public static bool TryParseTime(string text, out long seconds)
    {
        string[] formats = ["r", "dddd, dd-MMM-yy HH:mm:ss 'GMT'", "ddd MMM d HH:mm:ss yyyy", "ddd MMM  d HH:mm:ss yyyy"];
        if (DateTimeOffset.TryParseExact(text.Trim(), formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowInnerWhite, out var time))
        {
            seconds = time.ToUnixTimeSeconds();
            return true;
        }

        seconds = 0;
        return false;
    }
}
