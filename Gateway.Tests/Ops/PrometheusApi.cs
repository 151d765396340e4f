using System.Globalization;
using System.Text.Json;

namespace Gateway.Tests.Ops;

/// <summary>The few calls of Prometheus' HTTP API (/api/v1) the tests make; every answer is kept for the artifact file.</summary>
public sealed class PrometheusApi(HttpClient http)
{
    public Dictionary<string, JsonElement> Answers { get; } = [];

    /// <summary>An instant query; fails the test with Prometheus' error when the query is rejected.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var response = await http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("status").GetString() == "success", $"Prometheus rejected `{promql}`: {body}");
        Answers[promql] = root.GetProperty("data").Clone();
        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            return [([], ParseValue(data.GetProperty("result")))];
        }

        return data.GetProperty("result").EnumerateArray()
            .Select(r => (r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                ParseValue(r.GetProperty("value"))))
            .ToList();
    }

    /// <summary>Every metric name Prometheus holds (what the scrapes returned, plus recorded series).</summary>
    public async Task<HashSet<string>> MetricNamesAsync()
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/v1/label/__name__/values"));
        return doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    public async Task<JsonElement> TargetsAsync()
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/v1/targets?state=active"));
        return doc.RootElement.GetProperty("data").GetProperty("activeTargets").Clone();
    }

    private static double ParseValue(JsonElement pair) => pair[1].GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
