using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelWorker.Models;

namespace Gateway.Tests.Worker.MultiModel;

/// <summary>One real worker (in-process Kestrel on 127.0.0.1) serving a model repository beside --model.</summary>
public sealed class MultiModelWorkerTests
{
    private static readonly float[] TinyRow = [0.5f, -1f, 2f, 0.25f, 1f, 0f, -0.5f, 3f];
    private static readonly float[] SmallRow = [5.1f, 3.5f, 1.4f, 0.2f];

    [Fact]
    public async Task Predict_TwoModelsAndVersions_EachAnsweredByItsOwnModel()
    {
        var root = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny), ("scorer", 2, ModelFiles.Small));
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root);
        var models = worker.Services.GetRequiredService<ModelManager>();
        try
        {
            Assert.Single(models.Loaded); // lazily: only --model is loaded at start

            var latest = await PredictAsync(worker, "/models/scorer/predict", SmallRow);
            var first = await PredictAsync(worker, "/models/scorer/versions/1/predict", TinyRow);
            var pinned = await PredictAsync(worker, "/predict", SmallRow);

            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Small, SmallRow), latest);
            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Tiny, TinyRow), first);
            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Small, SmallRow), pinned);
            Assert.Equal(3, models.Loaded.Count);
            Assert.Equal(3, models.Loaded.Select(m => m.Batcher).Distinct().Count()); // a batcher each
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_UnknownModelOrWrongWidth_404Or400WithTheReason()
    {
        var root = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny));
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root);
        try
        {
            using var unknown = await worker.Client.PostAsJsonAsync("/models/nope/predict", new { features = SmallRow });
            using var unknownVersion = await worker.Client.PostAsJsonAsync("/models/scorer/versions/9/predict", new { features = TinyRow });
            using var wrongWidth = await worker.Client.PostAsJsonAsync("/models/scorer/predict", new { features = SmallRow });

            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.Equal("model 'nope' is not served here; models: classifier-small, scorer", await DetailAsync(unknown));
            Assert.Equal(HttpStatusCode.NotFound, unknownVersion.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, wrongWidth.StatusCode);
            Assert.Contains("expected 8 features, got 4", await wrongWidth.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_CountLimit_UnloadsTheLeastRecentlyUsedIdleModel()
    {
        var root = ModelFiles.Repository(("a", 1, ModelFiles.Tiny), ("b", 1, ModelFiles.Tiny), ("c", 1, ModelFiles.Tiny));
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root, "--max-loaded-models", "3");
        var models = worker.Services.GetRequiredService<ModelManager>();
        try
        {
            await PredictAsync(worker, "/models/a/predict", TinyRow);
            await PredictAsync(worker, "/models/b/predict", TinyRow);
            await PredictAsync(worker, "/models/a/predict", TinyRow); // b is now the least recently used

            await PredictAsync(worker, "/models/c/predict", TinyRow);

            Assert.Equal(["a", "c", "classifier-small"], models.Loaded.Select(m => m.Key.Name).Order(StringComparer.Ordinal));
            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Tiny, TinyRow), await PredictAsync(worker, "/models/b/predict", TinyRow)); // loads again
            Assert.Equal(["b", "c", "classifier-small"], models.Loaded.Select(m => m.Key.Name).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_LimitReachedWhileTheOnlyUnloadableModelHasARequestQueued_503AndThatModelStays()
    {
        // A fixed 3 s window keeps a's request in its batcher while b is asked for; with room for two models (--model
        // and a), b may only load by unloading a, which holds a request: b must wait, a must not be unloaded.
        var root = ModelFiles.Repository(("a", 1, ModelFiles.Tiny), ("b", 1, ModelFiles.Tiny));
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root, "--max-loaded-models", "2",
            "--batching", "fixed-window", "--max-wait-ms", "3000", "--max-batch-size", "8");
        var models = worker.Services.GetRequiredService<ModelManager>();
        try
        {
            var queued = PredictAsync(worker, "/models/a/predict", TinyRow);
            await WaitUntilAsync(() => models.Loaded.Any(m => m.Key.Name == "a" && m.Batcher.QueueDepth == 1));

            using var refused = await worker.Client.PostAsJsonAsync("/models/b/predict", new { features = TinyRow });

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Contains("every loaded model has requests in flight", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Tiny, TinyRow), await queued); // a answered its request
            await PredictAsync(worker, "/models/b/predict", TinyRow); // a is idle now: unloaded for b
            Assert.Equal(["b", "classifier-small"], models.Loaded.Select(m => m.Key.Name).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_ModelLargerThanTheMemoryLimit_503SaysSo()
    {
        var root = ModelFiles.Repository(("heavy", 1, ModelFiles.Heavy)); // about 5 MB
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root, "--max-model-memory-mb", "1");
        try
        {
            using var response = await worker.Client.PostAsJsonAsync("/models/heavy/predict", new { features = new float[256] });

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("is larger than --max-model-memory-mb on its own", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_BrokenModelFile_500NamesTheFileAndOtherModelsServe()
    {
        var root = ModelFiles.Repository(("good", 1, ModelFiles.Tiny));
        Directory.CreateDirectory(Path.Combine(root, "broken", "1"));
        await File.WriteAllTextAsync(Path.Combine(root, "broken", "1", "model.onnx"), "not an onnx file");
        await using var worker = await InProcessWorker.StartAsync("--model-repository", root);
        try
        {
            using var broken = await worker.Client.PostAsJsonAsync("/models/broken/predict", new { features = TinyRow });

            Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
            Assert.Contains("broken/1", await broken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await PredictAsync(worker, "/models/good/predict", TinyRow);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<float[]> PredictAsync(InProcessWorker worker, string path, float[] row)
    {
        using var response = await worker.Client.PostAsJsonAsync(path, new { features = row });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return [.. json.RootElement.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle())];
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("detail").GetString();
    }

    // Polls in-process state (no sleeps as synchronisation; bounded by a deadline).
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}
