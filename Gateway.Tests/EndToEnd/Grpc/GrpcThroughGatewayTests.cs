using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using ModelWorker.KServe.Grpc;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>
/// A real gRPC client (Grpc.Net.Client, h2c) and a KServe v2 HTTP client through the real gateway to real ModelWorker
/// processes: answers, balancing over two workers, gRPC statuses in trailers reaching the client, and a gRPC error
/// counted by the gateway's breakers as its HTTP equivalent (UNAVAILABLE a failure, NOT_FOUND not).
/// </summary>
public sealed class GrpcThroughGatewayTests(GrpcGatewayFixture fixture) : IClassFixture<GrpcGatewayFixture>
{
    private static readonly float[] Row = [5.1f, 3.5f, 1.4f, 0.2f];

    [Fact]
    public async Task ModelInfer_ThroughTheH2cListener_AnsweredAndSpreadOverBothWorkers()
    {
        using var channel = GrpcChannel.ForAddress(fixture.H2cUrl);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var before = await DestinationsAsync("grpc");

        var answers = new List<ModelInferResponse>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add(await client.ModelInferAsync(Request("classifier-small"), deadline: DateTime.UtcNow.AddSeconds(30)));
        }

        var after = await DestinationsAsync("grpc");
        Assert.All(answers, a => Assert.Equal([1L, 3L], a.Outputs[0].Shape));
        Assert.All(answers, a => Assert.Equal(answers[0].Outputs[0].Contents.Fp32Contents, a.Outputs[0].Contents.Fp32Contents));
        Assert.Equal(20, after.Sum(d => d.Requests) - before.Sum(d => d.Requests));
        Assert.All(after.Zip(before), p => Assert.True(p.First.Requests - p.Second.Requests >= 5, $"destination {p.First.Id} got {p.First.Requests - p.Second.Requests} of 20"));
    }

    [Fact]
    public async Task ModelInfer_UnknownModel_NotFoundStatusReachesTheClientAndIsNoFailure()
    {
        using var channel = GrpcChannel.ForAddress(fixture.H2cUrl);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Request("nope")));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("model 'nope' is not served here", error.Status.Detail, StringComparison.Ordinal);
        Assert.All(await DestinationsAsync("grpc"), d => Assert.Equal(0, d.Failures));
    }

    [Fact]
    public async Task ModelInfer_WorkerQueueFull_UnavailableReachesTheClientAndCountsAsAFailure()
    {
        using var channel = GrpcChannel.ForAddress(fixture.H2cUrl);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var slow = new Metadata { { "x-pool", "slow" } };
        var failuresBefore = (await DestinationsAsync("slow")).Single().Failures;

        // The fixed window holds the first call in the forming batch and the second in the one-place queue for 6 s.
        var first = client.ModelInferAsync(Request("classifier-small"), slow).ResponseAsync;
        await WaitForQueueAsync(fixture.SlowWorkerHttp, 1);
        var second = client.ModelInferAsync(Request("classifier-small"), slow).ResponseAsync;
        await WaitForQueueAsync(fixture.SlowWorkerHttp, 2);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Request("classifier-small"), slow));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("queue is full", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal([1L, 3L], (await first).Outputs[0].Shape);
        Assert.Equal([1L, 3L], (await second).Outputs[0].Shape);
        Assert.Equal(failuresBefore + 1, (await DestinationsAsync("slow")).Single().Failures);
    }

    [Fact]
    public async Task KServeHttpInfer_ThroughTheHttpListener_Answered()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""",
            Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("/v2/models/classifier-small/infer", content);
        using var ready = await http.GetAsync("/v2/health/ready");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(3, json.RootElement.GetProperty("outputs")[0].GetProperty("data").GetArrayLength());
        Assert.True(ready.IsSuccessStatusCode);
    }

    private static ModelInferRequest Request(string model)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, Row.Length]);
        input.Contents.Fp32Contents.AddRange(Row);
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(input);
        return request;
    }

    private async Task<List<(string Id, long Requests, long Failures)>> DestinationsAsync(string cluster)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(fixture.AdminUrl) };
        using var json = JsonDocument.Parse(await admin.GetStringAsync("/status"));
        return [.. json.RootElement.GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == cluster)
            .GetProperty("destinations").EnumerateArray()
            .Select(d => (d.GetProperty("id").GetString()!, d.GetProperty("requests").GetInt64(), d.GetProperty("failures").GetInt64()))
            .OrderBy(d => d.Item1, StringComparer.Ordinal)];
    }

    // Polls the worker's /ready (a real probe) until the call is queued; bounded by a deadline.
    private static async Task WaitForQueueAsync(Uri worker, int depth)
    {
        using var client = new HttpClient { BaseAddress = worker };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var ready = await client.GetFromJsonAsync<JsonElement>("/ready");
            if (ready.GetProperty("queue_size").GetInt32() >= depth)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the slow worker's queue never reached {depth}");
            await Task.Delay(10);
        }
    }
}
