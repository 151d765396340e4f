using System.Text.Json;
using Gateway.Fleet;
using Gateway.Tests.Fleet;
using Grpc.Net.Client;
using ModelWorker.KServe.Grpc;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>
/// The embedded default with gRPC (what <c>--h2c-urls</c> starts): the fleet's workers open their gRPC ports and join
/// the gRPC cluster, and a gRPC client on the gateway's h2c listener is balanced over them.
/// </summary>
[Collection(FleetProcesses.Name)]
public sealed class GrpcFleetTests
{
    [Fact]
    public async Task ModelInfer_EmbeddedFleetWithGrpc_AnsweredByEveryWorker()
    {
        var fleet = new FleetOptions { Workers = 2, GrpcClusterId = "fleet-grpc", Autoscale = new AutoscaleOptions { Enabled = false } };
        await using var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            Config = EmbeddedConfig.Create(fleet),
            Urls = ["http://127.0.0.1:0"],
            H2cUrls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        });
        await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
        using var channel = GrpcChannel.ForAddress(host.H2cUrls.Single());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        for (var i = 0; i < 10; i++)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
            input.Shape.AddRange([1, 4]);
            input.Contents.Fp32Contents.AddRange([5.1f, 3.5f, 1.4f, 0.2f]);
            var request = new ModelInferRequest { ModelName = "classifier-small" };
            request.Inputs.Add(input);
            var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal([1L, 3L], response.Outputs[0].Shape);
        }

        using var admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]) };
        using var status = JsonDocument.Parse(await admin.GetStringAsync("/status"));
        var grpc = status.RootElement.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "fleet-grpc");
        var requests = grpc.GetProperty("destinations").EnumerateArray().Select(d => d.GetProperty("requests").GetInt64()).ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(10, requests.Sum());
        Assert.All(requests, r => Assert.True(r > 0, $"requests per worker: {string.Join(", ", requests)}"));
    }
}
