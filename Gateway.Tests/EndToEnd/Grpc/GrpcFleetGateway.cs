using Gateway.Fleet;
using ModelWorker.KServe.Grpc;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>The embedded default with gRPC (what <c>--h2c-urls</c> starts) on ports from the OS, and a request for it.</summary>
internal static class GrpcFleetGateway
{
    public static Task<GatewayHost> StartAsync(int workers) => GatewayHost.StartAsync(new GatewayHostOptions
    {
        Config = EmbeddedConfig.Create(new FleetOptions { Workers = workers, GrpcClusterId = "fleet-grpc", Autoscale = new AutoscaleOptions { Enabled = false } }),
        Urls = ["http://127.0.0.1:0"],
        H2cUrls = ["http://127.0.0.1:0"],
        AdminUrls = ["http://127.0.0.1:0"],
        MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
    });

    /// <summary>One row of the bundled classifier as a KServe v2 ModelInfer request.</summary>
    public static ModelInferRequest InferRequest()
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, 4]);
        input.Contents.Fp32Contents.AddRange([5.1f, 3.5f, 1.4f, 0.2f]);
        var request = new ModelInferRequest { ModelName = "classifier-small" };
        request.Inputs.Add(input);
        return request;
    }
}
