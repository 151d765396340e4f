using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// A <c>limit_req_zone KEY zone=NAME:SIZE rate=Nr/s|Nr/m</c> or <c>limit_conn_zone KEY zone=NAME:SIZE</c>: the key
/// (any variables; <c>$binary_remote_addr</c> partitions as <c>$remote_addr</c> does) and, for requests, the rate.
/// The size bounds the keys remembered (as nginx's shared memory does; see <see cref="NginxLimitChecks.StateBytes"/>).
/// </summary>
public sealed record NginxLimitZone(string Name, NginxTemplate Key, double RequestsPerSecond, string Rate, NginxDirective Directive)
{
    /// <summary>nginx refuses a zone smaller than 8 pages (of 4 KiB here).</summary>
    public const long MinSizeBytes = 8 * 4096;

    public bool IsRequestZone => Directive.Name == "limit_req_zone";

    /// <summary>The zone's memory (zone=NAME:SIZE), in bytes.</summary>
    public long SizeBytes { get; init; }

    public static NginxLimitZone Read(NginxDirective d, Func<string, bool> isKnownVariable)
    {
        string? name = null;
        string? rateText = null;
        double rate = 0;
        long size = 0;
        foreach (var arg in d.Args.Skip(1))
        {
            if (arg.StartsWith("zone=", StringComparison.Ordinal))
            {
                // nginx: the name runs to the first colon; the size is ngx_parse_size's, at least 8 pages.
                var value = arg[5..];
                var colon = value.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0 || (size = Size(value[(colon + 1)..])) < 0)
                {
                    throw NginxConfigException.At(d, $"invalid zone size \"{arg}\"");
                }

                if (size < MinSizeBytes)
                {
                    throw NginxConfigException.At(d, $"zone \"{arg}\" is too small");
                }

                name = colon > 0 ? value[..colon] : null;
            }
            else if (arg.StartsWith("rate=", StringComparison.Ordinal) && d.Name == "limit_req_zone")
            {
                // Nr/s, Nr/m, or a bare N (per second, as nginx reads it).
                var text = arg[5..];
                var scale = text.EndsWith("r/s", StringComparison.Ordinal) ? 1 : text.EndsWith("r/m", StringComparison.Ordinal) ? 60 : 0;
                if (!long.TryParse(scale == 0 ? text : text[..^3], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > int.MaxValue)
                {
                    throw NginxConfigException.At(d, $"invalid rate \"{arg}\"");
                }

                rate = n / (double)Math.Max(1, scale);
                rateText = text;
            }
            else if (arg != "sync")
            {
                throw NginxConfigException.At(d, $"invalid parameter \"{arg}\"");
            }
        }

        if (name is null)
        {
            throw NginxConfigException.At(d, $"\"{d.Name}\" must have \"zone\" parameter");
        }

        if (d.Name == "limit_req_zone" && rateText is null)
        {
            throw NginxConfigException.At(d, "invalid number of arguments in \"limit_req_zone\" directive");
        }

        // $binary_remote_addr is the address in 4 or 16 bytes: the same partition as its text.
        var key = NginxTemplate.Parse(d.Args[0].Replace("$binary_remote_addr", "$remote_addr", StringComparison.Ordinal), d);
        foreach (var v in key.Variables)
        {
            if (!isKnownVariable(v))
            {
                throw new NginxConfigException($"unknown \"{v}\" variable");
            }
        }

        return new NginxLimitZone(name, key, rate, rateText ?? "", d) { SizeBytes = size };
    }

    /// <summary>nginx's size: bytes, or k / m for KiB / MiB; -1 when it is not one.</summary>
    private static long Size(string text)
    {
        var scale = text.Length == 0 ? 1 : char.ToLowerInvariant(text[^1]) switch { 'k' => 1024L, 'm' => 1024L * 1024, _ => 1 };
        var digits = scale == 1 ? text : text[..^1];
        return digits.Length > 0 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= long.MaxValue / scale ? n * scale : -1;
    }
}
