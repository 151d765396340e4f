using System.Globalization;

namespace Benchmarks.Worker;

/// <summary>The worker's ml_batch_size histogram totals, scraped from /metrics, to tell how full its batches were.</summary>
public readonly record struct BatchStats(double Sum, double Count)
{
    public double MeanSince(BatchStats before) => Count > before.Count ? (Sum - before.Sum) / (Count - before.Count) : 0;

    public static async Task<BatchStats> ReadAsync(HttpClient client)
    {
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return new BatchStats(Value(text, "ml_batch_size_sum"), Value(text, "ml_batch_size_count"));
    }

    private static double Value(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
