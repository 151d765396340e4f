using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Admin.Api;

/// <summary>The runtime API as an operator's script calls it (curl -X POST .../drain).</summary>
internal static class AdminApiClient
{
    public static async Task<JsonElement> PostAsync(HttpClient admin, string path, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await admin.PostAsync(path, content: null);
        return await ReadAsync(response, expected);
    }

    public static async Task<JsonElement> PutWeightAsync(HttpClient admin, string cluster, string destination, int weight)
    {
        using var response = await admin.PutAsJsonAsync($"/api/clusters/{cluster}/destinations/{destination}/weight", new { weight });
        return await ReadAsync(response, System.Net.HttpStatusCode.OK);
    }

    public static async Task<JsonElement> GetAsync(HttpClient admin, string path)
    {
        using var response = await admin.GetAsync(path);
        return await ReadAsync(response, System.Net.HttpStatusCode.OK);
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, System.Net.HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>The destination's entry in GET /status.</summary>
    public static JsonElement StatusOf(JsonElement status, string cluster, string destination) =>
        status.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == cluster)
            .GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("id").GetString() == destination);
}
