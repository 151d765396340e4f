using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Worker.MultiModel;

namespace Gateway.Tests.Worker.KServe;

/// <summary>The Open Inference Protocol (KServe v2) over HTTP on a real worker (in-process Kestrel, real models).</summary>
public sealed class KServeHttpTests : IAsyncLifetime
{
    private static readonly float[] RowA = [5.1f, 3.5f, 1.4f, 0.2f];
    private static readonly float[] RowB = [1f, 2f, 3f, 4f];
    private readonly string _repository = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny), ("scorer", 2, ModelFiles.Tiny));
    private InProcessWorker _worker = null!;

    public async Task InitializeAsync() => _worker = await InProcessWorker.StartAsync("--model-repository", _repository);

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        Directory.Delete(_repository, recursive: true);
    }

    [Fact]
    public async Task Health_LoadedWorker_LiveAndReady200()
    {
        using var live = await _worker.Client.GetAsync("/v2/health/live");
        using var ready = await _worker.Client.GetAsync("/v2/health/ready");
        var server = await GetJsonAsync("/v2");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ModelWorker", server.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Metadata_RepositoryModel_NamesVersionsAndTensors()
    {
        var metadata = await GetJsonAsync("/v2/models/scorer");
        var versioned = await GetJsonAsync("/v2/models/scorer/versions/1");

        Assert.Equal("scorer", metadata.GetProperty("name").GetString());
        Assert.Equal(["1", "2"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("onnxruntime_onnx", metadata.GetProperty("platform").GetString());
        var input = metadata.GetProperty("inputs")[0];
        Assert.Equal("features", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 8L], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var outputs = metadata.GetProperty("outputs").EnumerateArray().Select(o => (o.GetProperty("name").GetString(), o.GetProperty("datatype").GetString())).ToArray();
        Assert.Equal([("scores", "FP32"), ("class", "INT64")], outputs);
        Assert.Equal("scorer", versioned.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Ready_KnownModelAndUnknownModel_200And404()
    {
        using var ready = await _worker.Client.GetAsync("/v2/models/scorer/versions/2/ready");
        using var unknown = await _worker.Client.GetAsync("/v2/models/nope/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("model 'nope' is not served here", await ErrorAsync(unknown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_TwoRowsFlatAndNested_EqualEachRowRunAlone()
    {
        var flat = await InferAsync("/v2/models/classifier-small/infer",
            """{"id": "req-7", "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 1, 2, 3, 4]}]}""");
        var nested = await InferAsync("/v2/models/classifier-small/versions/1/infer",
            """{"inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [1, 2, 3, 4]]}], "outputs": [{"name": "class"}]}""");

        Assert.Equal("classifier-small", flat.GetProperty("model_name").GetString());
        Assert.Equal("1", flat.GetProperty("model_version").GetString());
        Assert.Equal("req-7", flat.GetProperty("id").GetString());
        var probabilities = flat.GetProperty("outputs")[0];
        Assert.Equal("logits", probabilities.GetProperty("name").GetString());
        Assert.Equal([2L, 3L], probabilities.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var data = probabilities.GetProperty("data").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        var expectedA = ModelFiles.RunAlone(ModelFiles.Small, RowA);
        var expectedB = ModelFiles.RunAlone(ModelFiles.Small, RowB);
        ModelFiles.AssertClose([.. expectedA, .. expectedB], data);
        var classes = flat.GetProperty("outputs")[1];
        Assert.Equal("INT64", classes.GetProperty("datatype").GetString());
        Assert.Equal([(long)Array.IndexOf(expectedA, expectedA.Max()), Array.IndexOf(expectedB, expectedB.Max())],
            classes.GetProperty("data").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal(1, nested.GetProperty("outputs").GetArrayLength()); // only the output asked for
        Assert.Equal(classes.GetProperty("data").GetRawText(), nested.GetProperty("outputs")[0].GetProperty("data").GetRawText());
    }

    [Theory]
    [InlineData("/v2/models/nope/infer", """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", 404, "model 'nope' is not served here")]
    [InlineData("/v2/models/classifier-small/versions/3/infer", """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", 404, "has no version '3'")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}""", 400, "has datatype INT64; model classifier-small/1 takes 'features' FP32 [-1, 4]")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "features", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}""", 400, "has shape [1, 5]")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", 400, "needs 8 values, got 4")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", 400, "has no input 'x'")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, "3", 4]}]}""", 400, "inputs[0].data[2] must be a finite FP32 number")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "nope"}]}""", 400, "has no output 'nope'")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": [}""", 400, "the body is not valid JSON")]
    [InlineData("/v2/models/classifier-small/infer", """{"inputs": []}""", 400, "'inputs' must be a non-empty array")]
    public async Task Infer_BadRequest_ProtocolErrorWithTheReason(string path, string body, int status, string reason)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _worker.Client.PostAsync(path, content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(reason, await ErrorAsync(response), StringComparison.Ordinal);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var json = JsonDocument.Parse(await _worker.Client.GetStringAsync(path));
        return json.RootElement.Clone();
    }

    private async Task<JsonElement> InferAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _worker.Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }
}
