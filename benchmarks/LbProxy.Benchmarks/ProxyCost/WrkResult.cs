using System.Globalization;
using System.Text.RegularExpressions;

namespace Benchmarks.ProxyCost;

/// <summary>What one wrk run reported: requests/s, p50 and p99 (ms), errors.</summary>
internal sealed partial record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors)
{
    public static WrkResult Parse(string output)
    {
        var rps = Number(RpsRegex().Match(output));
        var requests = (long)Number(RequestsRegex().Match(output));
        var errors = ErrorsRegex().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            + (long)Number(Non2xxRegex().Match(output));
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), requests, errors);
    }

    private static double Percentile(string output, string p)
    {
        var match = Regex.Match(output, $@"^\s*{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    private static double Number(Match match) =>
        match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsRegex();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsRegex();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex ErrorsRegex();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxRegex();
}
