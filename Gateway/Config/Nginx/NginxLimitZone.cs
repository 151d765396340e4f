using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// A <c>limit_req_zone KEY zone=NAME:SIZE rate=Nr/s|Nr/m</c> or <c>limit_conn_zone KEY zone=NAME:SIZE</c>: the key
/// (any variables; <c>$binary_remote_addr</c> partitions as <c>$remote_addr</c> does) and, for requests, the rate.
/// The size bounds the keys remembered (as nginx's shared memory does; see <see cref="NginxLimitChecks.StateBytes"/>).
/// </summary>
public sealed record NginxLimitZone(string Name, NginxTemplate Key, double RequestsPerSecond, string Rate, NginxDirective Directive)
{
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
                var value = arg[5..];
                var colon = value.LastIndexOf(':');
                if (colon <= 0 || (size = Size(value[(colon + 1)..])) <= 0)
                {
                    throw NginxConfigException.At(d, colon <= 0 ? $"invalid zone size \"{arg}\"" : $"invalid zone size \"{value[(colon + 1)..]}\"");
                }

                name = value[..colon];
            }
            else if (arg.StartsWith("rate=", StringComparison.Ordinal) && d.Name == "limit_req_zone")
            {
                var text = arg[5..];
                var perMinute = text.EndsWith("r/m", StringComparison.Ordinal);
                if (!(perMinute || text.EndsWith("r/s", StringComparison.Ordinal))
                    || !int.TryParse(text.AsSpan(0, text.Length - 3), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                {
                    throw NginxConfigException.At(d, $"invalid rate \"{arg}\"");
                }

                rate = perMinute ? n / 60.0 : n;
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

    /// <summary>nginx's size: bytes, or k / m for KiB / MiB; 0 when it is not one.</summary>
    private static long Size(string text)
    {
        var digits = text.TrimEnd('k', 'K', 'm', 'M');
        var scale = text.Length == digits.Length ? 1 : char.ToLowerInvariant(text[^1]) == 'k' ? 1024L : 1024L * 1024;
        return digits.Length > 0 && digits.Length >= text.Length - 1 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            && n <= long.MaxValue / scale ? n * scale : 0;
    }
}
