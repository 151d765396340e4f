using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelWorker.Inference;

namespace Gateway.Tests.Worker;

/// <summary>The real service with the real small model, over HTTP on 127.0.0.1.</summary>
public sealed class WorkerApiTests : IAsyncLifetime
{
    private static readonly float[] ValidRow = [1f, 2f, 3f, 4f];
    private InProcessWorker _worker = null!;

    public async Task InitializeAsync() => _worker = await InProcessWorker.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task Predict_OneRow_EqualsTheRowRunAloneThroughTheModel()
    {
        float[] row = [5.1f, 3.5f, 1.4f, 0.2f];

        using var response = await _worker.Client.PostAsJsonAsync("/predict", new { features = row, request_id = "r-1" });

        response.EnsureSuccessStatusCode();
        Assert.True(response.Headers.Contains("X-Queue-Depth"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var body = json.RootElement;
        var expected = RunAlone(row);
        var actual = body.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(actual[i], expected[i] - 1e-5f, expected[i] + 1e-5f);
        }

        var best = Array.IndexOf(expected, expected.Max());
        Assert.Equal(best, body.GetProperty("prediction").GetInt32());
        Assert.InRange(body.GetProperty("confidence").GetSingle(), expected[best] - 1e-5f, expected[best] + 1e-5f);
        Assert.Equal("r-1", body.GetProperty("request_id").GetString());
        Assert.True(body.GetProperty("latency_ms").GetDouble() > 0);
        Assert.True(body.GetProperty("batch_size").GetInt32() >= 1);
    }

    [Fact]
    public async Task Predict_64ConcurrentRequests_AreBatched()
    {
        var requests = Enumerable.Range(0, 64).Select(async i =>
        {
            using var response = await _worker.Client.PostAsJsonAsync("/predict", new { features = new[] { i * 0.1f, 1f, 2f, 3f } });
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("batch_size").GetInt32();
        });

        var sizes = await Task.WhenAll(requests);

        Assert.True(sizes.Max() > 1, $"batch sizes: {string.Join(",", sizes)}");
        Assert.True(sizes.Max() <= 32);
    }

    [Theory]
    [InlineData("{\"features\": [1, 2, 3", "not valid JSON")]
    [InlineData("[1, 2, 3, 4]", "must be a JSON object")]
    [InlineData("{\"request_id\": \"a\"}", "missing required field 'features'")]
    [InlineData("{\"features\": [1, 2, 3]}", "expected 4 features, got 3")]
    [InlineData("{\"features\": [1, 2, 3, 4, 5]}", "expected 4 features, got 5")]
    [InlineData("{\"features\": [1, NaN, 3, 4]}", "NaN and Infinity")]
    [InlineData("{\"features\": [1, 2, Infinity, 4]}", "NaN and Infinity")]
    [InlineData("{\"features\": [1, \"two\", 3, 4]}", "features[1] must be a number, got a string")]
    [InlineData("{\"features\": [1, null, 3, 4]}", "features[1] must be a number, got null")]
    [InlineData("{\"features\": [1e39, 2, 3, 4]}", "features[0] is out of the float range")]
    [InlineData("{\"features\": \"1,2,3,4\"}", "'features' must be an array of 4 numbers")]
    public async Task Predict_BadInput_Returns400ProblemThatSaysWhatToFix(string body, string detail)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await _worker.Client.PostAsync("/predict", content);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task Predict_OverLongRequestId_Returns400()
    {
        using var response = await _worker.Client.PostAsJsonAsync("/predict", new { features = ValidRow, request_id = new string('x', 129) });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "at most 128");
    }

    [Fact]
    public async Task Predict_OverLargeBody_Returns413()
    {
        using var content = new StringContent("{\"features\": [" + string.Join(",", Enumerable.Repeat("1.0", 400_000)) + "]}", Encoding.UTF8, "application/json");

        using var response = await _worker.Client.PostAsync("/predict", content);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than the worker's limit");
    }

    [Fact]
    public async Task Predict_AfterBadInput_StillServes()
    {
        using var bad = new StringContent("{", Encoding.UTF8, "application/json");
        using var rejected = await _worker.Client.PostAsync("/predict", bad);

        using var response = await _worker.Client.PostAsJsonAsync("/predict", new { features = ValidRow });

        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_ModelLoaded_Returns200WithDeviceAndModel()
    {
        using var response = await _worker.Client.GetAsync("/health");

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("cpu", json.RootElement.GetProperty("device").GetString());
        Assert.Equal("classifier-small.onnx", json.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Ready_IdleQueue_Returns200WithQueueSize()
    {
        using var response = await _worker.Client.GetAsync("/ready");

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("queue_size").GetInt32());
    }

    [Fact]
    public async Task Metrics_AfterAPrediction_ExposesTheMlNamesWithTheirBuckets()
    {
        using var predicted = await _worker.Client.PostAsJsonAsync("/predict", new { features = ValidRow });
        predicted.EnsureSuccessStatusCode();

        var text = await _worker.Client.GetStringAsync("/metrics");

        Assert.Contains("ml_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("status=\"success\"", text, StringComparison.Ordinal);
        Assert.Contains("ml_request_latency_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("le=\"0.01\"", text, StringComparison.Ordinal);
        Assert.Contains("le=\"5\"", text, StringComparison.Ordinal);
        Assert.Contains("ml_batch_size_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("le=\"64\"", text, StringComparison.Ordinal);
        Assert.Contains("ml_queue_size{", text, StringComparison.Ordinal);
        Assert.Contains("ml_active_requests{", text, StringComparison.Ordinal);
        Assert.Contains("device=\"cpu\"", text, StringComparison.Ordinal);
        Assert.Contains("ml_inference_seconds_bucket{", text, StringComparison.Ordinal);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("X-Queue-Depth"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detail, json.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static float[] RunAlone(float[] row)
    {
        using var session = new InferenceSession(InProcessWorker.SmallModel);
        var input = session.InputMetadata.Keys.Single();
        using var value = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        using var outputs = session.Run(new RunOptions(), [input], [value], session.OutputMetadata.Keys.ToArray());
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Softmax.InPlace(logits);
        return logits;
    }
}
