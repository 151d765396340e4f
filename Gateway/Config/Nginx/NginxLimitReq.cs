using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>One <c>limit_req zone=NAME [burst=N] [nodelay | delay=N]</c>.</summary>
public sealed record NginxLimitReq(string Zone, int Burst, int Delay, NginxDirective Directive)
{
    /// <summary>nodelay is delay = burst: every request within the burst goes at once.</summary>
    public bool NoDelay => Delay >= Burst;

    public static NginxLimitReq Read(NginxDirective d)
    {
        string? zone = null;
        int burst = 0, delay = 0;
        var noDelay = false;
        foreach (var arg in d.Args)
        {
            if (arg.StartsWith("zone=", StringComparison.Ordinal))
            {
                zone = arg[5..];
            }
            else if (arg.StartsWith("burst=", StringComparison.Ordinal))
            {
                burst = int.TryParse(arg.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b
                    : throw NginxConfigException.At(d, $"invalid burst value \"{arg}\"");
            }
            else if (arg.StartsWith("delay=", StringComparison.Ordinal))
            {
                delay = int.TryParse(arg.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x > 0 ? x
                    : throw NginxConfigException.At(d, $"invalid delay value \"{arg}\"");
            }
            else if (arg == "nodelay")
            {
                noDelay = true;
            }
            else
            {
                throw NginxConfigException.At(d, $"invalid parameter \"{arg}\"");
            }
        }

        return zone is null ? throw NginxConfigException.At(d, "\"limit_req\" must have \"zone\" parameter")
            : new NginxLimitReq(zone, burst, noDelay ? burst : Math.Min(delay, burst), d);
    }
}
