using System.Globalization;
using System.Text;

namespace Gateway.Admin;

/// <summary>
/// Reads the cumulative buckets of lbproxy_request_duration_seconds per (cluster, destination) out of the admin
/// port's own Prometheus text: the histogram the exporter already aggregates, so per-destination p95 costs the
/// request path nothing more.
/// </summary>
internal static class DurationBuckets
{
    public const string BucketName = "lbproxy_request_duration_seconds_bucket";

    public static Dictionary<(string Cluster, string Destination), List<(double UpperBound, double Count)>> Parse(string prometheusText)
    {
        var result = new Dictionary<(string, string), List<(double, double)>>();
        foreach (var raw in prometheusText.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith(BucketName + "{", StringComparison.Ordinal))
            {
                continue;
            }

            var labels = Labels(line, BucketName.Length + 1, out var end);
            var value = line[(end + 1)..].Trim().Split(' ')[0];
            if (!labels.TryGetValue(MetricTags.Cluster, out var cluster) || !labels.TryGetValue(MetricTags.Destination, out var destination)
                || !labels.TryGetValue("le", out var le)
                || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
            {
                continue;
            }

            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!result.TryGetValue((cluster, destination), out var buckets))
            {
                result[(cluster, destination)] = buckets = [];
            }

            buckets.Add((bound, count));
        }

        foreach (var buckets in result.Values)
        {
            buckets.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        }

        return result;
    }

    /// <summary>The labels of <c>{a="x",b="y"}</c> starting after the brace at <paramref name="start"/>; <paramref name="end"/> is the closing brace.</summary>
    private static Dictionary<string, string> Labels(string line, int start, out int end)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = start;
        while (i < line.Length && line[i] != '}')
        {
            var eq = line.IndexOf('=', i);
            if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
            {
                break;
            }

            var name = line[i..eq].Trim(' ', ',');
            var value = new StringBuilder();
            var j = eq + 2;
            for (; j < line.Length && line[j] != '"'; j++)
            {
                if (line[j] == '\\' && j + 1 < line.Length)
                {
                    j++;
                    value.Append(line[j] == 'n' ? '\n' : line[j]);
                }
                else
                {
                    value.Append(line[j]);
                }
            }

            labels[name] = value.ToString();
            i = j + 1;
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
        }

        end = Math.Min(i, line.Length - 1);
        return labels;
    }
}
