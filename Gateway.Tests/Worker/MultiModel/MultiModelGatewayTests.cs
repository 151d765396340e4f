using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Fleet;
using Gateway.Tests.Fleet;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Worker.MultiModel;

/// <summary>
/// Several models through the real gateway and real ModelWorker processes: a config routing each model's paths to the
/// cluster that serves it, and the embedded fleet serving a model repository (as <c>--model-repository</c> starts it).
/// </summary>
[Collection(FleetProcesses.Name)]
public sealed class MultiModelGatewayTests
{
    private static readonly float[] SmallRow = [5.1f, 3.5f, 1.4f, 0.2f];
    private static readonly float[] TinyRow = [0.5f, -1f, 2f, 0.25f, 1f, 0f, -0.5f, 3f];

    [Fact]
    public async Task Predict_RoutePerModel_EachModelAnsweredByTheClusterThatServesIt()
    {
        var irisRepo = ModelFiles.Repository(("iris", 1, ModelFiles.Small));
        var scorerRepo = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny));
        using var irisWorker = ModelWorkerProcess.Start(0, "--model-repository", irisRepo);
        using var scorerWorker = ModelWorkerProcess.Start(0, "--model-repository", scorerRepo);
        try
        {
            var iris = await irisWorker.WaitUntilReadyAsync();
            var scorer = await scorerWorker.WaitUntilReadyAsync();
            await using var gateway = await GatewayUnderTest.StartAsync(Config(iris, scorer));

            var irisAnswer = await PredictAsync(gateway.Proxy, "/models/iris/predict", SmallRow);
            var scorerAnswer = await PredictAsync(gateway.Proxy, "/models/scorer/predict", TinyRow);
            using var v2 = await gateway.Proxy.GetAsync("/v2/models/scorer/ready");
            var status = await gateway.StatusAsync();

            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Small, SmallRow), irisAnswer);
            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Tiny, TinyRow), scorerAnswer);
            Assert.True(v2.IsSuccessStatusCode);
            var requests = status.GetProperty("clusters").EnumerateArray()
                .ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("destinations")[0].GetProperty("requests").GetInt64());
            Assert.Equal(1, requests["iris"]);
            Assert.Equal(2, requests["scorer"]);
        }
        finally
        {
            Directory.Delete(irisRepo, recursive: true);
            Directory.Delete(scorerRepo, recursive: true);
        }
    }

    [Fact]
    public async Task Predict_EmbeddedFleetWithARepository_EveryWorkerServesEveryModel()
    {
        var repo = ModelFiles.Repository(("scorer", 1, ModelFiles.Tiny));
        try
        {
            var fleet = new FleetOptions { Workers = 2, ModelRepository = repo, Autoscale = new AutoscaleOptions { Enabled = false } };
            await using var host = await GatewayHost.StartAsync(new GatewayHostOptions
            {
                Config = EmbeddedConfig.Create(fleet),
                Urls = ["http://127.0.0.1:0"],
                AdminUrls = ["http://127.0.0.1:0"],
                MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
            });
            await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]), Timeout = TimeSpan.FromSeconds(30) };

            for (var i = 0; i < 4; i++)
            {
                ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Tiny, TinyRow), await PredictAsync(client, "/models/scorer/predict", TinyRow));
            }

            ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Small, SmallRow), await PredictAsync(client, "/predict", SmallRow));
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    // One route (and cluster) per model: its /models/NAME/... and /v2/models/NAME/... paths.
    private static string Config(Uri iris, Uri scorer)
    {
        var routes = new JsonObject();
        var clusters = new JsonObject();
        foreach (var (name, address) in new[] { ("iris", iris), ("scorer", scorer) })
        {
            routes[name] = new JsonObject { ["ClusterId"] = name, ["Match"] = new JsonObject { ["Path"] = $"/models/{name}/{{**rest}}" } };
            routes[name + "-v2"] = new JsonObject { ["ClusterId"] = name, ["Match"] = new JsonObject { ["Path"] = $"/v2/models/{name}/{{**rest}}" } };
            clusters[name] = new JsonObject
            {
                ["Destinations"] = new JsonObject { ["w"] = new JsonObject { ["Address"] = address.ToString().TrimEnd('/') } },
            };
        }

        return new JsonObject { ["ReverseProxy"] = new JsonObject { ["Routes"] = routes, ["Clusters"] = clusters } }.ToJsonString();
    }

    private static async Task<float[]> PredictAsync(HttpClient client, string path, float[] row)
    {
        using var response = await client.PostAsJsonAsync(path, new { features = row });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return [.. json.RootElement.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle())];
    }
}
